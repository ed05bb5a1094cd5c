"""A file a job puts into the embedded S3 becomes the object moto's own PutObject makes of its bytes, without
the bytes being copied: field by field, and as S3 clients see it."""

from __future__ import annotations

import pytest
from moto.s3.models import s3_backends

ACCOUNT = "123456789012"
SKIPPED = {"_value_buffer", "lock", "last_modified", "_time_progressed", "_version_id", "name"}  # (times; buffers by content)


def _key(bucket: str, name: str, version: int = -1):
    return s3_backends[ACCOUNT]["aws"].get_bucket(bucket).keys.getlist(name)[version]


def _fields(key) -> dict:
    return {k: repr(v) if k == "acl" else v for k, v in vars(key).items() if k not in SKIPPED}  # (ACLs: no __eq__)


@pytest.mark.parametrize("setting", ["plain", "versioned", "default encryption", "kms key"])
def test_a_jobs_file_is_the_object_put_object_makes(make_client, local, tmp_path, monkeypatch, setting):
    """(Past moto's spooled size, 1 KB here, the key holds the job's file; under it, moto's buffer.)"""
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "1024")
    s3 = make_client("s3")
    s3.create_bucket(Bucket="job-output")
    kms = "arn:aws:kms:us-east-1:123456789012:key/job" if setting == "kms key" else None
    if setting == "versioned":
        s3.put_bucket_versioning(Bucket="job-output", VersioningConfiguration={"Status": "Enabled"})
    if setting == "default encryption":
        s3.put_bucket_encryption(Bucket="job-output", ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "bucket-key"},
            "BucketKeyEnabled": True}]})
    body = b"USER_ID,ITEM_ID\n" + b"u,i\n" * 100_000
    part = tmp_path / "part-00000.csv"
    part.write_bytes(body)
    local.runtime.objects.upload(ACCOUNT, "job-output", "out/part-00000.csv", part, kms)
    part.unlink()  # (the job removes its scratch: the object stays)
    backend = s3_backends[ACCOUNT]["aws"]
    extra = {"encryption": "aws:kms", "kms_key_id": kms} if kms else {}
    backend.put_object("job-output", "moto/part-00000.csv", body, **extra)

    ours, theirs = _key("job-output", "out/part-00000.csv"), _key("job-output", "moto/part-00000.csv")
    assert _fields(ours) == _fields(theirs)
    assert ours._value_buffer.name == str(part)
    assert ours.value == theirs.value == body and ours.etag == theirs.etag and ours.size == len(body)
    assert (ours.version_id != "null") == (setting == "versioned")
    got = s3.get_object(Bucket="job-output", Key="out/part-00000.csv")
    assert got["Body"].read() == body and got["ETag"] == ours.etag and got["ContentLength"] == len(body)
    if setting in ("kms key", "default encryption"):
        assert got["ServerSideEncryption"] == "aws:kms"
        assert got["SSEKMSKeyId"] == (kms or "bucket-key")

    again = tmp_path / "again.csv"
    again.write_bytes(b"USER_ID,ITEM_ID\nv,j\n")
    local.runtime.objects.upload(ACCOUNT, "job-output", "out/part-00000.csv", again, kms)
    versions = s3_backends[ACCOUNT]["aws"].get_bucket("job-output").keys.getlist("out/part-00000.csv")
    assert [v.value for v in versions] == ([body] if setting == "versioned" else []) + [b"USER_ID,ITEM_ID\nv,j\n"]
    assert s3.get_object(Bucket="job-output", Key="out/part-00000.csv")["Body"].read() == b"USER_ID,ITEM_ID\nv,j\n"
    listed = s3.list_objects_v2(Bucket="job-output", Prefix="out/")["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("out/part-00000.csv", 20)]


def test_a_key_disposed_of_while_it_is_read_is_no_such_key(make_client, local, tmp_path, monkeypatch):
    """moto closes a replaced or deleted key's buffer without its lock: a reader caught between finding the key
    and reading it gets NoSuchKey, as it would a moment later, not an I/O error."""
    from localexport.core.objects import ObjectError

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "64")
    s3 = make_client("s3")
    s3.create_bucket(Bucket="job-input")
    s3.put_object(Bucket="job-input", Key="in.csv", Body=b"USER_ID\n" + b"u\n" * 100)
    _key("job-input", "in.csv").dispose()  # (as a concurrent PUT does, the key still listed for a moment)
    objects = local.runtime.objects
    with (tmp_path / "out").open("wb") as out, pytest.raises(ObjectError, match="NoSuchKey"):
        objects.download(ACCOUNT, "job-input", "in.csv", out)
    with pytest.raises(ObjectError, match="NoSuchKey"), objects.held_file(ACCOUNT, "job-input", "in.csv"):
        pass
