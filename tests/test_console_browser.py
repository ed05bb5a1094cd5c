"""The web console in a real browser: Playwright driving the system's Chromium (never a downloaded one)
against a real ``localexport serve`` on loopback. One server and one browser for the module.

Watches a job go from queued to done in realistic mode without a reload, downloads its archive from the
button, imports archives by the file input and by a real drop, fails a job in manual mode from the page,
checks that no page logged an error, and writes screenshots of the main pages (the README's, in
docs/screenshots/, with LOCALEXPORT_SCREENSHOTS=docs/screenshots)."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
import requests
from conftest import ServerProcess, client
from lexv2_helpers import simple_bot
from test_lexv1 import make_bot

sync_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed "
                                                               "(pip install -e '.[test]')")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and Path("/usr/bin/chromium").exists():
    CHROMIUM = "/usr/bin/chromium"
if CHROMIUM is None:
    pytest.skip("no chromium on PATH (Debian: apt-get install chromium)", allow_module_level=True)

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# LOCALEXPORT_SCREENSHOTS=docs/screenshots refreshes the README's screenshots; otherwise they go to a temporary
# folder (job ids and times differ on every run, and a test run should leave the checkout as it was)
SCREENSHOTS = Path(os.environ.get("LOCALEXPORT_SCREENSHOTS") or tempfile.mkdtemp(prefix="localexport-screens-"))
UI = "/_localexport/ui"
ACCOUNT = "123456789012"
DELAY = 2.0  # realistic mode: long enough for the page (polling every second) to show the job queued
FAST = {"Delay": 0.05, "MaxAttempts": 200}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("console"), LOCALEXPORT_JOB_MODE="realistic",
                            LOCALEXPORT_JOB_DELAY=str(DELAY)).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        except sync_api.Error as error:
            pytest.skip(f"chromium at {CHROMIUM} does not start: {str(error).splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; the test fails if any page logged an error or threw."""
    context = browser.new_context(viewport={"width": 1180, "height": 820}, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    tab.set_default_timeout(20_000)
    yield tab
    context.close()
    assert errors == []


def timing(server, mode: str, delay: float = DELAY) -> None:
    response = requests.post(f"{server.url}/_localexport/control/timing", json={"mode": mode, "delay": delay},
                             timeout=10)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def bot(server):
    """A built Lex V2 bot (made in immediate mode: the waiters need not wait), and a Lex V1 one."""
    timing(server, "immediate")
    try:
        made = simple_bot(client("lexv2-models", server.url))
        make_bot(client("lex-models", server.url))
    finally:
        timing(server, "realistic")
    return made


def row(page, aws_id: str):
    return page.locator("tbody[data-live] tr", has=page.locator("code", has_text=aws_id))


def test_a_job_goes_from_queued_to_done_live_and_its_archive_downloads(server, bot, page):
    lex = client("lexv2-models", server.url)
    page.goto(f"{server.url}{UI}/")
    page.evaluate("window.__noReload = true")
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot["botId"],
                                                                                    "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    job = row(page, export_id)
    sync_api.expect(job.locator(".state")).to_have_text("queued", timeout=DELAY * 1000)
    sync_api.expect(job.locator(".state")).to_have_text("succeeded", timeout=15_000)
    assert page.evaluate("window.__noReload") is True  # the same document: updated in place
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Completed"

    with page.expect_download() as download:
        job.get_by_role("link", name="Download").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "Manifest.json" in archive.namelist() and "PizzaBot/Bot.json" in archive.namelist()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"))
    job.get_by_role("link", name=export_id, exact=True).click()
    sync_api.expect(page.locator("#archive-tree")).to_contain_text("Bot.json")
    page.screenshot(path=str(SCREENSHOTS / "job.png"), full_page=True)
    page.goto(f"{server.url}{UI}/scopes/{ACCOUNT}/us-east-1")
    sync_api.expect(page.get_by_role("heading", name="Bot locales")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "resources.png"))
    page.get_by_role("link", name="DescribeBot").first.click()
    sync_api.expect(page.locator("pre.json")).to_contain_text('"botName": "PizzaBot"')
    page.screenshot(path=str(SCREENSHOTS / "resource-json.png"))


