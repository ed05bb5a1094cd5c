"""What the job engine stores when a job fails: bounded reasons, the cause of a full or read-only
disk, no secrets after recovery gives a job up."""

from __future__ import annotations

import errno
import json
import os
from contextlib import contextmanager

import pytest
from lexv2_helpers import import_archive, simple_bot, zip_bytes
from postgres import on_both_backends

pytestmark = on_both_backends  # the job engine's rules hold on either store


def _export(lex, bot_id: str, **extra) -> str:
    spec = {"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}}
    return lex.create_export(resourceSpecification=spec, fileFormat="LexJson", **extra)["exportId"]


def test_an_import_echoing_huge_values_gets_a_bounded_describe_import(lex, wire):
    built = simple_bot(lex)
    weight = "9" * 50_000 + "x"  # not a whole number: each line's reason echoes it
    tsv = "phrase\tweight\n" + "".join(f"phrase {i}\t{weight}\n" for i in range(300))
    manifest = {"metaData": {"schemaVersion": "1", "fileFormat": "TSV", "resourceType": "CUSTOMVOCABULARY"}}
    archive = zip_bytes({"Manifest.json": manifest, "CustomVocabulary/CustomVocabulary.tsv": tsv.encode()})
    assert len(archive) < 100_000
    spec = {"customVocabularyImportSpecification": {"botId": built["botId"], "botVersion": "DRAFT",
                                                    "localeId": "en_US"}}
    described = import_archive(lex, wire.http.put, archive, spec, "Overwrite")
    reasons = described["failureReasons"]
    assert described["importStatus"] == "Failed"
    assert len(reasons) == 101 and reasons[-1] == "... and 200 more"
    assert all(len(r) <= 1_000 for r in reasons) and reasons[0].endswith("...")
    assert reasons[0].startswith("CustomVocabulary/CustomVocabulary.tsv: line 1: weight '9999")
    assert len(json.dumps(described, default=str)) < 150_000


def test_injected_and_cancelling_failures_are_bounded_too(lex, local):
    bot_id = simple_bot(lex)["botId"]
    local.controls.fail_next(["x" * 5_000] * 1_000)
    injected = _export(lex, bot_id)
    assert [len(r) for r in lex.describe_export(exportId=injected)["failureReasons"]] == [1_000] * 100 + [16]
    local.controls.set_timing("manual")
    cancelled = _export(lex, bot_id, filePassword="s3cret")
    local.controls.fail(cancelled, ["y" * 5_000])
    assert lex.describe_export(exportId=cancelled)["failureReasons"] == ["y" * 997 + "..."]


@pytest.mark.parametrize(("code", "wrapped"), [(errno.ENOSPC, False), (errno.EROFS, False), (errno.EDQUOT, False),
                                               (errno.ENOSPC, True)])
def test_a_full_or_read_only_disk_fails_the_job_naming_the_cause(lex, local, monkeypatch, code, wrapped):
    bot_id = simple_bot(lex)["botId"]

    @contextmanager
    def writer(key):
        error = OSError(code, os.strerror(code), str(local.runtime.artifacts.root / "tmp" / "x"))
        if wrapped:  # as a library re-raises it
            raise RuntimeError("could not save the archive") from error
        raise error
        yield

    monkeypatch.setattr(local.runtime.artifacts, "writer", writer)
    described = lex.describe_export(exportId=_export(lex, bot_id))
    assert described["exportStatus"] == "Failed"
    assert described["failureReasons"] == [f"The server could not write its data dir: {os.strerror(code)}"]


def test_other_internal_errors_keep_their_message(lex, local, monkeypatch):
    bot_id = simple_bot(lex)["botId"]

    @contextmanager
    def writer(key):
        raise OSError(errno.EACCES, "Permission denied")
        yield

    monkeypatch.setattr(local.runtime.artifacts, "writer", writer)
    assert lex.describe_export(exportId=_export(lex, bot_id))["failureReasons"] == [
        "Internal error: [Errno 13] Permission denied"]


def test_a_job_given_up_by_recovery_keeps_no_secrets(lex, local):
    bot_id = simple_bot(lex)["botId"]
    local.controls.set_timing("manual")
    export_id = _export(lex, bot_id, filePassword="s3cret")
    local.runtime.store.update_job(export_id, state="running", attempts=3)  # as left by a dead process
    local.runtime.engine.recover()
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Failed"
    assert local.runtime.store.get_job(export_id).secrets == {}
