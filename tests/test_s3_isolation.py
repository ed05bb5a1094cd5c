"""The embedded S3 separates accounts as S3 does: a bucket is its owner's, another
account reaches it only through its bucket policy, for S3 calls and jobs alike."""

from __future__ import annotations

import json
import uuid

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.personalize_helpers import INTERACTIONS, ROLE, dataset, put_csv

A, B = "111111111111", "222222222222"


def code(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def bucket(make_client):
    name = f"a-private-{uuid.uuid4().hex[:8]}"
    s3 = make_client("s3", account=A)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="items.csv", Body=b"ITEM_ID\n1\n")
    return name


def test_another_account_cannot_read_write_list_or_delete(make_client, bucket):
    theirs = make_client("s3", account=B)
    denied = ("AccessDenied", 403)
    assert code(theirs.get_object, Bucket=bucket, Key="items.csv") == denied
    assert code(theirs.list_objects_v2, Bucket=bucket) == denied
    assert code(theirs.put_object, Bucket=bucket, Key="planted", Body=b"x") == denied
    assert code(theirs.delete_object, Bucket=bucket, Key="items.csv") == denied
    assert code(theirs.delete_objects, Bucket=bucket, Delete={"Objects": [{"Key": "items.csv"}]}) == denied
    assert code(theirs.put_bucket_policy, Bucket=bucket, Policy="{}") == denied
    assert code(theirs.delete_bucket, Bucket=bucket) == denied
    assert code(theirs.head_object, Bucket=bucket, Key="items.csv") == ("403", 403)
    # nothing changed for the owner
    mine = make_client("s3", account=A)
    assert [o["Key"] for o in mine.list_objects_v2(Bucket=bucket)["Contents"]] == ["items.csv"]
    assert mine.get_object(Bucket=bucket, Key="items.csv")["Body"].read() == b"ITEM_ID\n1\n"


def test_bucket_names_stay_global_and_listing_is_per_account(make_client, bucket):
    theirs = make_client("s3", account=B)
    assert code(theirs.create_bucket, Bucket=bucket) == ("BucketAlreadyExists", 409)
    assert bucket not in [b["Name"] for b in theirs.list_buckets()["Buckets"]]
    assert bucket in [b["Name"] for b in make_client("s3", account=A).list_buckets()["Buckets"]]


def test_copy_out_of_another_accounts_bucket_is_denied(make_client, bucket):
    theirs = make_client("s3", account=B)
    own = f"b-own-{uuid.uuid4().hex[:8]}"
    theirs.create_bucket(Bucket=own)
    assert code(theirs.copy_object, Bucket=own, Key="stolen", CopySource={"Bucket": bucket, "Key": "items.csv"}) \
        == ("AccessDenied", 403)
    assert "Contents" not in theirs.list_objects_v2(Bucket=own)


def test_virtual_hosted_requests_are_checked_too(wire, bucket):
    import boto3

    virtual = wire.attach(boto3.client("s3", endpoint_url="http://s3.amazonaws.com", region_name="us-east-1",
                                       aws_access_key_id=B, aws_secret_access_key="testing",
                                       config=botocore.config.Config(s3={"addressing_style": "virtual"})))
    assert virtual.list_buckets()["Buckets"] is not None
    assert code(virtual.get_object, Bucket=bucket, Key="items.csv") == ("AccessDenied", 403)


def test_a_bucket_policy_grants_another_account_what_it_says(make_client, bucket):
    mine, theirs = make_client("s3", account=A), make_client("s3", account=B)
    mine.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": ["s3:GetObject"],
         "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Allow", "Principal": {"AWS": B}, "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
    ]}))
    assert theirs.get_object(Bucket=bucket, Key="items.csv")["Body"].read() == b"ITEM_ID\n1\n"
    assert [o["Key"] for o in theirs.list_objects_v2(Bucket=bucket)["Contents"]] == ["items.csv"]
    assert code(theirs.put_object, Bucket=bucket, Key="planted", Body=b"x") == ("AccessDenied", 403)
    assert code(theirs.get_bucket_policy, Bucket=bucket) == ("AccessDenied", 403)  # the owner's alone
    other = make_client("s3", account="333333333333")
    assert code(other.get_object, Bucket=bucket, Key="items.csv") == ("AccessDenied", 403)


def test_an_explicit_deny_binds_the_owner_too(make_client, bucket):
    mine = make_client("s3", account=A)
    mine.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert code(mine.delete_object, Bucket=bucket, Key="items.csv") == ("AccessDenied", 403)
    assert mine.get_object(Bucket=bucket, Key="items.csv")["Body"].read()


def _import(make_client, account: str, location: str) -> dict:
    p = make_client("personalize", account=account)
    suffix = uuid.uuid4().hex[:6]
    group = p.create_dataset_group(name=f"g-{suffix}")["datasetGroupArn"]
    data = dataset(p, group, "Interactions", INTERACTIONS, name=f"d-{suffix}")
    arn = p.create_dataset_import_job(jobName=f"steal-{suffix}", datasetArn=data, dataSource={"dataLocation": location},
                                      roleArn=ROLE.replace("123456789012", account))["datasetImportJobArn"]
    return p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"]