def test_archives_dropped_on_the_page_are_imported(server, bot, page):
    lex, v1 = client("lexv2-models", server.url), client("lex-models", server.url)
    timing(server, "immediate")
    try:
        created = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot["botId"],
                                                                                      "botVersion": "DRAFT"}},
                                    fileFormat="LexJson")
        lex.get_waiter("bot_export_completed").wait(exportId=created["exportId"], WaiterConfig=FAST)
        v2_zip = requests.get(lex.describe_export(exportId=created["exportId"])["downloadUrl"], timeout=10).content
        v1_zip = requests.get(v1.get_export(name="PizzaBot", version="1", resourceType="BOT",
                                            exportType="LEX")["url"], timeout=10).content
    finally:
        timing(server, "realistic")

    # the file input (what a keyboard user takes)
    page.goto(f"{server.url}{UI}/")
    page.set_input_files("#import-file", files=[{"name": "PizzaBot.zip", "mimeType": "application/zip",
                                                  "buffer": v2_zip}])
    page.get_by_label("Bot name (Lex V2, optional)").fill("DroppedPizza")
    page.get_by_role("button", name="Start import").click()
    page.wait_for_url("**/jobs/*")
    sync_api.expect(page.locator("tbody[data-live] .state")).to_have_text("succeeded", timeout=15_000)
    assert "DroppedPizza" in [b["botName"] for b in lex.list_bots()["botSummaries"]]

    # a real drop event, carrying a file as a drag from the desktop does
    page.goto(f"{server.url}{UI}/")
    page.select_option("select[name=mergeStrategy]", "OVERWRITE_LATEST")
    transfer = page.evaluate_handle("""(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "PizzaBot_Export.zip", { type: "application/zip" }));
        return dt;
    }""", base64.b64encode(v1_zip).decode())
    zone = page.locator("#import-form")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    page.wait_for_url("**/jobs/*")
    sync_api.expect(page.locator("tbody[data-live] .state")).to_have_text("succeeded", timeout=15_000)
    import_id = page.locator("tbody[data-live] code").first.inner_text()
    assert v1.get_import(importId=import_id)["importStatus"] == "COMPLETE"


def test_a_job_is_failed_from_the_page_in_manual_mode(server, bot, page):
    lex = client("lexv2-models", server.url)
    page.goto(f"{server.url}{UI}/#controls")
    page.get_by_role("radio", name="manual").check()
    page.get_by_role("button", name="Set timing").click()
    sync_api.expect(page.locator("#timing-badge")).to_contain_text("manual")
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot["botId"],
                                                                                    "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    job = row(page, export_id)
    sync_api.expect(job.locator(".state")).to_have_text("queued")
    job.get_by_role("button", name="Fail").focus()
    page.keyboard.press("Enter")  # keyboard-usable: a real button
    sync_api.expect(row(page, export_id).locator(".state")).to_have_text("failed")
    described = lex.describe_export(exportId=export_id)
    assert described["exportStatus"] == "Failed"
    assert described["failureReasons"] == ["Failure injected from the console."]
    page.get_by_role("radio", name="realistic").check()
    page.get_by_role("button", name="Set timing").click()
    sync_api.expect(page.locator("#timing-badge")).to_contain_text("realistic")


def test_the_console_reads_on_a_phone(server, bot, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    phone.goto(f"{server.url}{UI}/")
    sync_api.expect(phone.get_by_role("heading", name="Jobs")).to_be_visible()
    # no sideways scrolling of the page itself
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.screenshot(path=str(SCREENSHOTS / "phone.png"))
    context.close()
    assert errors == []
    shot = SCREENSHOTS / "phone.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size < 400_000
