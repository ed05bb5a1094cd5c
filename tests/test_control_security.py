"""The control API is closed to web pages and foreign hosts; the data dir is checked before the server
starts; upload URLs take one PUT, and a failed PUT answers S3's error and leaves nothing."""

from __future__ import annotations

import errno
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import boto3
import pytest
import requests
from click.testing import CliRunner
from conftest import free_port
from lexv2_helpers import bot_spec, simple_bot, zip_bytes

from localexport import mock_export
from localexport.app import LocalExport
from localexport.cli import main
from localexport.config import Settings
from localexport.core.artifacts import Incoming
from localexport.core.clock import Clock
from localexport.remote import ControlError, RemoteControls

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

CONTROL = "/_localexport/control"


def _instance(**settings) -> LocalExport:
    return LocalExport(Settings(job_mode="immediate", **settings), in_memory=True)


@pytest.fixture
def http(local):
    """HTTP to the app in-process, addressed as a local caller would (Host: 127.0.0.1)."""
    with TestClient(local.app, base_url="http://127.0.0.1:4577") as client:
        yield client


def _bot_archive(intent: str) -> bytes:
    return zip_bytes({
        "Manifest.json": {"metaData": {"schemaVersion": "1", "fileFormat": "LexJson", "resourceType": "BOT"}},
        "B/Bot.json": {"name": "B", "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300},
        "B/BotLocales/en_US/BotLocale.json": {"identifier": "en_US", "nluConfidenceThreshold": 0.4},
        f"B/BotLocales/en_US/Intents/{intent}/Intent.json": {"name": intent,
                                                             "sampleUtterances": [{"utterance": "hi"}]},
    })


# -- 1. who may reach the controls -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:4577", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "testserver", "0.0.0.0:4577", ""])
def test_a_foreign_host_header_is_refused_dns_rebinding(http, lex, host):
    simple_bot(lex, build=False)
    reset = http.post(f"{CONTROL}/reset", json={}, headers={"Host": host})
    assert reset.status_code == 403 and "error" in reset.json()
    assert http.get(f"{CONTROL}/jobs", headers={"Host": host}).status_code == 403
    assert [b["botName"] for b in lex.list_bots()["botSummaries"]] == ["PizzaBot"]  # nothing was erased


@pytest.mark.parametrize("host", ["127.0.0.1:4577", "127.8.9.10", "localhost", "LOCALHOST:4577", "app.localhost:80",
                                  "[::1]:4577", "[::ffff:127.0.0.1]", "localhost.", "localexport.mock"])
def test_loopback_names_reach_the_controls(http, host):
    assert http.get(f"{CONTROL}/jobs", headers={"Host": host}).json() == {"jobs": []}


def test_the_configured_host_reaches_the_controls_a_wildcard_does_not():
    named, wildcard = _instance(host="devbox.example"), _instance(host="0.0.0.0")
    try:
        with TestClient(named.app) as client:
            assert client.get(f"{CONTROL}/jobs", headers={"Host": "devbox.example:4577"}).status_code == 200
            assert client.get(f"{CONTROL}/jobs", headers={"Host": "other.example"}).status_code == 403
        with TestClient(wildcard.app) as client:
            assert client.get(f"{CONTROL}/jobs", headers={"Host": "0.0.0.0:4577"}).status_code == 403
            assert client.get(f"{CONTROL}/jobs", headers={"Host": "127.0.0.1:4577"}).status_code == 200
    finally:
        named.close()
        wildcard.close()


def test_the_in_process_names_are_only_for_an_in_memory_instance(tmp_path):
    served = LocalExport(Settings(data_dir=tmp_path / "data", job_mode="immediate"))
    try:
        with TestClient(served.app, base_url="http://localexport") as client:
            assert client.get(f"{CONTROL}/jobs").status_code == 403
            assert client.get(f"{CONTROL}/jobs", headers={"Host": "localhost"}).status_code == 200
    finally:
        served.close()


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://localhost.evil.example:4577"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "http://127.0.0.1:4577", "Sec-Fetch-Site": "cross-site"}])
def test_cross_origin_requests_are_refused(http, lex, headers):
    simple_bot(lex, build=False)
    refused = http.post(f"{CONTROL}/reset", json={}, headers=headers)
    assert refused.status_code == 403 and "cross-origin" in refused.json()["error"]
    assert lex.list_bots()["botSummaries"]


@pytest.mark.parametrize("headers", [{}, {"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:4577"},
                                     {"Sec-Fetch-Site": "none"}, {"Origin": "http://localhost:4577"}])
def test_same_origin_and_non_browser_requests_pass(http, headers):
    assert http.post(f"{CONTROL}/reset", json={}, headers=headers).json() == {"reset": True}


def test_health_and_signed_artifact_urls_answer_any_host(local, lex):
    """SDK users on other machines fetch archives by whatever name they know the server by."""
    with TestClient(local.app, base_url="http://files.example.net") as client:
        assert client.get("/_localexport/health").json()["status"] == "ok"
        bot = simple_bot(lex)
        export = lex.create_export(resourceSpecification={"botExportSpecification": {
            "botId": bot["botId"], "botVersion": "DRAFT"}}, fileFormat="LexJson")
        url = lex.describe_export(exportId=export["exportId"])["downloadUrl"]
        assert client.get(url, headers={"Host": "files.example.net", "Origin": "http://evil.example"}).status_code == 200
        slot = lex.create_upload_url()
        assert client.put(slot["uploadUrl"], content=b"x", headers={"Host": "files.example.net"}).status_code == 200


@pytest.mark.parametrize("content, content_type", [(b'{"reasons": ["csrf"]}', "text/plain"),
                                                   (b"reasons=csrf", "application/x-www-form-urlencoded"),
                                                   (b'{"reasons": ["csrf"]}', None)])
def test_a_post_body_that_is_not_declared_json_is_refused(http, lex, content, content_type):
    """A page may post text/plain or a form to any address without asking first."""
    headers = {"Content-Type": content_type} if content_type else {}
    refused = http.post(f"{CONTROL}/fail-next", content=content, headers=headers)
    assert refused.status_code == 415 and "application/json" in refused.json()["error"]
    bot = simple_bot(lex)
    export = lex.create_export(resourceSpecification={"botExportSpecification": {
        "botId": bot["botId"], "botVersion": "DRAFT"}}, fileFormat="LexJson")
    assert lex.describe_export(exportId=export["exportId"])["exportStatus"] == "Completed"  # not armed


@pytest.mark.parametrize("content", [b"{nope", b'{"advance": NaN}', b'{"advance": Infinity}', b"[1]", b'"x"',
                                     b"\xff\xfe"])
def test_a_malformed_json_body_is_400(http, content):
    refused = http.post(f"{CONTROL}/clock", content=content, headers={"Content-Type": "application/json"})
    assert refused.status_code == 400 and refused.json()["error"]


def test_an_empty_body_is_an_empty_object(http, local):
    assert http.post(f"{CONTROL}/reset").json() == {"reset": True}
    assert http.post(f"{CONTROL}/clock", headers={"Content-Type": "application/json; charset=utf-8"},
                     content=b'{"advance": 1}').status_code == 200


# -- the token ---------------------------------------------------------------------------------------


def test_with_a_token_every_control_call_needs_it_health_does_not():
    instance = _instance(control_token="s3cret")
    try:
        with TestClient(instance.app, base_url="http://127.0.0.1:4577") as client:
            assert client.get("/_localexport/health").status_code == 200
            for headers in ({}, {"X-Localexport-Token": "wrong"}, {"X-Localexport-Token": "s3cre"}):
                refused = client.post(f"{CONTROL}/reset", json={}, headers=headers)
                assert refused.status_code == 401 and "X-Localexport-Token" in refused.json()["error"]
                assert client.get(f"{CONTROL}/jobs", headers=headers).status_code == 401
            assert client.get(f"{CONTROL}/jobs", headers={"X-Localexport-Token": "s3cret"}).json() == {"jobs": []}
            # the host and origin checks still hold with the token
            assert client.get(f"{CONTROL}/jobs", headers={"X-Localexport-Token": "s3cret",
                                                          "Host": "evil.example"}).status_code == 403
    finally:
        instance.close()


def test_remote_controls_and_the_cli_send_the_token(server_factory, monkeypatch):
    server = server_factory(LOCALEXPORT_CONTROL_TOKEN="s3cret", LOCALEXPORT_JOB_MODE="immediate")
    monkeypatch.delenv("LOCALEXPORT_CONTROL_TOKEN", raising=False)
    with pytest.raises(ControlError, match="401"):
        RemoteControls(server.url).jobs()
    with pytest.raises(ControlError, match="401"):
        RemoteControls(server.url).fail("NOSUCHJOB", ["x"])  # a refusal is not "the job had ended"
    assert RemoteControls(server.url, token="s3cret").jobs() == []
    runner = CliRunner()
    refused = runner.invoke(main, ["jobs", "--url", server.url])
    assert refused.exit_code == 1 and "401" in refused.output and "Traceback" not in refused.output
    assert runner.invoke(main, ["reset", "--url", server.url, "--token", "s3cret"]).exit_code == 0
    assert runner.invoke(main, ["jobs", "--url", server.url], env={"LOCALEXPORT_CONTROL_TOKEN": "s3cret"},
                         terminal_width=200).exit_code == 0
    monkeypatch.setenv("LOCALEXPORT_CONTROL_TOKEN", "s3cret")
    assert RemoteControls(server.url).timing()["mode"] == "immediate"  # the variable is the default


PLUGIN_USER = """
import requests

def test_it(localexport_server):
    assert localexport_server.controls.jobs() == []
    denied = requests.get(localexport_server.url + "/_localexport/control/jobs", timeout=10)
    assert denied.status_code == 401  # the server was started with the token
"""


def test_the_plugins_server_fixture_passes_the_token(tmp_path):
    (tmp_path / "test_user.py").write_text(PLUGIN_USER)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "LOCALEXPORT_CONTROL_TOKEN": "s3cret"})
    assert result.returncode == 0, result.stdout + result.stderr


