"""The job engine's recovery rules, seen through boto3."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import pytest
from botocore.exceptions import ClientError
from lexv2_helpers import simple_bot
from postgres import on_both_backends

from localexport.core.controls import AmbiguousJob

pytestmark = on_both_backends  # the job engine's rules hold on either store


def _interrupted_export(lex, local, attempts: int) -> str:
    bot_id = simple_bot(lex)["botId"]
    local.controls.set_timing("manual")
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    local.runtime.store.update_job(export_id, state="running", attempts=attempts)  # as left by a dead process
    return export_id


def test_interrupted_job_is_requeued_under_the_recovering_settings(lex, local):
    export_id = _interrupted_export(lex, local, attempts=1)
    local.controls.set_timing("immediate")
    local.runtime.engine.recover()
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Completed"


def test_job_interrupted_too_often_fails_with_a_reason(lex, local):
    export_id = _interrupted_export(lex, local, attempts=3)
    local.runtime.engine.recover()
    described = lex.describe_export(exportId=export_id)
    assert described["exportStatus"] == "Failed"
    assert described["failureReasons"] == ["The job was interrupted 3 times and was not retried."]


def test_passwords_are_not_kept_once_a_job_ends(lex, local):
    bot_id = simple_bot(lex)["botId"]
    spec = {"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}}
    local.controls.set_timing("manual")
    done = lex.create_export(resourceSpecification=spec, fileFormat="LexJson", filePassword="s3cret")["exportId"]
    assert local.runtime.store.get_job(done).secrets == {"filePassword": "s3cret"}  # needed until it runs
    local.controls.advance(done)
    local.controls.fail_next(["boom"])
    failed = lex.create_export(resourceSpecification=spec, fileFormat="LexJson", filePassword="s3cret")["exportId"]
    local.controls.advance(failed)
    cancelled = lex.create_export(resourceSpecification={"botLocaleExportSpecification": {**spec[
        "botExportSpecification"], "localeId": "en_US"}}, fileFormat="LexJson", filePassword="s3cret")["exportId"]
    local.controls.fail(cancelled, ["stopped"])
    for job_id, status in ((done, "Completed"), (failed, "Failed"), (cancelled, "Failed")):
        assert lex.describe_export(exportId=job_id)["exportStatus"] == status
        assert local.runtime.store.get_job(job_id).secrets == {}


def test_reset_of_one_account_leaves_the_others(lex, make_client, local, wire):
    other = make_client(account="444455556666")
    for client in (lex, other):
        bot_id = simple_bot(client)["botId"]
        client.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                             fileFormat="LexJson")
    gone_url = lex.describe_export(exportId=lex.list_exports()["exportSummaries"][0]["exportId"])["downloadUrl"]
    local.controls.reset("123456789012")
    assert lex.list_bots()["botSummaries"] == [] and lex.list_exports()["exportSummaries"] == []
    assert wire.get(gone_url).status_code == 404  # its archive went with it
    kept = other.list_exports()["exportSummaries"]
    assert len(other.list_bots()["botSummaries"]) == 1 and len(kept) == 1
    assert wire.get(other.describe_export(exportId=kept[0]["exportId"])["downloadUrl"]).status_code == 200


def test_jobs_are_found_by_the_id_their_service_answered(make_client, local):
    """The engine's ids are its own (a QuickSight job id is hashed with its scope); the controls find a job by
    either, and say where an AWS id is not unique."""
    v1 = make_client("lex-models")
    imported = v1.start_import(payload=_v1_slot_type_zip(), resourceType="SLOT_TYPE",
                               mergeStrategy="OVERWRITE_LATEST")["importId"]
    assert local.controls.job(imported)["aws_id"] == imported
    for region in ("us-east-1", "eu-west-1"):
        qs = make_client("quicksight", region=region)
        qs.start_asset_bundle_export_job(AwsAccountId="123456789012", AssetBundleExportJobId="nightly",
                                         ResourceArns=[f"arn:aws:quicksight:{region}:123456789012:theme/gone"],
                                         ExportFormat="QUICKSIGHT_JSON")
    with pytest.raises(AmbiguousJob, match="nightly names jobs in regions eu-west-1, us-east-1 of account"):
        local.controls.job("nightly")
    found = local.controls.job("nightly", region="eu-west-1")
    assert (found["aws_id"], found["region"], found["output"]) == ("nightly", "eu-west-1", None)
    assert local.controls.job(found["id"]) == found  # and by its engine id
    assert local.controls.job("nightly", account="111111111111") is None


WEEK = 7 * 24 * 3600  # Lex V2 lists its exports for 7 days


def _export(lex) -> str:
    bot_id = simple_bot(lex)["botId"]
    return lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                             fileFormat="LexJson")["exportId"]


def test_the_retention_sweep_queries_only_once_a_job_can_be_due(lex, local, monkeypatch):
    store = local.runtime.store
    sweeps = []
    old_jobs = store.old_jobs
    monkeypatch.setattr(store, "old_jobs", lambda *args: sweeps.append(args) or old_jobs(*args))
    export_id = _export(lex)
    for _ in range(3):
        assert lex.describe_export(exportId=export_id)["exportStatus"] == "Completed"
        assert len(lex.list_exports()["exportSummaries"]) == 1
    assert len(sweeps) == 1  # the first call: then nothing can pass its 7 days before the export made first
    created = store.get_job(export_id).created_at
    local.controls.advance_clock(created + WEEK - 30 - local.runtime.clock.now())
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Completed"  # (swept: still within)
    local.controls.advance_clock(31)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        lex.describe_export(exportId=export_id)
    assert lex.list_exports()["exportSummaries"] == [] and store.get_job(export_id) is None


def test_a_job_stamped_before_the_last_sweep_still_goes_on_its_day(lex, local):
    """A job whose maker read the clock before a sweep's query and committed after it (or a server whose clock
    is behind) is older than the oldest that sweep saw: it still goes once its 7 days have passed."""
    store = local.runtime.store
    first = _export(lex)
    assert len(lex.list_exports()["exportSummaries"]) == 1  # a sweep, which sees only ``first``
    made = store.get_job(first)
    stamped = local.runtime.clock.now() - 30
    late = replace(made, id="LATEEXPORT", created_at=stamped, updated_at=stamped)
    store.insert_job(late)
    local.controls.advance_clock(stamped + WEEK + 1 - local.runtime.clock.now())
    assert [s["exportId"] for s in lex.list_exports()["exportSummaries"]] == [first]  # made 30 s after ``late``
    assert store.get_job(late.id) is None


def _v1_slot_type_zip() -> bytes:
    document = {"metadata": {"schemaVersion": "1.0", "importType": "LEX", "importFormat": "JSON"},
                "resource": {"name": "Sizes", "version": "1", "enumerationValues": [{"value": "small"}],
                             "valueSelectionStrategy": "ORIGINAL_VALUE"}}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("Sizes_Export.json", json.dumps(document))
    return out.getvalue()
