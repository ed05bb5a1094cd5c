"""QuickSight asset bundle imports under crashes and hostile bundles: all or nothing, validated as the
create calls are, failures answered in bounded size."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile

import pytest
from conftest import client
from quicksight_helpers import ACCOUNT, arn, import_bundle, wait_job

from localexport.services.quicksight import assets

# Loaded by the server process (on its PYTHONPATH): a disk that stalls at one asset, so a kill lands mid-import.
STALL = """
import os, pathlib, time
from localexport.core import store

_put = store.Store.put

def put(self, scope, doc):
    if doc.key == os.environ["QS_TEST_STALL_AT"]:
        pathlib.Path(os.environ["QS_TEST_STALLED"]).touch()
        time.sleep(120)
    return _put(self, scope, doc)

store.Store.put = put
"""


def qs_bundle(members: dict[str, dict | str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, member in members.items():
            archive.writestr(name, member if isinstance(member, str) else json.dumps(member))
    return out.getvalue()


def athena(source_id: str, name: str = "Imported") -> dict:
    return {"resourceType": "datasource", "dataSourceId": source_id, "name": name, "type": "ATHENA",
            "dataSourceParameters": {"athenaParameters": {"workGroup": "primary"}}}


def sources(count: int) -> bytes:
    return qs_bundle({f"datasource/s{i:04}.json": athena(f"s{i:04}") for i in range(count)})


def all_sources(qs) -> dict[str, str]:
    pages = qs.get_paginator("list_data_sources").paginate(AwsAccountId=ACCOUNT)
    return {s["DataSourceId"]: s["Name"] for page in pages for s in page["DataSources"]}


@pytest.fixture
def qs(make_client):
    return make_client("quicksight")


def test_an_import_killed_mid_apply_leaves_nothing_and_is_rolled_back(server_factory, tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(STALL)
    stalled = tmp_path / "stalled"
    data_dir = tmp_path / "data"
    server = server_factory(data_dir, LOCALEXPORT_JOB_DELAY="0", LOCALEXPORT_JOB_MAX_ATTEMPTS="1",
                            PYTHONPATH=os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
                            QS_TEST_STALL_AT="s0500", QS_TEST_STALLED=str(stalled))
    qs = client("quicksight", server.url)
    qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="s0000", Name="Before", Type="ATHENA")
    qs.start_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="big", FailureAction="ROLLBACK",
                                     AssetBundleImportSource={"Body": sources(1000)})
    deadline = time.monotonic() + 60
    while not stalled.exists():  # 500 assets written, the 501st stalls
        assert time.monotonic() < deadline, "the import never reached its 501st asset"
        time.sleep(0.05)
    server.kill()

    server = server_factory(data_dir, LOCALEXPORT_JOB_MAX_ATTEMPTS="1")
    qs = client("quicksight", server.url)
    job = wait_job(qs.describe_asset_bundle_import_job, AwsAccountId=ACCOUNT, AssetBundleImportJobId="big")
    assert all_sources(qs) == {"s0000": "Before"}  # the account as before: nothing partial is visible
    assert job["JobStatus"] == "FAILED_ROLLBACK_COMPLETED"
    assert [e["Message"] for e in job["Errors"]] == ["The job was interrupted 1 times and was not retried."]


@pytest.mark.parametrize("attempts", [1, 3])
def test_an_import_committed_just_before_a_crash_is_done_not_redone(qs, local, attempts):
    job = import_bundle(qs, "done", sources(3), FailureAction="ROLLBACK")
    assert job["JobStatus"] == "SUCCESSFUL"
    updated = qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="s0001")["DataSource"]["LastUpdatedTime"]
    job_id = local.runtime.store.jobs(kind="quicksight.asset-bundle-import")[0].id
    local.runtime.store.update_job(job_id, state="running", attempts=attempts)  # the process died before finishing
    local.runtime.engine.recover()  # 1: re-run, 3: abandoned; both see the import's committed result
    job = qs.describe_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="done")
    assert job["JobStatus"] == "SUCCESSFUL" and job["Errors"] == []
    assert qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="s0001")["DataSource"][
        "LastUpdatedTime"] == updated
    assert len(all_sources(qs)) == 3


def test_an_internal_error_mid_apply_rolls_everything_back(qs, monkeypatch):
    qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="s0000", Name="Before", Type="ATHENA")
    put = assets.put

    def failing_put(ctx, kind, key, *args, **kwargs):
        if key == "s0005":
            raise TypeError("unsupported operand")
        return put(ctx, kind, key, *args, **kwargs)

    monkeypatch.setattr(assets, "put", failing_put)
    job = import_bundle(qs, "bug", sources(10), FailureAction="ROLLBACK")
    assert job["JobStatus"] == "FAILED_ROLLBACK_COMPLETED"
    assert job["Errors"][0]["Message"] == "Internal error: unsupported operand"
    assert all_sources(qs) == {"s0000": "Before"}


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_fail_the_import_naming_asset_and_field(qs, constant):
    member = ('{"resourceType": "datasource", "dataSourceId": "pg", "name": "PG", "type": "POSTGRESQL", '
              '"dataSourceParameters": {"postgreSqlParameters": {"host": "db", "database": "d", "port": '
              f'{constant}}}}}}}')
    body = qs_bundle({"datasource/ok.json": athena("ok"), "datasource/pg.json": member})
    credentials = {"DataSources": [{"DataSourceId": "pg", "Credentials": {"CredentialPair": {
        "Username": "reader", "Password": "s3cret"}}}]}
    job = import_bundle(qs, "nan", body, FailureAction="ROLLBACK", OverrideParameters=credentials)
    assert job["JobStatus"] == "FAILED_ROLLBACK_COMPLETED"
    [error] = job["Errors"]
    assert error["Type"].endswith(".InvalidParameterValueException")
    assert "DataSource pg" in error["Message"] and "dataSourceParameters.postgreSqlParameters.port" in error["Message"]
    assert all_sources(qs) == {}


def test_imported_assets_meet_the_create_calls_constraints(qs):
    body = qs_bundle({"datasource/ok.json": athena("ok"),
                      "datasource/long.json": athena("long", "N" * (40 * 1024 * 1024)),
                      "datasource/typed.json": {**athena("typed"), "name": 42},
                      "theme/t.json": {"resourceType": "theme", "themeId": "t", "name": "T", "configuration": {}}})
    kept = import_bundle(qs, "some", body)  # DO_NOTHING: what is valid is imported
    assert kept["JobStatus"] == "FAILED"
    errors = {e["Arn"]: e["Message"] for e in kept["Errors"]}
    assert set(errors) == {arn("datasource", "long"), arn("datasource", "typed"), arn("theme", "t")}
    assert errors[arn("datasource", "long")].startswith("1 validation error detected: Value 'NNN")
    assert errors[arn("datasource", "long")].endswith(
        "...' at 'name' failed to satisfy constraint: Member must have length less than or equal to 128")
    assert "'name'" in errors[arn("datasource", "typed")]
    assert errors[arn("theme", "t")] == ("1 validation error detected: Value null at 'baseThemeId' failed to "
                                         "satisfy constraint: Member must not be null")
    assert len(json.dumps(kept["Errors"])) < 2_000
    assert all_sources(qs) == {"ok": "Imported"}
    qs.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="ok")
    rolled = import_bundle(qs, "none", body, FailureAction="ROLLBACK")
    assert rolled["JobStatus"] == "FAILED_ROLLBACK_COMPLETED" and all_sources(qs) == {}


def test_many_failing_assets_give_a_bounded_answer(qs):
    body = qs_bundle({f"datasource/s{i:03}.json": athena(f"s{i:03}", "N" * 100_000) for i in range(250)})
    job = import_bundle(qs, "many", body, FailureAction="ROLLBACK")
    assert job["JobStatus"] == "FAILED_ROLLBACK_COMPLETED"
    assert len(job["Errors"]) == 101 and job["Errors"][-1]["Message"] == "... and 150 more"
    assert all(len(e["Message"]) <= 1_000 for e in job["Errors"])
    listed = qs.list_asset_bundle_import_jobs(AwsAccountId=ACCOUNT)["AssetBundleImportJobSummaryList"]
    assert [j["JobStatus"] for j in listed] == ["FAILED_ROLLBACK_COMPLETED"]