# -- the clock and the timing delay ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "5", -1, -0.001, True, 10**400, 1e300, [1], {"s": 1}])
def test_clock_advance_takes_only_a_finite_non_negative_number(http, local, value):
    before = local.runtime.clock.now()
    refused = http.post(f"{CONTROL}/clock", json={"advance": value})
    assert refused.status_code == 400 and "advance" in refused.json()["error"]
    assert abs(local.runtime.clock.now() - before) < 60  # the clock did not move
    assert http.post(f"{CONTROL}/clock", json={"advance": 1.5}).json()["now"] >= before + 1.5


def test_the_python_clock_and_controls_refuse_it_too(local):
    for value in (math.nan, math.inf, -math.inf, -1):
        with pytest.raises(ValueError):
            local.controls.advance_clock(value)
        with pytest.raises(ValueError):
            Clock().advance(value)
        with pytest.raises(ValueError):
            local.controls.set_timing(delay=value)
    with pytest.raises(TypeError):
        local.controls.advance_clock("5")
    assert math.isfinite(local.runtime.clock.now())
    assert local.controls.set_timing("manual", 0.25) == {"mode": "manual", "delay": 0.25}


@pytest.mark.parametrize("value", ["nan", "2", -1, True, 10**400])
def test_timing_delay_takes_only_a_finite_non_negative_number(http, local, value):
    refused = http.post(f"{CONTROL}/timing", json={"mode": "manual", "delay": value})
    assert refused.status_code == 400 and "delay" in refused.json()["error"]
    assert local.controls.timing() == {"mode": "immediate", "delay": 2.0}  # nothing changed, not even the mode
    assert http.post(f"{CONTROL}/timing", json={"delay": 0}).json()["delay"] == 0


