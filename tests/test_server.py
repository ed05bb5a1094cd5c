"""The main flows against a real ``localexport serve`` process on loopback."""

from __future__ import annotations

import time

import requests
from conftest import client
from lexv2_helpers import bot_spec, export_and_download, read_zip, simple_bot


def test_export_flow_against_a_real_server(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="1")  # realistic mode, the serve default
    lex = client("lexv2-models", server.url)
    built = simple_bot(lex)
    lex.get_waiter("bot_locale_built").wait(**built["where"], WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    lex.create_bot_version(botId=built["botId"], botVersionLocaleSpecification={"en_US": {"sourceBotVersion": "DRAFT"}})
    lex.get_waiter("bot_version_available").wait(botId=built["botId"], botVersion="1",
                                                 WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    spec = {"botExportSpecification": {"botId": built["botId"], "botVersion": "1"}}
    created = lex.create_export(resourceSpecification=spec, fileFormat="LexJson")
    assert created["exportStatus"] == "InProgress"
    assert lex.describe_export(exportId=created["exportId"])["exportStatus"] == "InProgress"
    lex.get_waiter("bot_export_completed").wait(exportId=created["exportId"], WaiterConfig={"Delay": 0.1})
    described, data = export_and_download(lex, requests.get, spec, password="pw-123456")
    assert described["downloadUrl"].startswith(server.url)
    files = read_zip(data, "pw-123456")
    assert files["PizzaBot/Bot.json"]["version"] == "1"
    url = lex.describe_export(exportId=created["exportId"])["downloadUrl"]
    assert read_zip(requests.get(url).content)["Manifest.json"]["metaData"]["resourceType"] == "BOT"


def _wait_done(lex, export_id: str, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        described = lex.describe_export(exportId=export_id)
        if described["exportStatus"] != "InProgress":
            return described
        time.sleep(0.1)
    raise AssertionError(f"export {export_id} stuck InProgress")


def _export_then_kill(server_factory, data_dir, **export_args) -> str:
    """Start an export on a manual-mode server, then SIGKILL it (no shutdown code runs)."""
    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="manual")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                                  fileFormat="LexJson", **export_args)["exportId"]
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "InProgress"
    server.kill()
    return export_id


def test_export_survives_a_killed_server(server_factory, tmp_path):
    data_dir = tmp_path / "data"
    export_id = _export_then_kill(server_factory, data_dir, filePassword="keep-me")

    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="realistic", LOCALEXPORT_JOB_DELAY="0.1")
    lex = client("lexv2-models", server.url)
    described = _wait_done(lex, export_id)
    assert described["exportStatus"] == "Completed"
    assert read_zip(requests.get(described["downloadUrl"]).content, "keep-me")["Manifest.json"]


def test_job_running_when_killed_runs_again(server_factory, tmp_path):
    data_dir = tmp_path / "data"
    export_id = _export_then_kill(server_factory, data_dir)
    # mark the job as running, as if the process died in the middle of writing the archive
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{data_dir / 'localexport.db'}")
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE jobs SET state='running', attempts=1 WHERE id=:id"), {"id": export_id})
    engine.dispose()
    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="immediate")
    lex = client("lexv2-models", server.url)
    assert _wait_done(lex, export_id)["exportStatus"] == "Completed"


def test_http_controls(server_factory):
    server = server_factory(LOCALEXPORT_JOB_MODE="manual")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    assert requests.get(f"{server.url}/_localexport/control/timing").json()["mode"] == "manual"
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    jobs = requests.get(f"{server.url}/_localexport/control/jobs").json()["jobs"]
    assert [(j["id"], j["state"]) for j in jobs] == [(export_id, "queued")]
    assert requests.post(f"{server.url}/_localexport/control/jobs/{export_id}/fail",
                         json={"reasons": ["boom"]}).json() == {"failed": True}
    described = lex.describe_export(exportId=export_id)
    assert described["exportStatus"] == "Failed" and described["failureReasons"] == ["boom"]
    requests.post(f"{server.url}/_localexport/control/timing", json={"mode": "immediate"})
    requests.post(f"{server.url}/_localexport/control/fail-next", json={"reasons": ["next one"]})
    lex.delete_export(exportId=export_id)
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    assert lex.describe_export(exportId=export_id)["failureReasons"] == ["next one"]
    requests.post(f"{server.url}/_localexport/control/reset", json={})
    assert lex.list_bots()["botSummaries"] == []


