"""The CLI against a real server: jobs, wait, download, reset."""

from __future__ import annotations

import zipfile

from click.testing import CliRunner
from conftest import client
from lexv2_helpers import simple_bot

from localexport.cli import main
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
    assert bot_id in listed.output
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


def test_failed_job_makes_wait_fail(server_factory):
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    RemoteControls(server.url).fail_next(["disk full"])
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                   "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    waited = CliRunner().invoke(main, ["wait", export_id, "--url", server.url])
    assert waited.exit_code == 1 and "disk full" in waited.output
