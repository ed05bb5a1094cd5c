"""Personalize through boto3: datasets, bulk imports, PUT records and dataset export jobs to S3."""

from __future__ import annotations

import csv
import json

import pytest
from personalize_helpers import (
    INTERACTIONS,
    ITEMS,
    MOVIES,
    ROLE,
    TRAVEL,
    canonical,
    dataset,
    export_job,
    exported,
    import_job,
    put_csv,
    travel_schemas,
)
from postgres import on_both_backends
from test_wire import error_of

from localexport.core.objects import ObjectError


@pytest.fixture
def p(make_client):
    return make_client("personalize")


@pytest.fixture
def events(make_client):
    return make_client("personalize-events")


@pytest.fixture
def s3(make_client):
    client = make_client("s3")
    client.create_bucket(Bucket="personalize-data")
    yield client
    for obj in client.list_objects_v2(Bucket="personalize-data").get("Contents", []):
        client.delete_object(Bucket="personalize-data", Key=obj["Key"])
    client.delete_bucket(Bucket="personalize-data")


@pytest.fixture
def group(p):
    return p.create_dataset_group(name="shop")["datasetGroupArn"]


BUCKET = "personalize-data"


def _csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@on_both_backends
def test_real_travel_datasets_import_and_export_unchanged(p, s3, group, fixtures_dir):
    """The immersion day's three real datasets import with their real schemas and export as they came in."""
    schemas = travel_schemas(fixtures_dir)
    for name, kind in (("interactions", "Interactions"), ("items", "Items"), ("users", "Users")):
        arn = dataset(p, group, kind, schemas[name])
        source = fixtures_dir / TRAVEL / "poc_data" / f"{name}.csv"
        s3.upload_file(str(source), BUCKET, f"travel/{name}.csv")
        job = import_job(p, arn, f"s3://{BUCKET}/travel/{name}.csv", f"import-{name}")
        assert job["status"] == "ACTIVE", job.get("failureReason")
        done = export_job(p, arn, BUCKET, f"export-{name}", "BULK")
        assert done["status"] == "ACTIVE" and done["ingestionMode"] == "BULK"
        keys, rows = exported(s3, BUCKET, f"exports/export-{name}/")
        assert keys == [f"exports/export-{name}/part-00000.csv"]
        expected = {tuple(sorted(r.items())) for r in _csv_rows(source)}  # exact duplicates are exported once
        assert canonical(rows, schemas[name]) == canonical([dict(r) for r in expected], schemas[name])
        header = s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read().decode().splitlines()[0]
        assert header == ",".join(f["name"] for f in schemas[name]["fields"])


def test_movielens_folder_import_and_put_events_by_mode(p, events, s3, group, fixtures_dir):
    params = json.loads((fixtures_dir / MOVIES / "params.json").read_text())
    schema = params["datasets"]["Interactions"]["schema"]
    arn = dataset(p, group, "Interactions", schema)
    s3.upload_file(str(fixtures_dir / MOVIES / "data/Interactions/interactions.csv"), BUCKET, "movies/a.csv")
    put_csv(s3, BUCKET, "movies/b.csv", [["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"], ["1", "2", "3", "watch"]])
    assert import_job(p, arn, f"s3://{BUCKET}/movies/", "movies")["status"] == "ACTIVE"
    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=group)
    assert p.describe_dataset(datasetArn=arn)["dataset"]["trackingId"] == tracker["trackingId"]
    events.put_events(trackingId=tracker["trackingId"], userId="u1", sessionId="s1",
                      eventList=[{"eventType": "watch", "itemId": "i1", "sentAt": 1700000000},
                                 {"eventType": "click", "itemId": "i1", "sentAt": 1700000001}])
    events.put_events(trackingId=tracker["trackingId"], sessionId="anon-session",  # anonymous: the session is the user
                      eventList=[{"eventType": "watch", "itemId": "i2", "sentAt": 1700000002}])
    bulk = _csv_rows(fixtures_dir / MOVIES / "data/Interactions/interactions.csv") + [
        {"USER_ID": "1", "ITEM_ID": "2", "TIMESTAMP": "3", "EVENT_TYPE": "watch"}]
    put = [{"USER_ID": "u1", "ITEM_ID": "i1", "TIMESTAMP": "1700000000", "EVENT_TYPE": "watch"},
           {"USER_ID": "u1", "ITEM_ID": "i1", "TIMESTAMP": "1700000001", "EVENT_TYPE": "click"},
           {"USER_ID": "anon-session", "ITEM_ID": "i2", "TIMESTAMP": "1700000002", "EVENT_TYPE": "watch"}]
    for mode, expected in (("BULK", bulk), ("PUT", put), ("ALL", bulk + put)):
        assert export_job(p, arn, BUCKET, f"movies-{mode.lower()}", mode)["status"] == "ACTIVE"
        _, rows = exported(s3, BUCKET, f"exports/movies-{mode.lower()}/")
        assert canonical(rows, schema) == canonical(expected, schema), mode