def test_other_fields_of_the_wrong_type_are_400(http):
    assert http.post(f"{CONTROL}/fail-next", json={"reasons": "abc"}).status_code == 400
    assert http.post(f"{CONTROL}/timing", json={"mode": ["manual"]}).status_code == 400
    assert http.post(f"{CONTROL}/reset", json={"account": 123}).status_code == 400
    assert http.post(f"{CONTROL}/console/lex-models/PutBotChannelAssociation", json={"params": [1]}).status_code == 400


# -- serve: an open network address, a data dir that cannot be written --------------------------------


@pytest.mark.parametrize("host, token, warned", [("0.0.0.0", "", True), ("::", "", True), ("192.0.2.7", "", True),
                                                 ("0.0.0.0", "s3cret", False), ("127.0.0.1", "", False),
                                                 ("localhost", "", False)])
def test_serve_warns_when_the_control_api_is_open_to_the_network(tmp_path, monkeypatch, host, token, warned):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # nothing is bound
    result = CliRunner().invoke(main, ["serve", "--host", host, "--data-dir", str(tmp_path)],
                                env={"LOCALEXPORT_CONTROL_TOKEN": token})
    assert result.exit_code == 0, result.output
    assert ("LOCALEXPORT_CONTROL_TOKEN" in result.stderr and "WARNING" in result.stderr) is warned


