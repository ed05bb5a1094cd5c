"""The embedded S3 keeps what it acknowledged: written through to the data dir
before it answers, so a kill -9 loses nothing; a write the disk refuses is
answered with S3's error and undone."""

from __future__ import annotations

import errno
import json
import pickle
import uuid

import pytest
from botocore.exceptions import ClientError

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.core import s3_disk
from localexport.inprocess import InProcess
from tests.conftest import client
from tests.personalize_helpers import INTERACTIONS, ROLE, dataset, put_csv

ACCOUNT = "123456789012"


def test_objects_buckets_and_policies_survive_kill_9(server_factory, tmp_path):
    server = server_factory(tmp_path / "data")
    s3 = client("s3", server.url)
    name = f"durable-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"first")
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"second")
    s3.put_object(Bucket=name, Key="gone.txt", Body=b"x")
    s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "gone.txt"}]})
    big = bytes(range(256)) * 40_000  # 10 MB: past moto's in-memory buffer
    s3.put_object(Bucket=name, Key="big.bin", Body=big)
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"},
                                        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]})
    s3.put_bucket_policy(Bucket=name, Policy=policy)
    server.kill()  # SIGKILL: no shutdown hook runs

    again = server_factory(tmp_path / "data")
    s3 = client("s3", again.url)
    assert s3.get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"second"
    versions = s3.list_object_versions(Bucket=name, Prefix="doc.txt")["Versions"]
    assert len(versions) == 2
    assert s3.get_object(Bucket=name, Key="big.bin")["Body"].read() == big
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["big.bin", "doc.txt"]
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(policy)
    assert client("s3", again.url, "222222222222").get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"second"
    s3.delete_object(Bucket=name, Key="big.bin")  # versioned: a delete marker, the bytes stay a version
    plain = f"plain-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=plain)
    s3.put_object(Bucket=plain, Key="a", Body=b"a")
    s3.put_object(Bucket=plain, Key="a", Body=b"b")
    s3.put_object(Bucket=plain, Key="c", Body=b"c")
    s3.delete_object(Bucket=plain, Key="c")
    again.kill()

    third = server_factory(tmp_path / "data")
    s3 = client("s3", third.url)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["doc.txt"]
    assert len(s3.list_object_versions(Bucket=name, Prefix="big.bin")["DeleteMarkers"]) == 1
    assert s3.get_object(Bucket=plain, Key="a")["Body"].read() == b"b"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=plain)["Contents"]] == ["a"]
    assert len(list((tmp_path / "data" / "s3" / plain / "data").iterdir())) == 1  # replaced and deleted bytes go


def test_a_finished_exports_output_survives_kill_9(server_factory, tmp_path):
    server = server_factory(tmp_path / "data", LOCALEXPORT_JOB_MODE="immediate")
    s3, p = client("s3", server.url), client("personalize", server.url)
    s3.create_bucket(Bucket="exports-durable")
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    data = dataset(p, group, "Interactions", INTERACTIONS)
    location = put_csv(s3, "exports-durable", "in.csv", [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE",
                                                          "TIMESTAMP"], ["u1", "i1", "click", 1.5, 10]])
    imported = p.create_dataset_import_job(jobName="in", datasetArn=data, dataSource={"dataLocation": location},
                                           roleArn=ROLE)["datasetImportJobArn"]
    job = p.describe_dataset_import_job(datasetImportJobArn=imported)["datasetImportJob"]
    assert job["status"] == "ACTIVE", job
    arn = p.create_dataset_export_job(jobName="out", datasetArn=data, roleArn=ROLE, ingestionMode="BULK", jobOutput={
        "s3DataDestination": {"path": "s3://exports-durable/out/"}})["datasetExportJobArn"]
    assert p.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]["status"] == "ACTIVE"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="exports-durable", Prefix="out/")["Contents"]]
    server.kill()

    again = server_factory(tmp_path / "data", LOCALEXPORT_JOB_MODE="immediate")
    s3, p = client("s3", again.url), client("personalize", again.url)
    assert p.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]["status"] == "ACTIVE"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="exports-durable", Prefix="out/")["Contents"]] == keys
    assert b"u1" in b"".join(s3.get_object(Bucket="exports-durable", Key=k)["Body"].read() for k in keys), keys


def test_an_object_read_back_at_start_is_imported_whole(tmp_path, monkeypatch):
    """A server reads its objects back from the data dir at start (in chunks: small ones here, as past 8 MB);
    an import then reads such an object where moto keeps it (a file, past a small buffer here), every byte of
    it: the last rows too, which the last chunk wrote."""
    from moto.s3.models import s3_backends

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "64")
    monkeypatch.setattr(s3_disk, "_CHUNK", 1000)
    settings = Settings(job_mode="immediate", data_dir=tmp_path / "data")
    first = LocalExport(settings)
    wire = InProcess(first)
    s3 = wire.attach(client("s3", "http://localexport"))
    s3.create_bucket(Bucket="revived")
    rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]]
    rows += [[f"u{i}", f"i{i}", "click", "", str(i)] for i in range(300)]  # (some 5 KB, 5 chunks and a bit)
    location = put_csv(s3, "revived", "in.csv", rows)
    wire.close()
    first.close()
    s3_backends[ACCOUNT]["aws"].buckets.pop("revived")  # (as a new process starts: nothing of it in memory)
    s3_backends.bucket_accounts.pop("revived")

    again = LocalExport(settings)
    wire = InProcess(again)
    try:
        s3, p = wire.attach(client("s3", "http://localexport")), wire.attach(client("personalize", "http://localexport"))
        data = dataset(p, p.create_dataset_group(name="g")["datasetGroupArn"], "Interactions", INTERACTIONS)
        imported = p.create_dataset_import_job(jobName="in", datasetArn=data, roleArn=ROLE,
                                               dataSource={"dataLocation": location})["datasetImportJobArn"]
        job = p.describe_dataset_import_job(datasetImportJobArn=imported)["datasetImportJob"]
        assert job["status"] == "ACTIVE", job
        p.create_dataset_export_job(jobName="out", datasetArn=data, roleArn=ROLE, ingestionMode="BULK",
                                    jobOutput={"s3DataDestination": {"path": "s3://revived/out/"}})
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="revived", Prefix="out/")["Contents"]]
        exported = b"".join(s3.get_object(Bucket="revived", Key=k)["Body"].read() for k in keys).decode()
        assert exported.count("\n") == len(rows) and "u299,i299,click,,299" in exported
    finally:
        wire.close()
        again.runtime.objects.reset()
        again.close()


def _legacy_state(name: str) -> dict:
    """What a version before the write-through pickled at stop: {account: {bucket name: moto bucket}}."""
    from moto.s3.models import s3_backends

    backend = s3_backends[ACCOUNT]["aws"]
    backend.create_bucket(name, "us-east-1")
    backend.put_object(name, "kept.txt", b"from an older version")
    state = {ACCOUNT: {name: backend.buckets[name]}}
    saved = pickle.dumps(state)
    backend.delete_object(name, "kept.txt")
    backend.delete_bucket(name)
    return saved


def test_the_state_an_older_version_saved_is_migrated(server_factory, tmp_path):
    name = f"legacy-{uuid.uuid4().hex[:8]}"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "embedded-s3.pickle").write_bytes(_legacy_state(name))
    server = server_factory(tmp_path / "data")
    assert client("s3", server.url).get_object(Bucket=name, Key="kept.txt")["Body"].read() == b"from an older version"
    assert (tmp_path / "data" / "embedded-s3.pickle.migrated").exists()
    server.kill()  # migrated to the write-through layout: no stop needed to keep it
    again = server_factory(tmp_path / "data")
    assert client("s3", again.url).get_object(Bucket=name, Key="kept.txt")["Body"].read() == b"from an older version"


def test_an_unreadable_older_state_is_refused_not_dropped(tmp_path):
    from tests.conftest import ServerProcess

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "embedded-s3.pickle").write_bytes(b"not a pickle")
    with pytest.raises(RuntimeError, match="cannot read the embedded S3 state") as refused:
        ServerProcess(tmp_path / "data").start()
    assert "Traceback" not in str(refused.value)  # one line, not a stack
    assert (tmp_path / "data" / "embedded-s3.pickle").read_bytes() == b"not a pickle"


@pytest.fixture
def on_disk(tmp_path):
    instance = LocalExport(Settings(job_mode="immediate", data_dir=tmp_path / "data"))
    adapter = InProcess(instance)
    def make(service: str, retries: bool = True):
        if retries:
            return adapter.attach(client(service, "http://localexport"))
        import boto3  # a 500 is S3's answer to look at here, not one to try again
        from botocore.config import Config

        return adapter.attach(boto3.client(service, endpoint_url="http://localexport", region_name="us-east-1",
                                           aws_access_key_id=ACCOUNT, aws_secret_access_key="testing",
                                           config=Config(retries={"total_max_attempts": 1})))

    yield make
    adapter.close()
    instance.close()


def _filled(on_disk, monkeypatch):
    """A bucket holding doc.txt, on a disk that then refuses every write: (client, bucket)."""
    s3 = on_disk("s3")
    name = f"full-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"kept")

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(s3_disk, "_write_atomic", full)
    return s3, name


def test_a_put_the_disk_refuses_is_an_error_and_is_not_kept(on_disk, monkeypatch):
    s3, name = _filled(on_disk, monkeypatch)
    for key in ("doc.txt", "new.txt"):
        with pytest.raises(ClientError) as caught:
            s3.put_object(Bucket=name, Key=key, Body=b"lost")
        error = caught.value.response
        assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("InternalError", 500)
        assert "No space left on device" in error["Error"]["Message"]
    monkeypatch.undo()
    assert s3.get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"kept"  # as the disk has it
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]] == ["doc.txt"]


def test_a_bucket_level_write_the_disk_refuses_is_undone(on_disk, monkeypatch):
    s3, name = _filled(on_disk, monkeypatch)
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                        "Resource": f"arn:aws:s3:::{name}/*"}]})
    for call in (lambda: s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "doc.txt"}]}),
                 lambda: s3.put_bucket_policy(Bucket=name, Policy=policy),
                 lambda: s3.create_bucket(Bucket=f"{name}-new")):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "InternalError"
    monkeypatch.undo()
    assert s3.get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"kept"
    with pytest.raises(ClientError) as caught:
        s3.get_bucket_policy(Bucket=name)
    assert caught.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert f"{name}-new" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.create_bucket(Bucket=f"{name}-new")  # nothing half-made stands in the way

def test_tags_and_in_place_settings_survive_kill_9(server_factory, tmp_path):
    server = server_factory(tmp_path / "data")
    s3 = client("s3", server.url)
    name = f"locked-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "data"}]})
    s3.put_object(Bucket=name, Key="held.txt", Body=b"keep", Tagging="stage=raw")
    s3.put_object_tagging(Bucket=name, Key="held.txt", Tagging={"TagSet": [{"Key": "stage", "Value": "clean"}]})
    s3.put_object_legal_hold(Bucket=name, Key="held.txt", LegalHold={"Status": "ON"})
    s3.put_object(Bucket=name, Key="copied.txt", Body=b"c", Tagging="origin=put")
    server.kill()

    again = server_factory(tmp_path / "data")
    s3 = client("s3", again.url)
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "team", "Value": "data"}]
    assert s3.get_object_tagging(Bucket=name, Key="held.txt")["TagSet"] == [{"Key": "stage", "Value": "clean"}]
    assert s3.get_object_tagging(Bucket=name, Key="copied.txt")["TagSet"] == [{"Key": "origin", "Value": "put"}]
    assert s3.get_object_legal_hold(Bucket=name, Key="held.txt")["LegalHold"]["Status"] == "ON"
    assert s3.get_object(Bucket=name, Key="held.txt")["Body"].read() == b"keep"
    s3.delete_object_tagging(Bucket=name, Key="held.txt")
    s3.delete_bucket_tagging(Bucket=name)
    again.kill()

    third = client("s3", server_factory(tmp_path / "data").url)
    assert third.get_object_tagging(Bucket=name, Key="held.txt")["TagSet"] == []
    with pytest.raises(ClientError) as err:
        third.get_bucket_tagging(Bucket=name)
    assert err.value.response["Error"]["Code"] == "NoSuchTagSet"


def test_undoing_a_failed_write_never_takes_a_concurrent_acknowledged_one(on_disk, monkeypatch):
    import threading

    s3 = on_disk("s3", retries=False)
    name = f"race-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"old")
    failing, release, restored = threading.Event(), threading.Event(), threading.Event()
    real_sync, real_restore = s3_disk.S3Disk.sync_key, s3_disk.S3Disk.restore_key

    def sync(self, bucket, key, edited=False):
        if not failing.is_set():  # the first PUT: its write fails once the second PUT is in moto too (if it can be)
            failing.set()
            release.wait(1)
            raise OSError(errno.EIO, "Input/output error")
        release.set()
        restored.wait(5)  # the second PUT is kept only after the first one's undo
        return real_sync(self, bucket, key, edited)

    def restore(self, bucket, key):
        real_restore(self, bucket, key)
        restored.set()

    monkeypatch.setattr(s3_disk.S3Disk, "sync_key", sync)
    monkeypatch.setattr(s3_disk.S3Disk, "restore_key", restore)
    outcome = {}

    def first():
        try:
            s3.put_object(Bucket=name, Key="doc.txt", Body=b"failed")
        except ClientError as error:
            outcome["first"] = error.response["Error"]["Code"]

    def second():
        outcome["second"] = s3.put_object(Bucket=name, Key="doc.txt", Body=b"kept")["ResponseMetadata"]["HTTPStatusCode"]

    one = threading.Thread(target=first)
    one.start()
    assert failing.wait(5)
    two = threading.Thread(target=second)
    two.start()
    one.join(10)
    two.join(10)
    assert outcome == {"first": "InternalError", "second": 200}
    assert s3.get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"kept"  # answered 200: kept
