"""The CLI against a real server: jobs, wait, download, reset."""

from __future__ import annotations

import importlib.metadata
import json
import zipfile

from click.testing import CliRunner
from conftest import client, free_port
from lexv2_helpers import simple_bot
from personalize_helpers import ITEMS, dataset

from localexport.cli import main
from localexport.config import Settings
from localexport.remote import RemoteControls


def test_jobs_wait_download_reset(server_factory, tmp_path):
    server = server_factory(LOCALEXPORT_JOB_MODE="manual")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                   "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    runner = CliRunner()
    listed = runner.invoke(main, ["jobs", "--url", server.url], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert export_id in listed.output and "lexv2-models" in listed.output and "queued" in listed.output
    assert bot_id in runner.invoke(main, ["jobs", "--wide", "--url", server.url]).output  # its resource
    assert export_id not in runner.invoke(main, ["jobs", "--url", server.url, "--state", "failed"],
                                          terminal_width=200).output

    timed_out = runner.invoke(main, ["wait", export_id, "--url", server.url, "--timeout", "0.5"])
    assert timed_out.exit_code == 2 and "still queued" in timed_out.output
    assert runner.invoke(main, ["download", export_id, "--url", server.url]).exit_code != 0  # not finished


    RemoteControls(server.url).advance(export_id)  # advanced by hand, as a test in manual mode would
    waited = runner.invoke(main, ["wait", export_id, "--url", server.url])
    assert waited.exit_code == 0 and "succeeded" in waited.output

    target = tmp_path / "out"
    target.mkdir()
    saved = runner.invoke(main, ["download", export_id, str(target), "--url", server.url])
    assert saved.exit_code == 0, saved.output
    archive = next(target.iterdir())
    assert archive.name == f"PizzaBot-DRAFT-{export_id}-LexJson.zip"
    assert "PizzaBot/Bot.json" in zipfile.ZipFile(archive).namelist()

    cleared = runner.invoke(main, ["reset", "--url", server.url])
    assert cleared.exit_code == 0
    assert lex.list_bots()["botSummaries"] == []


def _failed_export(server) -> str:
    """The id of a Lex V2 export that failed with "disk full"."""
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    RemoteControls(server.url).fail_next(["disk full"])
    return lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                              "botVersion": "DRAFT"}},
                             fileFormat="LexJson")["exportId"]


def test_failed_job_makes_wait_fail(server_factory):
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")
    export_id = _failed_export(server)
    waited = CliRunner().invoke(main, ["wait", export_id, "--url", server.url])
    assert waited.exit_code == 1 and "disk full" in waited.output


# -- a newcomer's first steps: no server, unknown ids, AWS ids, 80 columns -------------------


def _run(*args: str, width: int = 80):
    """The CLI as a user's shell runs it: COLUMNS sets the width rich sees (no terminal: no live display)."""
    return CliRunner().invoke(main, list(args), env={"COLUMNS": str(width)}, terminal_width=width)


def test_no_server_is_one_line_naming_the_url_and_exit_3():
    url = f"http://127.0.0.1:{free_port()}"
    for command in (["jobs"], ["wait", "x"], ["download", "x"], ["reset"]):
        done = _run(*command, "--url", url)
        assert done.exit_code == 3, (command, done.output)
        [line] = done.stderr.splitlines()
        assert line.startswith(f"localexport: cannot reach the server at {url} (connection refused)")
        assert "localexport serve" in line and "--url" in line and "Traceback" not in done.output


def test_unknown_id_exits_4(server_factory):
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")
    for command in (["wait", "nope"], ["download", "nope"], ["jobs", "nope"]):
        done = _run(*command, "--url", server.url)
        assert done.exit_code == 4 and done.stderr.strip() == "localexport: no job nope", (command, done.output)
    assert _run("wait", "nope", "--account", "111111111111", "--url", server.url).stderr.strip() == \
        "localexport: no job nope in account 111111111111"


def _data_source_export(server, account: str, job_id: str) -> None:
    qs = client("quicksight", server.url, account)
    source = qs.create_data_source(AwsAccountId=account, DataSourceId="sales", Name="Sales", Type="ATHENA",
                                   DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})
    qs.start_asset_bundle_export_job(AwsAccountId=account, AssetBundleExportJobId=job_id,
                                     ResourceArns=[source["Arn"]], ExportFormat="QUICKSIGHT_JSON")


def _personalize_export(server) -> str:
    p, s3 = client("personalize", server.url), client("s3", server.url)
    s3.create_bucket(Bucket="shop-data")
    group = p.create_dataset_group(name="shop")["datasetGroupArn"]
    items = dataset(p, group, "Items", ITEMS)
    client("personalize-events", server.url).put_items(datasetArn=items, items=[
        {"itemId": "hat", "properties": json.dumps({"price": 10})}])
    return p.create_dataset_export_job(
        jobName="items-everything-exported-for-the-nightly-warehouse-load", datasetArn=items,
        roleArn="arn:aws:iam::123456789012:role/PersonalizeRole",
        jobOutput={"s3DataDestination": {"path": "s3://shop-data/exports/"}})["datasetExportJobArn"]


