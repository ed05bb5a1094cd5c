"""The web console (``/_localexport/ui/``) through Starlette's TestClient: pages of resources made with boto3,
Describe answers as boto3 sees them, the controls' locks, imports by upload, archives and their trees."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile

import pytest
import quicksight_helpers as qsh
from lexv2_helpers import simple_bot
from personalize_helpers import INTERACTIONS, dataset, export_job, import_job, put_csv
from starlette.testclient import TestClient
from test_lexv1 import make_bot

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.console.calls import to_json

UI = "/_localexport/ui"
ACCOUNT = "123456789012"


@pytest.fixture
def ui(local):
    with TestClient(local.app, base_url="http://127.0.0.1:4577") as browser:
        yield browser


def csrf(ui) -> str:
    return re.search(r'name="csrf" content="([^"]+)"', ui.get(f"{UI}/").text).group(1)


def post(ui, path: str, **fields):
    return ui.post(UI + path, data={"csrf": csrf(ui), **fields}, headers={"Origin": "http://127.0.0.1:4577"},
                   follow_redirects=False)


def sdk(answer: dict) -> dict:
    """A boto3 answer as the console prints it (QuickSight repeats each call's own request id)."""
    return json.loads(to_json({k: v for k, v in answer.items() if k not in ("ResponseMetadata", "RequestId")}))


def json_of(ui, slug: str, key: str) -> dict:
    response = ui.get(f"{UI}/resources/{slug}/{ACCOUNT}/us-east-1", params={"key": key, "format": "json"})
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "RequestId"}


def test_pages_show_each_services_resources_and_statuses(ui, lex, make_client):
    bot = simple_bot(lex)
    lex.create_bot_version(botId=bot["botId"], botVersionLocaleSpecification={"en_US": {"sourceBotVersion": "DRAFT"}})
    lex.create_bot_alias(botId=bot["botId"], botAliasName="live", botVersion="1")
    make_bot(make_client("lex-models"))
    qsh.build(make_client("quicksight"))
    p, s3 = make_client("personalize"), make_client("s3")
    s3.create_bucket(Bucket="data")
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    interactions = dataset(p, group, "INTERACTIONS", INTERACTIONS)
    rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]] + [[f"u{i}", "i1", "buy", "", "1"]
                                                                                  for i in range(3)]
    assert import_job(p, interactions, put_csv(s3, "data", "in.csv", rows), "load")["status"] == "ACTIVE"
    exported = export_job(p, interactions, "data", "out", None)

    jobs = ui.get(f"{UI}/").text
    assert exported["datasetExportJobArn"] in jobs  # a Personalize job by its ARN, its output where it is
    assert "s3://data/exports/" in jobs

    index = ui.get(f"{UI}/")
    assert index.status_code == 200
    assert f"{UI}/scopes/{ACCOUNT}/us-east-1" in index.text
    assert "Content-Security-Policy" in index.headers and index.headers["X-Frame-Options"] == "DENY"
    page = ui.get(f"{UI}/scopes/{ACCOUNT}/us-east-1").text
    for heading in ("Lex V2", "Bot versions", "Bot locales", "Bot aliases", "Lex V1", "Personalize", "Dataset groups",
                    "QuickSight", "Dashboards", "Data sets", "Refresh schedules"):
        assert f">{heading}" in page, heading
    assert "live" in page and "TestBotAlias" in page and "en_US of 1" in page
    assert "Available" in page and "Built" in page  # Lex V2 statuses, as Describe* answers them
    assert "READY" in page  # Lex V1 GetBot's
    assert "3 imported records" in page and "ACTIVE" in page
    assert "Sales dashboard" in page and "CREATION_SUCCESSFUL" in page


