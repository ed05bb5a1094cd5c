"""Artifacts in S3 (``LOCALEXPORT_ARTIFACTS_URL=s3://...``), as a shared instance keeps them: the main flows of
every service with their archives, uploads and record files in a bucket of a real S3 server (moto's, on loopback),
nothing half-written ever visible there, and two servers of one instance serving each other's archives."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
import requests
from conftest import client, free_port
from lexv2_helpers import bot_spec, export_and_download, import_archive, simple_bot
from moto.server import ThreadedMotoServer
from personalize_helpers import ITEMS, canonical, dataset, export_job, exported, import_job, put_csv
from quicksight_helpers import ACCOUNT, build, export, members

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.core.artifacts_s3 import S3Artifacts
from localexport.inprocess import InProcess

PREFIX = "team/localexport"


@pytest.fixture
def s3_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    yield url
    requests.post(f"{url}/moto-api/reset", timeout=10)  # moto's state is this process's: leave none to later tests
    server.stop()


@pytest.fixture
def s3(s3_url):
    """The S3 server as its operator sees it (the data buckets and the artifacts bucket)."""
    return client("s3", s3_url, account="")


@pytest.fixture
def bucket(s3) -> str:
    name = f"artifacts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def servers(tmp_path, s3_url, bucket):
    """``start()``: one more server of the instance (the same database file, the same artifacts bucket),
    answered in-process: (the LocalExport, its InProcess wire)."""
    started: list[tuple[LocalExport, InProcess]] = []
    keys = {"access_key_id": "testing", "secret_access_key": "testing"}

    def start() -> tuple[LocalExport, InProcess]:
        settings = Settings(job_mode="immediate", data_dir=tmp_path / "data", artifacts_url=f"s3://{bucket}/{PREFIX}",
                            artifacts_endpoint_url=s3_url, artifacts_region="us-east-1",
                            **{f"artifacts_{k}": v for k, v in keys.items()},
                            s3_endpoint_url=s3_url, **{f"s3_{k}": v for k, v in keys.items()})
        instance = LocalExport(settings)
        started.append((instance, InProcess(instance)))
        return started[-1]

    yield start
    for instance, wire in started:
        wire.close()
        instance.close()


@pytest.fixture
def local(servers):  # the conftest fixtures (wire, make_client, lex) then reach a server with artifacts in S3
    return servers()[0]


def stored(s3, bucket: str) -> list[str]:
    """The artifact keys in the bucket, under the store's prefix."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/").get("Contents", [])
    return [item["Key"].removeprefix(f"{PREFIX}/") for item in listed]


def test_the_store_is_s3_and_nothing_is_kept_in_the_data_dir(local, tmp_path):
    assert isinstance(local.runtime.artifacts, S3Artifacts)
    assert not (tmp_path / "data" / "artifacts").exists()


def test_lex_export_download_upload_and_import(lex, wire, s3, bucket):
    bot_id = simple_bot(lex)["botId"]
    described, archive = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": bot_id,
                                                                                         "botVersion": "DRAFT"}})
    assert described["exportStatus"] == "Completed"
    response = wire.get(described["downloadUrl"])
    assert response.headers["content-length"] == str(len(archive))
    assert 'filename="' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert any(name.endswith("/Bot.json") for name in opened.namelist())
    assert [k for k in stored(s3, bucket) if "/exports/" in k] == [
        described["downloadUrl"].split("/_localexport/artifacts/")[1].split("?")[0]]

    done = import_archive(lex, wire.http.put, archive, bot_spec("PizzaCopy"))
    assert done["importStatus"] == "Completed", done
    assert any("upload" in k for k in stored(s3, bucket))
    copied = lex.list_intents(botId=done["importedResourceId"], botVersion="DRAFT", localeId="en_US")
    assert "OrderPizza" in {i["intentName"] for i in copied["intentSummaries"]}


def test_an_upload_url_takes_one_put(lex, wire):
    slot = lex.create_upload_url()
    assert wire.http.put(slot["uploadUrl"], content=b"first").status_code == 200
    again = wire.http.put(slot["uploadUrl"], content=b"second")
    assert again.status_code == 403 and "has already been used" in again.text


def test_two_writers_on_one_key_publish_once(local):
    """The exclusive publish is S3's conditional write: of two PUTs past the early check, one wins."""
    artifacts = local.runtime.artifacts
    first, second = artifacts.incoming("uploads/a/import.zip"), artifacts.incoming("uploads/a/import.zip")
    first.write(b"first")
    second.write(b"second")
    second.publish(exclusive=True)
    with pytest.raises(FileExistsError):
        first.publish(exclusive=True)
    first.discard()
    assert artifacts.read("uploads/a/import.zip") == b"second"


def test_a_half_written_artifact_is_never_in_the_bucket(local, s3, bucket):
    artifacts = local.runtime.artifacts
    with pytest.raises(RuntimeError), artifacts.writer("lexv2/half/archive.zip") as out:
        out.write(b"PK" * 1000)
        assert stored(s3, bucket) == []  # being written: only a local temporary file
        raise RuntimeError("the writer failed halfway")
    assert stored(s3, bucket) == []
    assert not artifacts.exists("lexv2/half/archive.zip")
    incoming = artifacts.incoming("uploads/x/import.zip")  # an upload cut off
    incoming.write(b"part")
    incoming.discard()
    assert stored(s3, bucket) == []


