"""The console's routes under ``/_localexport/ui/``: server-rendered pages, the JSON the page polls for live
job states, and the forms of the test controls (the same ``Controls`` methods the control API calls)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..aws.errors import AWSError
from ..aws.identity import DEFAULT_ACCOUNT, DEFAULT_REGION
from ..core.clock import duration
from ..core.urls import UrlRefused
from . import archive_tree, uploads, views
from .calls import to_json
from .guard import COOKIE, Guard, Refused

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..app import LocalExport

BASE = "/_localexport/ui"
HERE = Path(__file__).parent
MAX_FORM = 64 * 1024
MAX_UPLOAD_DEFAULT = 100 * 1024 * 1024
# Pages of the console: no framing (its buttons fail jobs), no script or style from anywhere but itself.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@functools.cache
def _environment() -> Environment:
    """Loaded at the first console request: an AWS call never pays for Jinja2."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(("html",)),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["base"] = BASE
    env.filters["q"] = lambda value: quote(str(value), safe="")
    return env


STATIC_FILES = ("console.css", "console.js")


@functools.cache
def _static(name: str) -> bytes:
    return (HERE / "static" / name).read_bytes()


class _Form(dict):
    pass


def routes(instance: LocalExport) -> list[Route]:
    guard = Guard(instance)
    controls = instance.controls
    max_upload = instance.settings.max_body_bytes or MAX_UPLOAD_DEFAULT

    def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        page = _environment().get_template(template).render(
            csrf=guard.csrf(), timing=controls.timing(), login=guard.needs_login, path=request.url.path,
            notice=request.query_params.get("notice"), **values)
        return HTMLResponse(page, status_code=status, headers=HEADERS)

    def refused(request: Request, error: Refused) -> Response:
        if request.url.path.startswith(f"{BASE}/live") or "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"error": str(error)}, status_code=error.status, headers=HEADERS)
        page = _environment().get_template("refused.html").render(message=str(error), code=error.status,
                                                                   login=False, csrf="", timing=None, path="")
        return HTMLResponse(page, status_code=error.status, headers=HEADERS)

    def page(endpoint: Callable[..., Response], post: bool = False, login: bool = True):
        """Checks first (on the loop: no store read), then the endpoint on a thread (it reads the store, may
        run a job)."""

        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            try:
                guard.check_origin(request)
                if login and not guard.logged_in(request):  # before reading a body: an upload waits for nothing
                    if post or request.url.path.startswith(f"{BASE}/live"):
                        raise Refused(401, f"the console needs the control token: log in at {BASE}/login")
                    return await anyio.to_thread.run_sync(functools.partial(
                        render, request, "login.html", 401, next=_local(request.url.path)))
                form: _Form | None = None
                if post:
                    form = await _form(request)
                    await anyio.to_thread.run_sync(guard.check_post, request, form.get("csrf"))
                args = (request, form) if post else (request,)
                return await anyio.to_thread.run_sync(endpoint, *args)
            except Refused as error:
                return await anyio.to_thread.run_sync(refused, request, error)

        return guarded

    async def _form(request: Request) -> _Form:
        """A urlencoded form, or (an upload) the raw body with its fields in the query."""
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        limit = max_upload if media == "application/octet-stream" else MAX_FORM
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise Refused(413, f"at most {limit} bytes")
        form = _Form(parse_qsl(request.url.query))
        if media == "application/x-www-form-urlencoded":
            form.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif media == "application/octet-stream":
            form["_body"] = bytes(raw)  # type: ignore[assignment]
        elif raw:
            raise Refused(415, "the console takes forms (application/x-www-form-urlencoded) and uploads "
                               "(application/octet-stream)")
        return form

    def back(request: Request, form: _Form, notice: str) -> Response:
        """To the page the form was on (its ``next`` field, else the Referer, else the overview)."""
        referer = urlsplit(request.headers.get("referer", ""))
        came_from = referer.path if referer.netloc == request.headers.get("host") else ""
        target = _local(form.get("next") or came_from)
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{joiner}{urlencode({'notice': notice})}", status_code=303)

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    # -- pages --------------------------------------------------------------------------------

    def index(request: Request) -> Response:
        return render(request, "index.html", accounts=views.accounts(instance), jobs=views.jobs(instance),
                      default_account=DEFAULT_ACCOUNT, default_region=DEFAULT_REGION)

    def scope_page(request: Request) -> Response:
        account, region = request.path_params["account"], request.path_params["region"]
        return render(request, "scope.html", account=account, region=region,
                      services=views.tables(instance, account, region, base_url(request)))

    def resource(request: Request) -> Response:
        p = request.path_params
        key = request.query_params.get("key", "")
        try:
            found = views.resource_json(instance, p["kind"], p["account"], p["region"], key, base_url(request))
        except AWSError as error:
            return render(request, "refused.html", 404, message=f"{error.code}: {error.message}", code=404)
        if found is None:
            return render(request, "refused.html", 404, message="no such resource", code=404)
        kind, answer = found
        if request.query_params.get("format") == "json":
            return Response(to_json(answer), media_type="application/json", headers=HEADERS)
        return render(request, "resource.html", kind=kind, key=key, account=p["account"], region=p["region"],
                      answer=to_json(answer))

    def job_page(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        try:
            found = views.job(instance, job_id)
        except LookupError:
            found = None
        if found is None:
            return render(request, "refused.html", 404, message=f"no job {job_id}", code=404)
        stored = instance.runtime.store.get_job(found["id"])
        tree = archive_tree.entries(instance.runtime.artifacts, stored.artifact) \
            if stored is not None and stored.artifact and found["state"] == "succeeded" else None
        return render(request, "job.html", job=found, tree=tree)

    def download(request: Request) -> Response:
        url = controls.download_url(request.path_params["job_id"], base_url(request))
        if url is None:
            return render(request, "refused.html", 404, message="this job has no finished archive", code=404)
        return RedirectResponse(url, status_code=303)

    def live(request: Request) -> Response:
        """The jobs as the page shows them (each row rendered here, as on the page), and the timing."""
        rows = _environment().get_template("_jobs.html").module
        only = request.query_params.get("job")
        try:
            found = views.jobs(instance) if only is None else [j for j in [views.job(instance, only)] if j]
        except LookupError:  # an AWS id naming jobs of several accounts: the page asks by engine id
            found = []
        return JSONResponse({"timing": controls.timing(), "jobs": [
            {"id": j["id"], "version": j["version"], "state": j["state"], "html": str(rows.row(j, guard.csrf(),
                                                                                                controls.timing()))}
            for j in found]}, headers=HEADERS)

    def login_page(request: Request) -> Response:
        return render(request, "login.html", next=_local(request.query_params.get("next") or f"{BASE}/"))

    # -- forms --------------------------------------------------------------------------------

    def login(request: Request, form: _Form) -> Response:
        if not guard.needs_login:
            return back(request, form, "no control token is set: the console is open")
        if not guard.token_matches(form.get("token", "")):
            return render(request, "login.html", 401, next=_local(form.get("next") or f"{BASE}/"),
                          error="that is not the server's control token")
        response = RedirectResponse(_local(form.get("next") or f"{BASE}/"), status_code=303)
        response.set_cookie(COOKIE, guard.session(), httponly=True, samesite="strict", path=BASE,
                            secure=request.url.scheme == "https")
        return response

    def logout(request: Request, form: _Form) -> Response:
        response = RedirectResponse(f"{BASE}/login", status_code=303)
        response.delete_cookie(COOKIE, path=BASE)
        return response

    def timing(request: Request, form: _Form) -> Response:
        try:
            delay = duration(float(form["delay"]), "delay") if form.get("delay") else None
            now = controls.set_timing(form.get("mode") or None, delay)
        except (TypeError, ValueError) as error:
            return back(request, form, f"not changed: {error}")
        return back(request, form, f"timing: {now['mode']}, delay {now['delay']} s")

    def advance(request: Request, form: _Form) -> Response:
        job_id = request.path_params["job_id"]
        found = controls.advance(job_id)
        return back(request, form, f"job {job_id}: {found['state'] if found else 'gone'}")

    def fail(request: Request, form: _Form) -> Response:
        job_id = request.path_params["job_id"]
        reasons = [line.strip() for line in (form.get("reasons") or "").splitlines() if line.strip()]
        ok = controls.fail(job_id, reasons or ["Failure injected from the console."])
        return back(request, form, f"job {job_id}: {'failed' if ok else 'already finished, not failed'}")

    def fail_next(request: Request, form: _Form) -> Response:
        reasons = [line.strip() for line in (form.get("reasons") or "").splitlines() if line.strip()]
        controls.fail_next(reasons or ["Failure injected from the console."], form.get("kind") or None)
        return back(request, form, "the next job will fail")

    def reset(request: Request, form: _Form) -> Response:
        account = form.get("account") or None
        if form.get("confirm") != "yes":
            return back(request, form, "not reset: tick the box to confirm")
        controls.reset(account)
        return back(request, form, f"reset {'account ' + account if account else 'every account'}")

    def import_archive(request: Request, form: _Form) -> Response:
        data = form.pop("_body", None)
        if not data:
            return JSONResponse({"error": "drop a Lex V2 or V1 .zip or a QuickSight .qs file"}, status_code=400)
        account = form.get("account") or DEFAULT_ACCOUNT
        region = form.get("region") or DEFAULT_REGION
        try:
            started = uploads.start(instance, account, region, form.get("filename", ""), data, dict(form),
                                    base_url(request))
        except uploads.UploadProblem as problem:
            return JSONResponse({"error": str(problem)}, status_code=400)
        except AWSError as error:
            return JSONResponse({"error": f"{error.code}: {error.message}"}, status_code=400)
        except (UrlRefused, FileExistsError, OSError) as error:
            return JSONResponse({"error": f"the upload could not be stored: {error}"}, status_code=500)
        job = controls.find(started.aws_id, account, region)
        where = f"{BASE}/jobs/{quote(job.id, safe='')}" if job else f"{BASE}/"
        return JSONResponse({"service": started.service, "aws_id": started.aws_id, "job": job.id if job else None,
                             "location": where})

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(_static(name), media_type=STATIC_TYPES[Path(name).suffix],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    gets = [
        ("/", index), ("/scopes/{account}/{region}", scope_page),
        ("/resources/{kind}/{account}/{region}", resource), ("/jobs/{job_id}", job_page),
        ("/jobs/{job_id}/download", download), ("/live/jobs", live),
    ]
    posts = [
        ("/timing", timing), ("/jobs/{job_id}/advance", advance), ("/jobs/{job_id}/fail", fail),
        ("/fail-next", fail_next), ("/reset", reset), ("/import", import_archive), ("/logout", logout),
    ]
    return [
        Route(BASE, lambda request: RedirectResponse(f"{BASE}/", status_code=308)),
        *(Route(BASE + path, page(endpoint), methods=["GET"]) for path, endpoint in gets),
        *(Route(BASE + path, page(endpoint, post=True), methods=["POST"]) for path, endpoint in posts),
        Route(f"{BASE}/login", page(login_page, login=False), methods=["GET"]),
        Route(f"{BASE}/login", page(login, post=True, login=False), methods=["POST"]),
        Route(f"{BASE}/static/{{name}}", page(static, login=False), methods=["GET"]),
    ]


def _local(target: str) -> str:
    """A redirect target inside the console only (never another site)."""
    return target if target.startswith(f"{BASE}/") and "//" not in target and "\\" not in target else f"{BASE}/"