def test_items_modes_resolve_incremental_imports_and_put_updates(p, events, s3, group):
    """BULK: what the imports left (a later INCREMENTAL import replaces records with its ids);
    PUT: every PutItems record; ALL: the newest record per ITEM_ID; exact duplicates once."""
    arn = dataset(p, group, "Items", ITEMS)
    header = ["ITEM_ID", "GENRES", "PRICE"]
    full = put_csv(s3, BUCKET, "items/full.csv", [header, ["a", "Drama", "1.5"], ["b", "Comedy|Drama", "2"],
                                                   ["b", "Comedy|Drama", "2"], ["c", "", "3"], ["c", "Horror", "3"]])
    assert import_job(p, arn, full, "items-full")["status"] == "ACTIVE"
    events.put_items(datasetArn=arn, items=[{"itemId": "a", "properties": json.dumps({"genres": "Action", "price": 9})},
                                            {"itemId": "p", "properties": '{"price": "4.25"}'},
                                            {"itemId": "p", "properties": '{"price": 5}'}])
    later = put_csv(s3, BUCKET, "items/more.csv", [header, ["b", "Western", "7"], ["d", "Kids", "1"]])
    assert import_job(p, arn, later, "items-more", "INCREMENTAL")["status"] == "ACTIVE"
    expected = {
        "BULK": [("a", "Drama", 1.5), ("b", "Western", 7.0), ("c", None, 3.0), ("c", "Horror", 3.0), ("d", "Kids", 1.0)],
        "PUT": [("a", "Action", 9.0), ("p", None, 4.25), ("p", None, 5.0)],
        "ALL": [("a", "Action", 9.0), ("b", "Western", 7.0), ("c", "Horror", 3.0), ("d", "Kids", 1.0),
                ("p", None, 5.0)],
    }
    for mode, rows in expected.items():
        assert export_job(p, arn, BUCKET, f"items-{mode.lower()}", mode)["status"] == "ACTIVE"
        _, got = exported(s3, BUCKET, f"exports/items-{mode.lower()}/")
        assert canonical(got, ITEMS) == sorted(rows, key=repr), mode


def test_full_import_replaces_bulk_data_and_keeps_put_records(p, events, s3, group):
    arn = dataset(p, group, "Users", {"type": "record", "name": "Users", "fields": [
        {"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": "int"}], "version": "1.0"})
    first = put_csv(s3, BUCKET, "u/1.csv", [["USER_ID", "AGE"], ["u1", "30"], ["u2", "40"]])
    second = put_csv(s3, BUCKET, "u/2.csv", [["AGE", "USER_ID"], ["50", "u3"]])  # any column order
    assert import_job(p, arn, first, "users-1")["status"] == "ACTIVE"
    events.put_users(datasetArn=arn, users=[{"userId": "u9", "properties": '{"age": 20}'}])
    assert import_job(p, arn, second, "users-2", "FULL")["status"] == "ACTIVE"
    export_job(p, arn, BUCKET, "users-all", None)  # ingestionMode defaults to PUT
    assert [r["USER_ID"] for r in exported(s3, BUCKET, "exports/users-all/")[1]] == ["u9"]
    export_job(p, arn, BUCKET, "users-bulk", "BULK")
    assert [(r["USER_ID"], r["AGE"]) for r in exported(s3, BUCKET, "exports/users-bulk/")[1]] == [("u3", "50")]