def test_personalize_import_put_records_and_export(make_client, s3, bucket):
    p, events = make_client("personalize"), make_client("personalize-events")
    s3.create_bucket(Bucket="team-data")
    arn = dataset(p, p.create_dataset_group(name="shared")["datasetGroupArn"], "Items", ITEMS)
    rows = [["ITEM_ID", "GENRES", "PRICE"], ["a", "x|y", "1"], ["b", "z", "2"]]
    assert import_job(p, arn, put_csv(s3, "team-data", "in/items.csv", rows), "in")["status"] == "ACTIVE"
    assert [k.rsplit("/", 2)[-2] for k in stored(s3, bucket)] == ["bulk"]
    events.put_items(datasetArn=arn, items=[{"itemId": "b", "properties": '{"price": 2.5}'}])
    events.put_items(datasetArn=arn, items=[{"itemId": "c", "properties": '{"price": 3}'}])
    assert sum(k.endswith(".jsonl") for k in stored(s3, bucket)) == 2  # each call its own object

    assert export_job(p, arn, "team-data", "all", "ALL")["status"] == "ACTIVE"
    _, got = exported(s3, "team-data", "exports/all/")
    assert sorted(canonical(got, ITEMS)) == [("a", "x|y", 1.0), ("b", None, 2.5), ("c", None, 3.0)]
    put = [k for k in stored(s3, bucket) if "/put/" in k]
    assert len(put) == 1 and put[0].endswith(".parquet")  # the logs, compacted into one segment
    assert export_job(p, arn, "team-data", "put", "PUT")["status"] == "ACTIVE"
    _, got = exported(s3, "team-data", "exports/put/")
    assert sorted(canonical(got, ITEMS)) == [("b", None, 2.5), ("c", None, 3.0)]

    p.delete_dataset(datasetArn=arn)
    assert stored(s3, bucket) == []


def test_quicksight_bundle_export_and_download(make_client, wire, s3, bucket):
    qs = make_client("quicksight")
    graph = build(qs)
    job = export(qs, "shared-bundle", [graph["dashboard"]], IncludeAllDependencies=True)
    assert job["JobStatus"] == "SUCCESSFUL", job
    response = wire.get(job["DownloadUrl"])
    assert response.status_code == 200
    assert any(name.startswith("dashboard/") for name in members(response.content))
    assert any(k.endswith(".qs") for k in stored(s3, bucket))
    assert ACCOUNT in job["Arn"]


def test_an_archive_exported_by_one_server_downloads_through_another(servers, s3, bucket):
    (_, first_wire), (_, second_wire) = servers(), servers()
    lex = first_wire.attach(client("lexv2-models", "http://localexport"))
    bot_id = simple_bot(lex)["botId"]
    described, archive = export_and_download(lex, first_wire.get, {"botExportSpecification": {
        "botId": bot_id, "botVersion": "DRAFT"}})
    assert second_wire.get(described["downloadUrl"]).content == archive
    other = second_wire.attach(client("lexv2-models", "http://localexport"))
    fresh = other.describe_export(exportId=described["exportId"])["downloadUrl"]
    assert second_wire.get(fresh).content == archive
    other.delete_export(exportId=described["exportId"])
    assert first_wire.get(described["downloadUrl"]).status_code == 404
    assert not [k for k in stored(s3, bucket) if "/exports/" in k]


def test_settings_refuse_other_urls():
    with pytest.raises(ValueError, match="s3://bucket"):
        Settings(artifacts_url="https://example.com/artifacts")
    with pytest.raises(ValueError, match="needs a prefix"):
        Settings(artifacts_url="s3://whole-bucket")
    assert Settings().artifacts_url is None


def test_the_folder_store_still_exports_the_put_log_of_an_older_version(tmp_path):
    """Before each call had its own log, records were appended to ``put/log.jsonl``: it is compacted as any log."""
    instance = LocalExport(Settings(job_mode="immediate", data_dir=tmp_path / "data"))
    wire = InProcess(instance)
    try:
        p, events, s3 = (wire.attach(client(name, "http://localexport")) for name in
                         ("personalize", "personalize-events", "s3"))
        s3.create_bucket(Bucket="older")
        arn = dataset(p, p.create_dataset_group(name="older")["datasetGroupArn"], "Items", ITEMS)
        events.put_items(datasetArn=arn, items=[{"itemId": "old", "properties": '{"price": 1}'}])
        artifacts = instance.runtime.artifacts
        [log] = artifacts.keys(f"accounts/{ACCOUNT}")
        artifacts.path(log).rename(artifacts.path(log).with_name("log.jsonl"))
        events.put_items(datasetArn=arn, items=[{"itemId": "new", "properties": '{"price": 2}'}])
        assert export_job(p, arn, "older", "out", "PUT")["status"] == "ACTIVE"
        _, got = exported(s3, "older", "exports/out/")
        assert sorted(canonical(got, ITEMS)) == [("new", None, 2.0), ("old", None, 1.0)]
    finally:
        wire.close()
        instance.close()