def test_a_resources_json_is_what_boto3s_describe_answers(ui, lex, make_client):
    bot = simple_bot(lex)
    assert json_of(ui, "lexv2-models.bot", bot["botId"]) == sdk(lex.describe_bot(botId=bot["botId"]))
    assert json_of(ui, "lexv2-models.bot_locale", f"{bot['botId']}/DRAFT/en_US") == sdk(
        lex.describe_bot_locale(botId=bot["botId"], botVersion="DRAFT", localeId="en_US"))
    qs = make_client("quicksight")
    qsh.build(qs)
    assert json_of(ui, "quicksight.Dashboard", "sales-dash") == sdk(
        qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash"))
    p = make_client("personalize")
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    assert json_of(ui, "personalize.dataset_group", "dataset-group/shop") == sdk(
        p.describe_dataset_group(datasetGroupArn=group))
    html = ui.get(f"{UI}/resources/quicksight.Dashboard/{ACCOUNT}/us-east-1", params={"key": "sales-dash"})
    assert "DescribeDashboard" in html.text and "Sales dashboard" in html.text
    assert ui.get(f"{UI}/resources/quicksight.Dashboard/{ACCOUNT}/us-east-1", params={"key": "nope"}).status_code == 404


def test_controls_are_refused_to_other_hosts_and_origins_and_without_the_form_token(ui, local):
    assert ui.get(f"{UI}/", headers={"Host": "evil.example"}).status_code == 403
    assert ui.get(f"{UI}/", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    token = csrf(ui)
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "http://localhost:3000"}):  # another page on this machine is another origin too
        refused = ui.post(f"{UI}/timing", data={"csrf": token, "mode": "manual"}, headers=headers,
                          follow_redirects=False)
        assert refused.status_code == 403, headers
    assert ui.post(f"{UI}/timing", data={"mode": "manual"}, follow_redirects=False).status_code == 403  # no token
    assert local.controls.timing()["mode"] == "immediate"
    done = post(ui, "/timing", mode="manual", delay="0.5")
    assert done.status_code == 303 and local.controls.timing() == {"mode": "manual", "delay": 0.5}
    assert ui.post(f"{UI}/timing", json={"mode": "immediate"}, headers={"X-Localexport-Csrf": token},
                   follow_redirects=False).status_code == 415


def test_with_a_control_token_the_console_needs_it_once(tmp_path):
    instance = LocalExport(Settings(job_mode="immediate", control_token="s3cret-token"), in_memory=True)
    try:
        with TestClient(instance.app, base_url="http://127.0.0.1:4577") as ui:
            page = ui.get(f"{UI}/")
            assert page.status_code == 401 and 'name="token"' in page.text
            assert ui.get(f"{UI}/live/jobs").status_code == 401
            token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            assert ui.post(f"{UI}/timing", data={"csrf": token, "mode": "manual"},
                           follow_redirects=False).status_code == 401
            wrong = ui.post(f"{UI}/login", data={"csrf": token, "token": "guess"}, follow_redirects=False)
            assert wrong.status_code == 401 and "localexport_console" not in wrong.headers.get("set-cookie", "")
            assert ui.post(f"{UI}/login", data={"token": "s3cret-token"}, follow_redirects=False).status_code == 403
            ok = ui.post(f"{UI}/login", data={"csrf": token, "token": "s3cret-token"}, follow_redirects=False)
            assert ok.status_code == 303
            cookie = ok.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
            assert "s3cret-token" not in cookie
            assert ui.get(f"{UI}/").status_code == 200
            assert ui.post(f"{UI}/timing", data={"csrf": token, "mode": "manual"},
                           follow_redirects=False).status_code == 303
            assert instance.controls.timing()["mode"] == "manual"
            ui.cookies.clear()
            assert ui.get(f"{UI}/", headers={"X-Localexport-Token": "s3cret-token"}).status_code == 200
            assert ui.get(f"{UI}/").status_code == 401
    finally:
        instance.close()


def upload(ui, data: bytes, filename: str, **fields) -> dict:
    response = ui.post(f"{UI}/import", content=data, params={"filename": filename, **fields},
                       headers={"Content-Type": "application/octet-stream", "X-Localexport-Csrf": csrf(ui)})
    assert response.status_code == 200, response.text
    return response.json()