def test_import_flow_against_a_real_server(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.1")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    _, archive = export_and_download(lex, requests.get, {"botExportSpecification": {"botId": bot_id,
                                                                                   "botVersion": "DRAFT"}},
                                     password="move-me")
    other = client("lexv2-models", server.url, account="999988887777")
    slot = other.create_upload_url()
    assert slot["uploadUrl"].startswith(server.url)
    assert requests.put(slot["uploadUrl"], data=archive).status_code == 200
    started = other.start_import(importId=slot["importId"], resourceSpecification=bot_spec("Promoted"),
                                 mergeStrategy="FailOnConflict", filePassword="move-me")
    assert started["importStatus"] == "InProgress"
    other.get_waiter("bot_import_completed").wait(importId=slot["importId"], WaiterConfig={"Delay": 0.1})
    described = other.describe_import(importId=slot["importId"])
    assert described["importStatus"] == "Completed"
    where = {"botId": described["importedResourceId"], "botVersion": "DRAFT", "localeId": "en_US"}
    assert {i["intentName"] for i in other.list_intents(**where)["intentSummaries"]} == {"FallbackIntent",
                                                                                        "OrderPizza"}
    assert [b["botName"] for b in lex.list_bots()["botSummaries"]] == ["PizzaBot"]


def test_lex_v1_export_and_import_against_a_real_server(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.1")
    v1 = client("lex-models", server.url)
    v1.put_slot_type(name="Sizes", enumerationValues=[{"value": "small"}], createVersion=True)
    v1.put_intent(name="OrderPizza", sampleUtterances=["a {size} pizza"], createVersion=True,
                  slots=[{"name": "size", "slotConstraint": "Optional", "slotType": "Sizes", "slotTypeVersion": "1",
                          "priority": 1}])
    v1.put_bot(name="PizzaBot", locale="en-US", childDirected=False,
               intents=[{"intentName": "OrderPizza", "intentVersion": "1"}],
               abortStatement={"messages": [{"contentType": "PlainText", "content": "Bye"}]})
    deadline = time.monotonic() + 10
    while v1.get_bot(name="PizzaBot", versionOrAlias="$LATEST")["status"] != "READY":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    v1.create_bot_version(name="PizzaBot")
    params = {"name": "PizzaBot", "version": "1", "resourceType": "BOT", "exportType": "LEX"}
    status = v1.get_export(**params)
    while status["exportStatus"] == "IN_PROGRESS":
        time.sleep(0.05)
        status = v1.get_export(**params)
    assert status["exportStatus"] == "READY" and status["url"].startswith(server.url)
    archive = requests.get(status["url"]).content

    other = client("lex-models", server.url, account="555566667777")
    import_id = other.start_import(payload=archive, resourceType="BOT", mergeStrategy="FAIL_ON_CONFLICT",
                                   tags=[{"key": "from", "value": "dev"}])["importId"]
    deadline = time.monotonic() + 10
    while (done := other.get_import(importId=import_id))["importStatus"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert done["importStatus"] == "COMPLETE" and done["name"] == "PizzaBot"
    assert other.get_bot(name="PizzaBot", versionOrAlias="$LATEST")["intents"] == [
        {"intentName": "OrderPizza", "intentVersion": "1"}]
    assert other.list_tags_for_resource(resourceArn="arn:aws:lex:us-east-1:555566667777:bot:PizzaBot")["tags"] == [
        {"key": "from", "value": "dev"}]