def _serve(data_dir: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "localexport", "serve", "--port", str(free_port()), "--data-dir", str(data_dir)]
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "LOCALEXPORT_CONTROL_TOKEN": ""})


def _refused(result: subprocess.CompletedProcess, path: Path, cause: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert str(path) in line and cause in line, line


def test_serve_refuses_a_data_dir_under_a_file(tmp_path):
    (tmp_path / "file").write_text("")
    _refused(_serve(tmp_path / "file" / "sub"), tmp_path / "file" / "sub", "Not a directory")


def test_serve_refuses_a_data_dir_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("")
    _refused(_serve(tmp_path / "file"), tmp_path / "file", "not a directory")


@pytest.mark.parametrize("inside", ["s3", "artifacts/objects"])
def test_serve_refuses_a_data_dir_whose_folders_it_cannot_use(tmp_path, inside):
    (tmp_path / inside).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / inside).write_text("")  # where the server keeps its S3 or its archives: a file
    _refused(_serve(tmp_path), tmp_path, f"{tmp_path / inside} is not a directory")


def test_serve_refuses_a_database_it_cannot_write(tmp_path):
    (tmp_path / "localexport.db").mkdir()  # what no one can open for writing, root included
    _refused(_serve(tmp_path), tmp_path, "Is a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root: a mode of 0o500 does not stop root from writing")