@pytest.mark.parametrize(("rows", "reason"), [
    ([["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIME"], ["u", "i", "x", "1"]],
     "columns TIME are not in the schema; required columns TIMESTAMP are missing"),
    ([["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], ["u", "i", "x", "1"], ["u", "i", "x", "yesterday"]],
     "yesterday"),
    ([["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], ["u", "", "x", "1"]],
     "no value for ITEM_ID"),
    ([["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], ["u", "i", "x"]], "s3://personalize-data/bad/file.csv"),
    ([], "is empty"),
])
def test_bad_input_fails_the_import_and_changes_nothing(p, s3, group, rows, reason):
    arn = dataset(p, group, "Interactions", INTERACTIONS)
    good = put_csv(s3, BUCKET, "good.csv", [["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], ["u", "i", "x", "1"]])
    import_job(p, arn, good, "good")
    job = import_job(p, arn, put_csv(s3, BUCKET, "bad/file.csv", rows), "bad", "INCREMENTAL")
    assert job["status"] == "CREATE FAILED" and reason in job["failureReason"], job["failureReason"]
    export_job(p, arn, BUCKET, "after", "BULK")
    assert len(exported(s3, BUCKET, "exports/after/")[1]) == 1


def test_exact_duplicates_are_one_record_and_other_imports_keep_their_order(p, s3, group):
    """Rows equal in every field (nulls included, across the files of a folder) are imported once; rows that
    differ in any field, even by case, are kept; an import without duplicates is exported in its files' order;
    a rule a duplicated row breaks counts it once."""
    arn = dataset(p, group, "Interactions", INTERACTIONS)
    head = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]
    first = [["u1", "i1", "click", "", "1"], ["u1", "i1", "click", "", "1"], ["u1", "i1", "Click", "", "1"],
             ["u2", "i2", "watch", "2.5", "2"]]
    second = [["u2", "i2", "watch", "2.5", "2"], ["u1", "i1", "click", "0.5", "1"]]
    put_csv(s3, BUCKET, "dups/a.csv", [head, *first])
    put_csv(s3, BUCKET, "dups/b.csv", [head, *second])
    assert import_job(p, arn, f"s3://{BUCKET}/dups/", "dups")["status"] == "ACTIVE"
    export_job(p, arn, BUCKET, "dups", "BULK")
    rows = [[r[h] for h in head] for r in exported(s3, BUCKET, "exports/dups/")[1]]
    assert sorted(rows) == sorted([first[0], first[2], first[3], second[1]])

    ordered = [["u9", "i3", "click", "", "5"], ["u1", "i2", "click", "", "9"], ["u5", "i1", "watch", "1.5", "1"]]
    put_csv(s3, BUCKET, "ordered.csv", [head, *ordered])
    assert import_job(p, arn, f"s3://{BUCKET}/ordered.csv", "ordered")["status"] == "ACTIVE"
    export_job(p, arn, BUCKET, "ordered", "BULK")
    assert [[r[h] for h in head] for r in exported(s3, BUCKET, "exports/ordered/")[1]] == ordered

    missing = ["u1", "", "click", "", "1"]
    job = import_job(p, arn, put_csv(s3, BUCKET, "missing.csv", [head, missing, missing, first[0]]), "missing")
    assert job["status"] == "CREATE FAILED"
    assert "1 rows have no value for ITEM_ID" in job["failureReason"], job["failureReason"]


@pytest.mark.parametrize("kept", ["in memory", "in a file"])
def test_an_import_reads_an_object_where_the_embedded_s3_keeps_it(p, s3, group, local, monkeypatch, kept):
    """moto keeps an object past its buffer's size in a file: an import reads that file (nothing is downloaded
    into the job's scratch), the files count toward a job's size limit all the same, and what a reader holds
    stays readable, unchanged, when the object is replaced or deleted meanwhile."""
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "100000000" if kept == "in memory" else "64")
    arn = dataset(p, group, "Interactions", INTERACTIONS)
    head = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]
    rows = [[f"u{i}", f"i{i % 7}", "click", "", str(1_700_000_000 + i)] for i in range(50)]
    location = put_csv(s3, BUCKET, "held/a.csv", [head, *rows])
    objects = local.runtime.objects
    downloads = []
    download = objects.download
    monkeypatch.setattr(objects, "download", lambda *args: downloads.append(args[2]) or download(*args))
    assert import_job(p, arn, location, "held")["status"] == "ACTIVE"
    assert downloads == (["held/a.csv"] if kept == "in memory" else [])
    export_job(p, arn, BUCKET, "held", "BULK")
    assert [[r[h] for h in head] for r in exported(s3, BUCKET, "exports/held/")[1]] == rows

    body = s3.get_object(Bucket=BUCKET, Key="held/a.csv")["Body"].read()
    with objects.held_file("123456789012", BUCKET, "held/a.csv") as found:
        assert (found is None) == (kept == "in memory")
        put_csv(s3, BUCKET, "held/a.csv", [head, rows[0]])
        s3.delete_object(Bucket=BUCKET, Key="held/a.csv")
        if found is not None:
            assert found[0].read_bytes() == body and found[1] == len(body)
    assert error_of(s3.get_object, Bucket=BUCKET, Key="held/a.csv")[0] == "NoSuchKey"
    with pytest.raises(ObjectError, match="NoSuchKey"), objects.held_file("123456789012", BUCKET, "held/a.csv"):
        pass


def test_missing_bucket_or_object_fails_the_job_with_the_reason(p, s3, group):
    arn = dataset(p, group, "Interactions", INTERACTIONS)
    job = import_job(p, arn, "s3://no-such-bucket-here/x.csv", "nobucket")
    assert job["status"] == "CREATE FAILED" and "NoSuchBucket" in job["failureReason"]
    job = import_job(p, arn, f"s3://{BUCKET}/missing.csv", "nokey")
    assert job["status"] == "CREATE FAILED" and "NoSuchKey" in job["failureReason"]
    job = export_job(p, arn, "no-such-bucket-here", "to-nowhere", "ALL")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == "Failed to write to s3://no-such-bucket-here/exports/: the S3 bucket does not exist."


def test_exports_split_into_parts_with_a_header_each(make_client, tmp_path):
    from localexport.app import LocalExport
    from localexport.config import Settings
    from localexport.inprocess import InProcess

    instance = LocalExport(Settings(job_mode="immediate", export_part_rows=3), in_memory=True)
    wire = InProcess(instance)
    try:
        import boto3

        def client(name):
            return wire.attach(boto3.client(name, endpoint_url="http://localexport", region_name="eu-west-1",
                                            aws_access_key_id="210987654321", aws_secret_access_key="x"))

        p, s3 = client("personalize"), client("s3")
        s3.create_bucket(Bucket="parts-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        arn = dataset(p, p.create_dataset_group(name="g")["datasetGroupArn"], "Interactions", INTERACTIONS)
        rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]] + [[f"u{i}", "i", "x", str(i)] for i in range(7)]
        assert import_job(p, arn, put_csv(s3, "parts-bucket", "in.csv", rows), "in")["status"] == "ACTIVE"
        export_job(p, arn, "parts-bucket", "split", "BULK", path="out")
        keys, got = exported(s3, "parts-bucket", "out/split/")
        assert keys == [f"out/split/part-0000{i}.csv" for i in range(3)] and len(got) == 7
    finally:
        wire.close()
        instance.close()


@on_both_backends
def test_export_job_statuses_and_listing(make_client, local):
    local.controls.set_timing("manual", None)
    p, s3 = make_client("personalize"), make_client("s3")
    s3.create_bucket(Bucket="listing-bucket")
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    arns = [dataset(p, group, kind, schema) for kind, schema in (("Interactions", INTERACTIONS), ("Items", ITEMS))]
    jobs = []
    for i in range(3):
        for arn in arns:
            jobs.append(p.create_dataset_export_job(
                jobName=f"job-{i}-{arn[-5:].lower()}", datasetArn=arn, roleArn=ROLE, ingestionMode="ALL",
                jobOutput={"s3DataDestination": {"path": "s3://listing-bucket/x/"}})["datasetExportJobArn"])
    assert p.describe_dataset_export_job(datasetExportJobArn=jobs[0])["datasetExportJob"]["status"] == "CREATE PENDING"
    for job in local.controls.jobs("personalize"):
        local.controls.advance(job["id"])
    described = p.describe_dataset_export_job(datasetExportJobArn=jobs[0])["datasetExportJob"]
    assert described["status"] == "ACTIVE" and described["ingestionMode"] == "ALL"
    assert described["jobOutput"] == {"s3DataDestination": {"path": "s3://listing-bucket/x/"}}
    first = p.list_dataset_export_jobs(datasetArn=arns[0], maxResults=2)
    rest = p.list_dataset_export_jobs(datasetArn=arns[0], maxResults=2, nextToken=first["nextToken"])
    listed = [j["datasetExportJobArn"] for j in first["datasetExportJobs"] + rest["datasetExportJobs"]]
    assert listed == jobs[0::2][::-1] and "nextToken" not in rest
    assert len(p.list_dataset_export_jobs()["datasetExportJobs"]) == 6
    assert error_of(p.list_dataset_export_jobs, nextToken="bogus")[0] == "InvalidNextTokenException"


def test_resource_statuses_settle_in_realistic_mode(p, local):
    local.controls.set_timing("realistic", 30)
    group = p.create_dataset_group(name="slow")["datasetGroupArn"]
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "CREATE PENDING"
    schema = p.create_schema(name="s", schema=json.dumps(INTERACTIONS))["schemaArn"]
    code, _, message = error_of(p.create_dataset, name="d", schemaArn=schema, datasetGroupArn=group,
                                datasetType="Interactions")
    assert code == "ResourceInUseException" and "CREATE PENDING" in message
    local.controls.advance_clock(16)
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "CREATE IN_PROGRESS"
    local.controls.advance_clock(15)
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"
    p.delete_dataset_group(datasetGroupArn=group)
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "DELETE PENDING"
    local.controls.advance_clock(31)
    assert error_of(p.describe_dataset_group, datasetGroupArn=group)[0] == "ResourceNotFoundException"


def test_errors_are_aws_errors_and_change_nothing(p, events, s3, group):
    interactions = dataset(p, group, "Interactions", INTERACTIONS)
    actions = dataset(p, group, "Actions", {"type": "record", "name": "Actions", "fields": [
        {"name": "ACTION_ID", "type": "string"}, {"name": "VALUE", "type": ["null", "long"]}], "version": "1.0"})
    missing = interactions.replace("INTERACTIONS", "USERS")
    output = {"s3DataDestination": {"path": f"s3://{BUCKET}/e/"}}
    cases = [
        (p.create_dataset_export_job, {"jobName": "a", "datasetArn": actions, "roleArn": ROLE, "jobOutput": output},
         "InvalidInputException", "Actions datasets cannot be exported"),
        (p.create_dataset_export_job, {"jobName": "m", "datasetArn": missing, "roleArn": ROLE, "jobOutput": output},
         "ResourceNotFoundException", missing),
        (p.create_dataset_export_job, {"jobName": "r", "datasetArn": interactions, "roleArn": "arn:aws:iam::1:role/x",
                                           "jobOutput": output}, "InvalidInputException", "roleArn"),
        (p.create_dataset_import_job, {"jobName": "i", "datasetArn": interactions, "roleArn": ROLE, "importMode": "INCREMENTAL",
                                           "dataSource": {"dataLocation": f"s3://{BUCKET}/x.csv"}},
         "InvalidInputException", "must use importMode FULL"),
        (p.create_dataset_group, {"name": "shop"}, "ResourceAlreadyExistsException", "dataset-group/shop"),
        (p.create_dataset_group, {"name": "k", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k"},
         "InvalidInputException", "roleArn is required"),
        (p.create_dataset, {"name": "x", "schemaArn": p.create_schema(name="items-for-users", schema=json.dumps(ITEMS))[
            "schemaArn"], "datasetGroupArn": group, "datasetType": "Users"}, "InvalidInputException", "must be Users"),
        (p.create_dataset, {"name": "x", "schemaArn": p.list_schemas()["schemas"][0]["schemaArn"],
                                "datasetGroupArn": group, "datasetType": "Widgets"}, "InvalidInputException", "Widgets"),
        (p.create_schema, {"name": "nested", "schema": json.dumps({**ITEMS, "fields": [
            {"name": "ITEM_ID", "type": {"type": "array", "items": "string"}}]})}, "InvalidInputException", "ITEM_ID"),
        (p.delete_dataset_group, {"datasetGroupArn": group}, "ResourceInUseException", "delete them first"),
        (p.describe_dataset, {"datasetArn": missing}, "ResourceNotFoundException", missing),
        (events.put_items, {"datasetArn": missing, "items": [{"itemId": "a"}]}, "ResourceNotFoundException", missing),
        (events.put_users, {"datasetArn": interactions, "users": [{"userId": "a"}]}, "InvalidInputException",
         "not a users dataset"),
        (events.put_events, {"trackingId": "nope", "sessionId": "s", "eventList": [
            {"eventType": "x", "sentAt": 1}]}, "InvalidInputException", "Invalid tracking ID"),
    ]
    for call, params, code, text in cases:
        got, status, message = error_of(call, **params)
        assert (got, text in message) == (code, True), (call, got, message)
        assert status == (404 if got == "ResourceNotFoundException" and call.__self__ is events else 400)
    export_job(p, interactions, BUCKET, "ok", "ALL")
    assert error_of(p.create_dataset_export_job, jobName="ok", datasetArn=interactions, roleArn=ROLE,
                    jobOutput=output)[0] == "ResourceAlreadyExistsException"
    assert len(p.list_dataset_export_jobs()["datasetExportJobs"]) == 1
    assert len(p.list_datasets(datasetGroupArn=group)["datasets"]) == 2
    assert p.list_dataset_export_jobs(datasetArn=missing)["datasetExportJobs"] == []  # no error, as AWS declares
    assert p.list_datasets(datasetGroupArn=group + "-gone")["datasets"] == []


def test_put_records_are_checked_against_the_schema(p, events, group):
    items = dataset(p, group, "Items", ITEMS)
    tracker = p.create_event_tracker(name="t", datasetGroupArn=group)["trackingId"]
    dataset(p, group, "Interactions", INTERACTIONS)
    bad = [
        (events.put_items, {"datasetArn": items, "items": [{"itemId": "a", "properties": '{"colour": "red"}'}]},
         "Property colour"),
        (events.put_items, {"datasetArn": items, "items": [{"itemId": "a", "properties": '{"price": "cheap"}'}]},
         "field PRICE of type float"),
        (events.put_items, {"datasetArn": items, "items": [{"itemId": "a", "properties": '{"genres": "x"}'}]},
         "required field PRICE"),
        (events.put_items, {"datasetArn": items, "items": [{"itemId": "a", "properties": "[1]"}]}, "JSON object"),
        (events.put_events, {"trackingId": tracker, "sessionId": "s", "eventList": [{"eventType": "x", "sentAt": 1}]},
         "required field ITEM_ID"),
    ]
    for call, params, text in bad:
        code, _, message = error_of(call, **params)
        assert code == "InvalidInputException" and text in message, message
    assert error_of(p.create_event_tracker, name="t2", datasetGroupArn=group)[0] == "LimitExceededException"


def test_accounts_and_regions_do_not_see_each_other(make_client, p, group):
    arn = dataset(p, group, "interactions", INTERACTIONS)  # dataset types are case-insensitive
    assert p.describe_dataset(datasetArn=arn)["dataset"]["datasetType"] == "Interactions"
    for other in (make_client("personalize", account="111122223333"), make_client("personalize", region="eu-west-1")):
        assert error_of(other.describe_dataset, datasetArn=arn)[0] == "ResourceNotFoundException"
        assert other.list_dataset_groups()["datasetGroups"] == []
        other.create_dataset_group(name="shop")  # the same name is free elsewhere


def test_dataset_group_quota(p):
    for i in range(5):
        p.create_dataset_group(name=f"g{i}")
    assert error_of(p.create_dataset_group, name="g5")[0] == "LimitExceededException"
    assert len(p.list_dataset_groups()["datasetGroups"]) == 5


def test_tags_of_resources_and_jobs(p, s3, group):
    arn = dataset(p, group, "Interactions", INTERACTIONS)
    job = export_job(p, arn, BUCKET, "tagged", "ALL")["datasetExportJobArn"]
    p.tag_resource(resourceArn=group, tags=[{"tagKey": "team", "tagValue": "ml"}])
    p.tag_resource(resourceArn=job, tags=[{"tagKey": "run", "tagValue": "1"}, {"tagKey": "x", "tagValue": "y"}])
    p.untag_resource(resourceArn=job, tagKeys=["x"])
    assert p.list_tags_for_resource(resourceArn=group)["tags"] == [{"tagKey": "team", "tagValue": "ml"}]
    assert p.list_tags_for_resource(resourceArn=job)["tags"] == [{"tagKey": "run", "tagValue": "1"}]
    many = [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(50)]
    assert error_of(p.tag_resource, resourceArn=group, tags=many)[0] == "TooManyTagsException"
    assert error_of(p.list_tags_for_resource, resourceArn=group + "-gone")[0] == "ResourceNotFoundException"


@pytest.mark.parametrize("part_rows", [1_000, 3_000, 6_000])  # under a row group, across groups, all in one
def test_a_whole_segment_is_written_in_parts_as_the_general_query_writes_them(tmp_path, part_rows, monkeypatch):
    """One import exported BULK is copied part by part straight from its file: the same bytes, part for part,
    as the query every other export runs (quotes, commas, line breaks, nulls, numbers, booleans); parts
    smaller than the file's row groups go the general way."""
    from localexport.services.personalize import records
    from localexport.services.personalize.schemas import Field

    fields = [Field("USER_ID", "string", False), Field("ITEM_ID", "string", False), Field("EVENT_VALUE", "float", True),
              Field("TIMESTAMP", "long", False), Field("IMPRESSION", "string", True), Field("CLICKED", "boolean", True)]
    source = tmp_path / "in.csv"
    with open(source, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f.name for f in fields])
        for i in range(5_000):
            writer.writerow([f'u,"{i}"', f"item\n{i % 5}", "" if i % 4 == 0 else str(i / 3), str(1_700_000_000 + i),
                             "" if i % 3 else "a|b", ["true", "false", ""][i % 3]])
    imported, segment = tmp_path / "imported.parquet", tmp_path / "segment.parquet"
    general_ways = []
    general = records.csv_parts
    monkeypatch.setattr(records, "csv_parts", lambda *args: general_ways.append(args) or general(*args))
    with records.connect(tmp_path) as con:
        assert records.import_csv(con, [("in.csv", source)], fields, imported) == 5_000
        con.execute(f"COPY (SELECT * FROM read_parquet('{imported}')) TO '{segment}' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 2048)")  # (DuckDB's smallest row group)
        assert con.execute(f"SELECT num_row_groups FROM parquet_file_metadata('{segment}')").fetchall() == [(3,)]
        bulk = [records.Segment(segment, 1)]
        assert records.whole_segment(bulk, "BULK", (), fields) == segment
        assert records.whole_segment(bulk, "ALL", (), fields) is None
        assert records.whole_segment(bulk + bulk, "BULK", (), fields) is None
        assert records.whole_segment(bulk, "BULK", [records.Segment(segment, 2)], fields) is None  # users deleted
        for name in ("straight", "query"):
            (tmp_path / name).mkdir()
        straight = list(records.segment_parts(con, segment, fields, tmp_path / "straight", part_rows))
        assert len(general_ways) == (1 if part_rows < 2048 else 0)
        query = records.export_query(bulk, [], fields, None, "BULK")
        query_parts = list(general(con, query, tmp_path / "query", part_rows))
    count = -(-5_000 // part_rows)
    assert [p.name for p in straight] == [p.name for p in query_parts] == [f"part-{i:05d}.csv" for i in range(count)]
    assert [p.read_bytes() for p in straight] == [p.read_bytes() for p in query_parts]
    rows = [row for part in straight for row in list(csv.reader(part.open(newline="")))[1:]]
    assert min(rows, key=lambda row: row[3]) == ['u,"0"', "item\n0", "", "1700000000", "a|b", "true"]
    assert len(rows) == 5_000


def test_an_empty_whole_segment_is_one_part_with_its_header(tmp_path):
    from localexport.services.personalize import records
    from localexport.services.personalize.schemas import Field

    fields = [Field("USER_ID", "string", False), Field("TIMESTAMP", "long", False)]
    source = tmp_path / "in.csv"
    source.write_text("USER_ID,TIMESTAMP\n")
    segment = tmp_path / "segment.parquet"
    with records.connect(tmp_path) as con:
        assert records.import_csv(con, [("in.csv", source)], fields, segment) == 0
        (tmp_path / "out").mkdir()
        parts = list(records.segment_parts(con, segment, fields, tmp_path / "out", 5))
    assert [p.read_text() for p in parts] == ["USER_ID,TIMESTAMP\n"]


_ENGINE_NAMES = [("FILE_ROW_NUMBER", "fileRowNumber"), ("file_row_number", "fileRowNumber"), ("_seg", "Seg"),
                 ("_row", "Row"), ("_ts", "Ts"), ("_TS", "Ts")]


@pytest.mark.parametrize(("name", "camel"), _ENGINE_NAMES)
def test_a_field_named_like_a_column_of_the_records_engine_is_a_field_like_any_other(p, events, s3, group, name,
                                                                                      camel):
    """DuckDB numbers a file's rows in a column named file_row_number (any case), a put log stamps its records
    in a column _ts, an export's query adds columns of its own (arrival, position, file): a schema's field of
    such a name is still its field, and exports keep its values, the records' order, the newest record of an
    item and the replacing of records by a later import."""
    schema = {**ITEMS, "fields": [*ITEMS["fields"], {"name": name, "type": ["null", "long"]}]}
    arn = dataset(p, group, "Items", schema)
    head = ["ITEM_ID", "GENRES", "PRICE", name]

    def export(name: str, mode: str) -> list[list[str]]:
        assert export_job(p, arn, BUCKET, name, mode)["status"] == "ACTIVE"
        return [[r[h] for h in head] for r in exported(s3, BUCKET, f"exports/{name}/")[1]]

    # i1 twice in one import: the later row is the newer record (the field's values say the opposite)
    first = [["i1", "a", "1.5", "900"], ["i3", "e", "5.5", "70"], ["i1", "b", "2.5", "0"], ["i2", "", "3.5", ""]]
    assert import_job(p, arn, put_csv(s3, BUCKET, "rn/a.csv", [head, *first]), "rn-a")["status"] == "ACTIVE"
    assert export("rn-one", "BULK") == first  # one import, exported whole and in its order
    assert sorted(export("rn-all-one", "ALL")) == sorted(first[1:])

    second = [["i1", "c", "9.5", "5"], ["i4", "d", "4.5", "2"]]
    job = import_job(p, arn, put_csv(s3, BUCKET, "rn/b.csv", [head, *second]), "rn-b", mode="INCREMENTAL")
    assert job["status"] == "ACTIVE"
    assert sorted(export("rn-two", "BULK")) == sorted([first[1], first[3], *second])  # i1 replaced

    events.put_items(datasetArn=arn, items=[{"itemId": "i2", "properties": json.dumps(
        {"genres": "f", "price": 6.5, camel: 3})}])
    assert export("rn-put", "PUT") == [["i2", "f", "6.5", "3"]]
    assert sorted(export("rn-all", "ALL")) == sorted([first[1], ["i2", "f", "6.5", "3"], *second])