def test_aws_ids_of_every_service(server_factory, tmp_path):
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")
    url = ("--url", server.url)
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                   "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    v1 = client("lex-models", server.url)
    v1.put_intent(name="Greet", sampleUtterances=["hello"], fulfillmentActivity={"type": "ReturnIntent"})
    v1.put_bot(name="Greeter", locale="en-US", childDirected=False, processBehavior="SAVE", createVersion=True,
               intents=[{"intentName": "Greet", "intentVersion": "$LATEST"}])
    assert v1.get_export(name="Greeter", version="1", resourceType="BOT", exportType="LEX")["exportStatus"] == "READY"
    _data_source_export(server, "111111111111", "release-1")
    _data_source_export(server, "222222222222", "release-1")
    arn = _personalize_export(server)

    for ident in (export_id, "Greeter:1:BOT", arn):
        waited = _run("wait", ident, *url)
        assert waited.exit_code == 0 and waited.output.startswith(f"{ident}: succeeded"), waited.output
    personalize_output = "s3://shop-data/exports/items-everything-exported-for-the-nightly-warehouse-load/"
    assert personalize_output in _run("wait", arn, *url).output

    # QuickSight ids are unique per account: which one, says --account
    ambiguous = _run("wait", "release-1", *url)
    assert ambiguous.exit_code == 4
    assert ambiguous.stderr.strip() == ("localexport: release-1 names jobs in accounts 111111111111, "
                                        "222222222222: pass --account")
    for account in ("111111111111", "222222222222"):
        assert _run("wait", "release-1", "--account", account, *url).exit_code == 0
        shown = json.loads(_run("jobs", "release-1", "--account", account, "--json", *url).output)
        assert [(j["account"], j["aws_id"], j["kind"]) for j in shown] == [
            (account, "release-1", "quicksight.asset-bundle-export")]
        assert shown[0]["id"] != "release-1"  # the engine's id is its own
    saved = _run("download", "release-1", str(tmp_path), "--account", "111111111111", *url)
    assert saved.exit_code == 0 and (tmp_path / "assetbundle-release-1.qs").is_file(), saved.output
    saved = _run("download", "Greeter:1:BOT", str(tmp_path), *url)
    assert saved.exit_code == 0 and any(f.name.startswith("Greeter_1_") for f in tmp_path.iterdir())

    # the table fits 80 columns, long ARNs keep their tail
    table = _run("jobs", *url)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert max(map(len, lines)) <= 80, table.output
    assert lines[0].split() == ["service", "AWS", "id", "account", "state", "age"]
    assert any("nightly-warehouse-load" in line and "…" in line for line in lines)
    for shown in (export_id, "Greeter:1:BOT", "release-1", "111111111111", "222222222222", "succeeded"):
        assert shown in table.output
    wide = _run("jobs", "--wide", *url)
    assert arn in wide.output and "quicksight.asset-bundle-export" in wide.output and "attempts" in wide.output
    views = json.loads(_run("jobs", "--json", *url).output)
    assert {j["aws_id"] for j in views} == {export_id, "Greeter:1:BOT", "release-1", arn}
    assert [j["output"] for j in views if j["aws_id"] == arn] == [personalize_output]
    assert json.loads(_run("jobs", "--json", "--account", "222222222222", *url).output)[0]["aws_id"] == "release-1"

    # a Personalize export's output is in S3: said, and copied with --from-s3
    said = _run("download", arn, *url)
    assert said.exit_code == 1 and personalize_output in said.stderr and "--from-s3" in said.stderr
    copied = _run("download", arn, str(tmp_path / "csv"), "--from-s3", *url)
    assert copied.exit_code == 0, copied.output
    assert (tmp_path / "csv" / "part-00000.csv").read_text().split() == ["ITEM_ID,GENRES,PRICE", "hat,,10.0"]


def test_download_says_what_a_job_lacks(server_factory):
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")
    export_id = _failed_export(server)
    failed = _run("download", export_id, "--url", server.url)
    assert failed.exit_code == 1
    assert failed.stderr.strip() == f"localexport: {export_id} failed, nothing to save: disk full"


def test_wait_is_quiet_off_a_terminal_and_live_on_one(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="1.5")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]

    def export() -> str:
        return lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                  "botVersion": "DRAFT"}},
                                 fileFormat="LexJson")["exportId"]

    first = export()
    quiet = _run("wait", first, "--url", server.url)
    assert quiet.exit_code == 0 and quiet.output.splitlines() == [quiet.output.splitlines()[0]]
    assert quiet.output.startswith(f"{first}: succeeded (")
    second = export()
    live = CliRunner().invoke(main, ["wait", second, "--url", server.url], env={"FORCE_COLOR": "1",
                                                                              "COLUMNS": "80"})
    assert live.exit_code == 0, live.output
    assert f"{second}: queued" in live.output or f"{second}: running" in live.output  # the live line
    assert " s" in live.output and "succeeded" in live.output


def test_version_and_serve_help_list_every_setting():
    version = _run("--version")
    assert version.exit_code == 0 and version.output.strip() == \
        f"localexport, version {importlib.metadata.version('localexport')}"
    helped = _run("serve", "--help", width=100)
    assert helped.exit_code == 0
    for name, field in Settings.model_fields.items():
        assert f"LOCALEXPORT_{name.upper()}" in helped.output and field.description
    assert "manual (only when advanced" in helped.output  # --job-mode says what its choices do
    for command in ("wait", "download", "jobs"):
        text = _run(command, "--help").output
        assert "3  the server cannot be reached" in text and "4  no such job" in text
    assert "2  time-out" in _run("wait", "--help").output