def test_serve_refuses_a_read_only_data_dir(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    try:
        _refused(_serve(data), data, "Permission denied")
    finally:
        data.chmod(0o700)


# -- 3. an upload URL takes one PUT ------------------------------------------------------------------


def test_an_upload_url_cannot_swap_the_bytes_a_queued_import_reads():
    with mock_export(job_mode="manual") as mock:
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        slot = lex.create_upload_url()
        assert requests.put(slot["uploadUrl"], data=_bot_archive("Hello"), timeout=10).status_code == 200
        lex.start_import(importId=slot["importId"], resourceSpecification=bot_spec("Imported"),
                         mergeStrategy="FailOnConflict")
        swap = requests.put(slot["uploadUrl"], data=_bot_archive("Evil"), timeout=10)
        assert swap.status_code == 403
        assert "<Code>AccessDenied</Code>" in swap.text and "has already been used" in swap.text
        mock.controls.advance(slot["importId"])
        done = lex.describe_import(importId=slot["importId"])
        assert done["importStatus"] == "Completed", done
        intents = {i["intentName"] for i in lex.list_intents(botId=done["importedResourceId"], botVersion="DRAFT",
                                                             localeId="en_US")["intentSummaries"]}
        assert "Hello" in intents and "Evil" not in intents


def test_two_writers_on_one_key_publish_once(local):
    """The check before the body is only a shortcut: the publish itself never replaces a file."""
    artifacts = local.runtime.artifacts
    key = "uploads/a/import.zip"
    first, second = artifacts.incoming(key), artifacts.incoming(key)
    first.write(b"first")  # two PUTs, both past the check, writing at once
    second.write(b"second")
    second.publish(exclusive=True)  # the second finishes first and is published
    with pytest.raises(FileExistsError):
        first.publish(exclusive=True)
    first.discard()
    assert artifacts.path("uploads/a/import.zip").read_bytes() == b"second"


def test_a_failed_put_leaves_nothing_and_may_be_retried(local, lex, wire):
    local.settings.max_body_bytes = 1024
    slot = lex.create_upload_url()
    too_large = wire.http.put(slot["uploadUrl"], content=b"x" * 2048)
    assert too_large.status_code == 400 and "<Code>EntityTooLarge</Code>" in too_large.text
    assert wire.http.put(slot["uploadUrl"], content=b"x" * 10).status_code == 200
    assert wire.http.put(slot["uploadUrl"], content=b"y").status_code == 403


# -- 4. a write failure answers S3's error ------------------------------------------------------------


@pytest.mark.parametrize("where, code, cause", [("write", errno.ENOSPC, "No space left on device"),
                                                ("write", errno.EROFS, "Read-only file system"),
                                                ("fsync", errno.ENOSPC, "No space left on device")])
def test_a_write_failure_answers_an_s3_internal_error(local, lex, wire, monkeypatch, where, code, cause):
    def fail(*args):
        raise OSError(code, os.strerror(code))

    if where == "write":
        monkeypatch.setattr(Incoming, "write", fail)
    else:  # where a full disk with delayed allocation shows (an in-memory instance syncs nothing: made durable)
        monkeypatch.setattr(local.runtime.artifacts, "durable", True)
        monkeypatch.setattr(os, "fsync", fail)
    slot = lex.create_upload_url()
    failed = wire.http.put(slot["uploadUrl"], content=_bot_archive("Hello"))
    assert failed.status_code == 500 and failed.headers["content-type"].startswith("application/xml")
    assert "<Code>InternalError</Code>" in failed.text and cause in failed.text
    monkeypatch.undo()  # the disk has room again: the same URL works, nothing was left
    assert wire.http.put(slot["uploadUrl"], content=_bot_archive("Hello")).status_code == 200
    lex.start_import(importId=slot["importId"], resourceSpecification=bot_spec("Imported"),
                     mergeStrategy="FailOnConflict")
    assert lex.describe_import(importId=slot["importId"])["importStatus"] == "Completed"


def test_allowed_hosts_name_a_shared_instance(tmp_path):
    from starlette.testclient import TestClient

    from localexport.app import LocalExport
    from localexport.config import Settings

    instance = LocalExport(Settings(job_mode="immediate", host="0.0.0.0", allowed_hosts="devbox, team.example"),
                           in_memory=True)
    try:
        http = TestClient(instance.app)
        for host, status in (("devbox:4577", 200), ("team.example", 200), ("evil.example", 403)):
            assert http.get("http://x/_localexport/control/jobs", headers={"Host": host}).status_code == status
    finally:
        instance.close()


def test_a_control_body_is_bounded(local):
    from starlette.testclient import TestClient

    http = TestClient(local.app, base_url="http://127.0.0.1")
    big = b'{"reasons": ["' + b"x" * (2 * 1024 * 1024) + b'"]}'
    response = http.post("/_localexport/control/fail-next", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_the_job_engine_refuses_a_non_finite_delay(local):
    for bad in (float("nan"), float("inf"), -1):
        with pytest.raises(ValueError):
            local.runtime.engine.configure(delay=bad)
    assert local.runtime.engine.delay >= 0
