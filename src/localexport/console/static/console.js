// localexport console: live job rows (polling the server's own rendering of them) and archive drops.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf"]')?.content || "";
  const POLL_MS = 1000;

  // -- live jobs: every element with data-live is a tbody of job rows, refreshed in place ---------------
  function refresh(body) {
    return fetch(body.dataset.live, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data) return;
        const seen = new Set();
        let before = body.firstElementChild;
        for (const job of data.jobs) {
          seen.add(job.id);
          let row = document.getElementById("job-" + job.id);
          if (row && row.dataset.version === job.version) { before = row.nextElementSibling; continue; }
          const focused = document.activeElement?.dataset?.focus;
          const tpl = document.createElement("template");
          tpl.innerHTML = job.html.trim();
          const fresh = tpl.content.firstElementChild;
          if (row) row.replaceWith(fresh); else body.insertBefore(fresh, before);
          before = fresh.nextElementSibling;
          if (focused) fresh.querySelector('[data-focus="' + CSS.escape(focused) + '"]')?.focus();
        }
        for (const row of [...body.children]) if (!seen.has(row.dataset.job)) row.remove();
        const empty = body.closest("section")?.querySelector("[data-empty]");
        if (empty) empty.hidden = data.jobs.length > 0;
      })
      .catch(() => {}); // the server restarting: the next poll tries again
  }
  const live = [...document.querySelectorAll("[data-live]")];
  if (live.length) {
    setInterval(() => { if (!document.hidden) live.forEach(refresh); }, POLL_MS);
  }

  // -- import: a file chosen or dropped is posted as the body, the form's fields in the query --------
  const form = document.getElementById("import-form");
  if (!form) return;
  const input = document.getElementById("import-file");
  const result = document.getElementById("import-result");
  function send(file) {
    const fields = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (name !== "file" && value) fields.set(name, value);
    fields.set("filename", file.name);
    result.textContent = "Uploading " + file.name + "…";
    fetch(form.dataset.action + "?" + fields, {
      method: "POST", body: file,
      headers: { "Content-Type": "application/octet-stream", "X-Localexport-Csrf": csrf, Accept: "application/json" },
    })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
      .then(({ ok, data }) => {
        if (!ok) { result.textContent = "Not imported: " + (data.error || "refused"); return; }
        result.textContent = "Import " + data.aws_id + " started.";
        window.location.assign(data.location);
      })
      .catch((error) => { result.textContent = "Not imported: " + error; });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.files.length) send(input.files[0]);
  });
  for (const name of ["dragenter", "dragover"]) {
    form.addEventListener(name, (event) => { event.preventDefault(); form.classList.add("over"); });
  }
  form.addEventListener("dragleave", () => form.classList.remove("over"));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("over");
    const file = event.dataTransfer?.files?.[0];
    if (file) send(file);
  });
})();