def test_jobs_read_and_write_s3_as_their_own_account(make_client, bucket):
    mine = make_client("s3", account=A)
    location = put_csv(mine, bucket, "interactions.csv",
                       [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"], ["u1", "i1", "click", 1, 1]])
    job = _import(make_client, B, location)
    assert job["status"] == "CREATE FAILED" and "Access Denied" in job["failureReason"]
    mine.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": B}, "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    assert _import(make_client, B, location)["status"] == "ACTIVE"


def test_an_export_into_another_accounts_bucket_is_denied(make_client, bucket):
    p = make_client("personalize", account=B)
    group = p.create_dataset_group(name=f"g-{uuid.uuid4().hex[:6]}")["datasetGroupArn"]
    data = dataset(p, group, "Interactions", INTERACTIONS)
    arn = p.create_dataset_export_job(jobName="plant", datasetArn=data, roleArn=ROLE.replace("123456789012", B),
                                      jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/out/"}})
    job = p.describe_dataset_export_job(datasetExportJobArn=arn["datasetExportJobArn"])["datasetExportJob"]
    assert job["status"] == "CREATE FAILED" and "Access Denied" in job["failureReason"]
    assert "out/" not in str(make_client("s3", account=A).list_objects_v2(Bucket=bucket).get("Contents"))


def test_a_client_cannot_name_its_account_in_motos_header(make_client, bucket):
    theirs = make_client("s3", account=B)

    def impersonate(request, **_):
        request.headers["x-moto-account-id"] = A

    theirs.meta.events.register("before-sign.s3", impersonate)
    assert code(theirs.get_object, Bucket=bucket, Key="items.csv") == ("AccessDenied", 403)
    assert bucket not in [b["Name"] for b in theirs.list_buckets()["Buckets"]]


def _as(account: str) -> dict[str, str]:
    """Headers naming ``account`` as the caller (signatures are not verified here; the account is still theirs)."""
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={account}/20261202/us-east-1/s3/aws4_request, "
                             "SignedHeaders=host, Signature=00", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}


@pytest.mark.parametrize("segment", ["%3F", "%23", "%3B", "%3Fx%3D1", "%2F"])
def test_an_encoded_character_cannot_move_the_bucket_key_split(wire, make_client, bucket, segment):
    """What the account check reads as the bucket is what moto acts on: a name S3 would refuse is refused."""
    for method, body in (("GET", None), ("PUT", b"planted"), ("DELETE", None)):
        answer = wire.http.request(method, f"/{bucket}{segment}/items.csv", content=body, headers=_as(B))
        assert answer.status_code == 400 and b"<Code>InvalidBucketName</Code>" in answer.content, answer.content
    mine = make_client("s3", account=A)
    assert mine.get_object(Bucket=bucket, Key="items.csv")["Body"].read() == b"ITEM_ID\n1\n"


def test_keys_with_reserved_characters_round_trip(make_client, bucket):
    mine = make_client("s3", account=A)
    names = ["what?.txt", "a#b;c.txt", "100% sure", "x=1&y=2", "sp ace+plus", "%3F"]
    for name in names:
        mine.put_object(Bucket=bucket, Key=name, Body=name.encode())
    for name in names:
        assert mine.get_object(Bucket=bucket, Key=name)["Body"].read() == name.encode()
    listed = {o["Key"] for o in mine.list_objects_v2(Bucket=bucket)["Contents"]}
    assert set(names) <= listed
    assert code(make_client("s3", account=B).get_object, Bucket=bucket, Key="what?.txt") == ("AccessDenied", 403)


@pytest.mark.parametrize("source", ["s3://elsewhere/{bucket}/items.csv", "/{bucket}/items.csv",
                                    "{bucket}%2Fitems.csv", "http://x/{bucket}/items.csv?versionId=1"])
def test_a_copy_source_is_read_as_moto_reads_it(wire, make_client, bucket, source):
    theirs = make_client("s3", account=B)
    own = f"b-own-{uuid.uuid4().hex[:8]}"
    theirs.create_bucket(Bucket=own)
    answer = wire.http.put(f"/{own}/stolen", headers={**_as(B), "x-amz-copy-source": source.format(bucket=bucket)})
    assert answer.status_code == 403 and b"<Code>AccessDenied</Code>" in answer.content, answer.content
    assert "Contents" not in theirs.list_objects_v2(Bucket=own)


@pytest.mark.parametrize("source", ["just-a-bucket", "", "s3://host-only"])
def test_a_copy_source_without_a_key_is_refused(wire, make_client, source):
    own = f"a-own-{uuid.uuid4().hex[:8]}"
    make_client("s3", account=A).create_bucket(Bucket=own)
    answer = wire.http.put(f"/{own}/copy", headers={**_as(A), "x-amz-copy-source": source})
    assert answer.status_code == 400 and b"<Code>InvalidArgument</Code>" in answer.content, answer.content


def test_upload_part_copy_out_of_another_accounts_bucket_is_denied(make_client, bucket):
    theirs = make_client("s3", account=B)
    own = f"b-own-{uuid.uuid4().hex[:8]}"
    theirs.create_bucket(Bucket=own)
    upload = theirs.create_multipart_upload(Bucket=own, Key="stolen")["UploadId"]
    assert code(theirs.upload_part_copy, Bucket=own, Key="stolen", UploadId=upload, PartNumber=1,
                CopySource={"Bucket": bucket, "Key": "items.csv"}) == ("AccessDenied", 403)


def test_every_bucket_setting_is_the_owners(make_client, bucket):
    theirs, mine = make_client("s3", account=B), make_client("s3", account=A)
    block = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
    calls = [
        (theirs.put_public_access_block, {"PublicAccessBlockConfiguration": block}),
        (theirs.delete_public_access_block, {}),
        (theirs.get_public_access_block, {}),
        (theirs.put_bucket_ownership_controls,
         {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
        (theirs.put_bucket_accelerate_configuration, {"AccelerateConfiguration": {"Status": "Enabled"}}),
        (theirs.put_bucket_logging, {"BucketLoggingStatus": {}}),
        (theirs.put_bucket_request_payment, {"RequestPaymentConfiguration": {"Payer": "Requester"}}),
        (theirs.put_bucket_versioning, {"VersioningConfiguration": {"Status": "Enabled"}}),
        (theirs.put_bucket_tagging, {"Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
        (theirs.get_bucket_location, {}),
    ]
    for call, kwargs in calls:
        assert code(call, Bucket=bucket, **kwargs) == ("AccessDenied", 403), call.__name__
    mine.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)  # the owner may
    assert mine.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == block
    assert mine.get_bucket_versioning(Bucket=bucket).get("Status") is None  # nothing of theirs landed


@pytest.mark.parametrize(("method", "has_key", "flags", "action"), [
    ("PUT", False, set(), "s3:CreateBucket"),
    ("PUT", False, {"x-id"}, "s3:CreateBucket"),
    ("PUT", False, {"publicAccessBlock"}, "s3:PutBucketPublicAccessBlock"),
    ("PUT", False, {"someFutureSetting"}, "s3:PutBucketSomeFutureSetting"),
    ("DELETE", False, {"ownershipControls"}, "s3:PutBucketOwnershipControls"),
    ("DELETE", False, set(), "s3:DeleteBucket"),
    ("GET", False, {"list-type", "prefix", "X-Amz-Signature"}, "s3:ListBucket"),
    ("GET", False, {"object-lock"}, "s3:GetBucketObjectLockConfiguration"),
    ("POST", True, {"select", "select-type"}, "s3:GetObject"),
    ("DELETE", True, {"uploadId"}, "s3:AbortMultipartUpload"),
    ("DELETE", True, set(), "s3:DeleteObject"),
    ("PUT", True, {"partNumber", "uploadId"}, "s3:PutObject"),
])
def test_each_request_is_checked_as_its_iam_action(method, has_key, flags, action):
    from localexport.core.bucket_policy import s3_action

    assert s3_action(method, has_key, flags) == action


def test_a_blank_upload_id_is_no_sub_resource(wire, make_client, bucket):
    """``?uploadId=`` is a plain DELETE to moto: it is checked as DeleteObject, which a policy may deny."""
    mine = make_client("s3", account=A)
    mine.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": B}, "Action": "s3:AbortMultipartUpload",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    answer = wire.http.delete(f"/{bucket}/items.csv?uploadId=", headers=_as(B))
    assert answer.status_code == 403, answer.content
    assert mine.get_object(Bucket=bucket, Key="items.csv")["Body"].read()


def test_resetting_one_account_leaves_the_others_objects(local, make_client, bucket):
    theirs = make_client("s3", account=B)
    own = f"b-own-{uuid.uuid4().hex[:8]}"
    theirs.create_bucket(Bucket=own)
    theirs.put_object(Bucket=own, Key="kept.txt", Body=b"still here")
    theirs.put_bucket_tagging(Bucket=own, Tagging={"TagSet": [{"Key": "team", "Value": "b"}]})
    local.controls.reset(A)
    assert theirs.get_object(Bucket=own, Key="kept.txt")["Body"].read() == b"still here"
    assert theirs.get_bucket_tagging(Bucket=own)["TagSet"] == [{"Key": "team", "Value": "b"}]
    mine = make_client("s3", account=A)
    assert bucket not in [b["Name"] for b in mine.list_buckets()["Buckets"]]
    theirs.create_bucket(Bucket=bucket)  # the name is free again