def test_imports_by_upload_use_the_services_operations(ui, wire, lex, make_client):
    bot = simple_bot(lex)
    created = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot["botId"],
                                                                                  "botVersion": "DRAFT"}},
                                fileFormat="LexJson")
    archive = wire.get(lex.describe_export(exportId=created["exportId"])["downloadUrl"]).content
    started = upload(ui, archive, "PizzaBot.zip", botName="PizzaCopy")
    assert started["service"] == "lexv2-models"
    assert lex.describe_import(importId=started["aws_id"])["importStatus"] == "Completed"
    assert [b["botName"] for b in lex.list_bots()["botSummaries"]] == ["PizzaBot", "PizzaCopy"]
    assert started["aws_id"] in ui.get(started["location"]).text

    v1 = make_client("lex-models")
    make_bot(v1)
    v1_zip = wire.get(v1.get_export(name="PizzaBot", version="1", resourceType="BOT", exportType="LEX")["url"]).content
    started = upload(ui, v1_zip, "PizzaBot_Export.zip", account=ACCOUNT, region="us-east-1",
                     mergeStrategy="OVERWRITE_LATEST")
    assert started["service"] == "lex-models"
    imported = v1.get_import(importId=started["aws_id"])
    assert imported["importStatus"] == "COMPLETE", imported.get("failureReason")
    assert v1.get_bot(name="PizzaBot", versionOrAlias="$LATEST")["name"] == "PizzaBot"

    qs = make_client("quicksight", account="210987654321")
    arns = qsh.build(qs, account="210987654321")
    job = qsh.export(qs, "bundle-1", [arns["dashboard"]], account="210987654321", IncludeAllDependencies=True)
    bundle = wire.get(job["DownloadUrl"]).content
    other = make_client("quicksight")
    qsh.register_analyst(other)
    started = upload(ui, bundle, "release.qs", jobId="from-console")
    assert started == {**started, "service": "quicksight", "aws_id": "from-console"}
    described = other.describe_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="from-console")
    assert described["JobStatus"] == "SUCCESSFUL", described.get("Errors")

    refused = ui.post(f"{UI}/import", content=b"not a zip", params={"filename": "x.zip"},
                      headers={"Content-Type": "application/octet-stream", "X-Localexport-Csrf": csrf(ui)})
    assert refused.status_code == 400 and "not a zip" in refused.json()["error"]
    assert ui.post(f"{UI}/import", content=archive, headers={"Content-Type": "application/octet-stream"}).status_code \
        == 403  # no form token: a page elsewhere cannot post an import


def test_jobs_their_archives_trees_and_manual_controls(ui, local, lex):
    bot = simple_bot(lex)
    spec = {"botExportSpecification": {"botId": bot["botId"], "botVersion": "DRAFT"}}
    done = lex.create_export(resourceSpecification=spec, fileFormat="LexJson")["exportId"]
    index = ui.get(f"{UI}/").text
    assert done in index and "succeeded" in index and "Download" in index
    (job,) = [j for j in local.controls.jobs() if (j.get("aws_id") or j["id"]) == done]
    page = ui.get(f"{UI}/jobs/{job['id']}").text
    assert "Archive contents" in page and "PizzaBot/" in page and "Bot.json" in page and "Manifest.json" in page
    archive = ui.get(f"{UI}/jobs/{job['id']}/download")
    assert archive.status_code == 200
    assert "Manifest.json" in zipfile.ZipFile(io.BytesIO(archive.content)).namelist()

    assert post(ui, "/timing", mode="manual").status_code == 303
    lex.delete_export(exportId=done)
    waiting = lex.create_export(resourceSpecification=spec, fileFormat="LexJson")["exportId"]
    live = ui.get(f"{UI}/live/jobs").json()
    (row,) = [j for j in live["jobs"] if j["state"] == "queued"]
    assert ">Fail<" in row["html"] and ">Advance<" in row["html"]
    failed = post(ui, f"/jobs/{row['id']}/fail", reasons="disk on fire")
    assert failed.status_code == 303
    described = lex.describe_export(exportId=waiting)
    assert described["exportStatus"] == "Failed" and described["failureReasons"] == ["disk on fire"]

    assert post(ui, "/fail-next", reasons="next one breaks").status_code == 303
    lex.delete_export(exportId=waiting)
    third = lex.create_export(resourceSpecification=spec, fileFormat="LexJson")["exportId"]
    (row,) = [j for j in ui.get(f"{UI}/live/jobs").json()["jobs"] if j["state"] == "queued"]
    assert post(ui, f"/jobs/{row['id']}/advance").status_code == 303
    assert lex.describe_export(exportId=third)["failureReasons"] == ["next one breaks"]

    assert post(ui, "/reset", account=ACCOUNT).status_code == 303  # not confirmed: nothing goes
    assert lex.list_bots()["botSummaries"]
    assert post(ui, "/reset", account=ACCOUNT, confirm="yes").status_code == 303
    assert not lex.list_bots()["botSummaries"] and not local.controls.jobs()


def test_the_aws_hot_path_loads_no_console():
    code = ("import sys, boto3\n"
            "from localexport.mock import mock_export\n"
            "with mock_export():\n"
            "    boto3.client('lexv2-models', region_name='us-east-1').list_bots()\n"
            "print(sorted(m for m in sys.modules if m.startswith('jinja2')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout
