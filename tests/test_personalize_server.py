"""Personalize against real processes: a ``localexport serve`` on loopback with its embedded
S3, and localexport writing to an external S3 (a ``moto.server`` process)."""

from __future__ import annotations

import time

import requests
from conftest import client
from personalize_helpers import INTERACTIONS, ITEMS, canonical, dataset, export_job, exported, import_job, put_csv


def _wait(describe, key: str, arn_field: str, arn: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = describe(**{arn_field: arn})[key]
        if job["status"] in ("ACTIVE", "CREATE FAILED"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"{arn} did not finish")


def _until(check) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_flow_on_a_real_server_with_its_embedded_s3(server_factory):
    server = server_factory(LOCALEXPORT_JOB_MODE="realistic", LOCALEXPORT_JOB_DELAY="0.2")
    p, events, s3 = (client(name, server.url) for name in ("personalize", "personalize-events", "s3"))
    s3.create_bucket(Bucket="served-bucket")
    group = p.create_dataset_group(name="served")["datasetGroupArn"]
    _until(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE")
    arn = dataset(p, group, "Items", ITEMS)
    _until(lambda: p.describe_dataset(datasetArn=arn)["dataset"]["status"] == "ACTIVE")
    location = put_csv(s3, "served-bucket", "in/items.csv", [["ITEM_ID", "GENRES", "PRICE"], ["a", "x|y", "1"]])
    started = p.create_dataset_import_job(jobName="in", datasetArn=arn, dataSource={"dataLocation": location},
                                          roleArn="arn:aws:iam::123456789012:role/r")["datasetImportJobArn"]
    assert p.describe_dataset_import_job(datasetImportJobArn=started)["datasetImportJob"]["status"] == "CREATE PENDING"
    assert _wait(p.describe_dataset_import_job, "datasetImportJob", "datasetImportJobArn", started)["status"] == "ACTIVE"
    events.put_items(datasetArn=arn, items=[{"itemId": "b", "properties": '{"price": 2.5}'}])
    export = p.create_dataset_export_job(jobName="out", datasetArn=arn, ingestionMode="ALL",
                                         roleArn="arn:aws:iam::123456789012:role/r",
                                         jobOutput={"s3DataDestination": {"path": "s3://served-bucket/out"}})
    job = _wait(p.describe_dataset_export_job, "datasetExportJob", "datasetExportJobArn", export["datasetExportJobArn"])
    assert job["status"] == "ACTIVE"
    keys, rows = exported(s3, "served-bucket", "out/out/")
    assert keys == ["out/out/part-00000.csv"]
    assert canonical(rows, ITEMS) == [("a", "x|y", 1.0), ("b", None, 2.5)]
    # a presigned URL of the embedded S3 serves the file to any HTTP client
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "served-bucket", "Key": keys[0]})
    assert requests.get(url, timeout=10).text.startswith("ITEM_ID,GENRES,PRICE")


def test_jobs_read_and_write_an_external_s3(make_client, moto_s3, tmp_path):
    from localexport.app import LocalExport
    from localexport.config import Settings
    from localexport.inprocess import InProcess

    settings = Settings(job_mode="immediate", s3_endpoint_url=moto_s3, s3_access_key_id="testing",
                        s3_secret_access_key="testing")
    instance = LocalExport(settings, in_memory=True)
    wire = InProcess(instance)
    try:
        p = wire.attach(client("personalize", "http://localexport"))
        external = client("s3", moto_s3, account="")
        external.create_bucket(Bucket="external-bucket")
        arn = dataset(p, p.create_dataset_group(name="ext")["datasetGroupArn"], "Interactions", INTERACTIONS)
        rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"], ["u", "i", "buy", "", "5"]]
        assert import_job(p, arn, put_csv(external, "external-bucket", "in.csv", rows), "in")["status"] == "ACTIVE"
        assert export_job(p, arn, "external-bucket", "ext", "BULK")["status"] == "ACTIVE"
        keys, got = exported(external, "external-bucket", "exports/ext/")
        assert keys == ["exports/ext/part-00000.csv"]
        assert canonical(got, INTERACTIONS) == [("u", "i", "buy", None, 5)]
        failed = export_job(p, arn, "missing-external-bucket", "nowhere", "BULK")
        assert failed["status"] == "CREATE FAILED" and "bucket does not exist" in failed["failureReason"]
        # the embedded S3 is off: S3 calls to localexport are not answered as S3
        assert wire.http.get("/external-bucket", headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, "
                             "SignedHeaders=host, Signature=0"}).status_code == 404
    finally:
        wire.close()
        instance.close()


def test_embedded_s3_objects_survive_a_restart(server_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = server_factory(data_dir)
    s3 = client("s3", server.url, account="111122223333")
    s3.create_bucket(Bucket="kept-bucket")
    s3.put_object(Bucket="kept-bucket", Key="a/b.csv", Body=b"ITEM_ID\nx\n")
    server.stop()  # a graceful stop saves the embedded S3 in the data dir
    server = server_factory(data_dir)
    s3 = client("s3", server.url, account="111122223333")
    assert s3.get_object(Bucket="kept-bucket", Key="a/b.csv")["Body"].read() == b"ITEM_ID\nx\n"
    other = client("s3", server.url, account="444455556666")
    assert other.list_buckets()["Buckets"] == []  # still that account's bucket
