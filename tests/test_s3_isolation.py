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
