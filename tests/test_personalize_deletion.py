"""Personalize data deletion jobs through boto3: CreateDataDeletionJob, DescribeDataDeletionJob,
ListDataDeletionJobs, and what a completed deletion leaves of a dataset group's records (exports, training)."""

from __future__ import annotations

import json
import time

import pytest
from personalize_helpers import (
    BUCKET,
    HISTORIES,
    INTERACTIONS,
    ROLE,
    campaign_of,
    dataset,
    export_job,
    exported,
    group_of,
    import_job,
    put_csv,
    rows_of,
    trained,
)
from postgres import on_both_backends
from test_wire import error_of

from localexport.core.jobs import scoped_job_id
from localexport.core.store import Scope
from localexport.services.personalize import datasets, deletion

ACCOUNT, REGION = "123456789012", "us-east-1"
USERS = {"type": "record", "name": "Users", "namespace": "com.amazonaws.personalize.schema",
         "fields": [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": ["null", "int"]}], "version": "1.0"}
ACTION_INTERACTIONS = {"type": "record", "name": "ActionInteractions", "namespace": "com.amazonaws.personalize.schema",
                       "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ACTION_ID", "type": "string"},
                                  {"name": "EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}],
                       "version": "1.0"}


@pytest.fixture
def events(make_client):
    return make_client("personalize-events")


def users_csv(s3, key: str, users: list[str]) -> str:
    return put_csv(s3, BUCKET, key, [["USER_ID"], *([u] for u in users)])


def create(p, group: str, location: str, name: str, **extra) -> str:
    return p.create_data_deletion_job(jobName=name, datasetGroupArn=group, dataSource={"dataLocation": location},
                                      roleArn=ROLE, **extra)["dataDeletionJobArn"]


def described(p, arn: str) -> dict:
    return p.describe_data_deletion_job(dataDeletionJobArn=arn)["dataDeletionJob"]


def delete_users(p, group: str, location: str, name: str) -> dict:
    job = described(p, create(p, group, location, name))
    assert job["status"] == "COMPLETED", job.get("failureReason")
    return job


def engine_id(arn: str) -> str:
    return scoped_job_id(Scope(ACCOUNT, REGION, "personalize"), arn)


def interactions_of(p, group: str) -> str:
    return next(d["datasetArn"] for d in p.list_datasets(datasetGroupArn=group)["datasets"]
                if d["datasetType"] == "Interactions")


def exported_rows(p, s3, arn: str, name: str, mode: str) -> list[tuple]:
    job = export_job(p, arn, BUCKET, name, mode)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    return sorted(tuple(row.values()) for row in exported(s3, BUCKET, f"exports/{name}/")[1])


def user_ids(rows: list[tuple]) -> set[str]:
    return {row[0] for row in rows}


# -- the API -----------------------------------------------------------------------------


def test_create_describe_list_and_the_errors_that_change_nothing(p, s3, make_client):
    group = group_of(p, s3)
    interactions = interactions_of(p, group)
    location = users_csv(s3, "delete/u2.csv", ["u2"])
    arn = create(p, group, location, "forget-u2", tags=[{"tagKey": "reason", "tagValue": "gdpr"}])
    assert arn == f"arn:aws:personalize:{REGION}:{ACCOUNT}:data-deletion-job/forget-u2"
    job = described(p, arn)
    assert {k: job[k] for k in ("jobName", "dataDeletionJobArn", "datasetGroupArn", "dataSource", "roleArn",
                                "status", "numDeleted")} == {
        "jobName": "forget-u2", "dataDeletionJobArn": arn, "datasetGroupArn": group,
        "dataSource": {"dataLocation": location}, "roleArn": ROLE, "status": "COMPLETED", "numDeleted": 2}
    assert "failureReason" not in job and job["creationDateTime"] <= job["lastUpdatedDateTime"]
    summary = p.list_data_deletion_jobs(datasetGroupArn=group)["dataDeletionJobs"]
    assert [(s["dataDeletionJobArn"], s["jobName"], s["datasetGroupArn"], s["status"]) for s in summary] == \
        [(arn, "forget-u2", group, "COMPLETED")]
    assert "numDeleted" not in summary[0]  # (not a member of DataDeletionJobSummary)
    before = exported_rows(p, s3, interactions, "before", "ALL")

    missing = group + "-gone"
    refused = [
        ({"datasetGroupArn": missing}, "ResourceNotFoundException", f"Resource Arn {missing} does not exist."),
        ({"jobName": "forget-u2"}, "ResourceAlreadyExistsException", arn),
        ({"jobName": "no-bucket", "dataSource": {"dataLocation": "s3:///users.csv"}}, "InvalidInputException",
         "Invalid S3 location"),
        ({"jobName": "no-path", "dataSource": {"dataLocation": "https://s3.amazonaws.com"}}, "InvalidInputException",
         "Invalid S3 location"),
        ({"jobName": "tagged", "tags": [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(51)]},
         "TooManyTagsException", "at most 50 tags"),
    ]
    for change, code, text in refused:
        params = {"jobName": "again", "datasetGroupArn": group, "dataSource": {"dataLocation": location},
                  "roleArn": ROLE, **change}
        got, status, message = error_of(p.create_data_deletion_job, **params)
        assert (got, status, text in message) == (code, 400, True), message
    assert [s["dataDeletionJobArn"] for s in p.list_data_deletion_jobs()["dataDeletionJobs"]] == [arn]
    assert exported_rows(p, s3, interactions, "after", "ALL") == before
    assert error_of(p.describe_data_deletion_job, dataDeletionJobArn=arn + "x") == \
        ("ResourceNotFoundException", 400, f"Resource Arn {arn}x does not exist.")
    assert p.list_data_deletion_jobs(datasetGroupArn=missing)["dataDeletionJobs"] == []  # no error, as declared

    for other in (make_client("personalize", account="111111111111"), make_client("personalize", region="eu-west-1")):
        assert error_of(other.describe_data_deletion_job, dataDeletionJobArn=arn)[0] == "ResourceNotFoundException"
        assert other.list_data_deletion_jobs()["dataDeletionJobs"] == []
        assert error_of(other.create_data_deletion_job, jobName="x", datasetGroupArn=group, roleArn=ROLE,
                        dataSource={"dataLocation": location})[0] == "ResourceNotFoundException"


def test_listing_is_newest_first_and_paged_per_group(p, s3):
    first = group_of(p, s3, "first")
    second = group_of(p, s3, "second")
    location = users_csv(s3, "delete/nobody.csv", ["nobody"])
    arns = []
    for i in range(3):
        arns.append(create(p, first, location, f"job-{i}"))
        time.sleep(0.002)  # (creation times that differ)
    other = create(p, second, location, "other")
    page = p.list_data_deletion_jobs(datasetGroupArn=first, maxResults=2)
    rest = p.list_data_deletion_jobs(datasetGroupArn=first, maxResults=2, nextToken=page["nextToken"])
    assert [j["dataDeletionJobArn"] for j in page["dataDeletionJobs"] + rest["dataDeletionJobs"]] == arns[::-1]
    assert "nextToken" not in rest
    assert [j["dataDeletionJobArn"] for j in p.list_data_deletion_jobs()["dataDeletionJobs"]] == [other, *arns[::-1]]
    assert error_of(p.list_data_deletion_jobs, nextToken="bogus")[0] == "InvalidNextTokenException"
    assert described(p, arns[0])["numDeleted"] == 0  # a user the group never had


def test_statuses_through_the_timing_modes_and_the_pending_quota(p, s3, local):
    group = group_of(p, s3)
    spare = group_of(p, s3, "spare")
    location = users_csv(s3, "delete/u2.csv", ["u2"])
    local.controls.set_timing("manual", None)
    pending = [create(p, group, location, f"pending-{i}") for i in range(deletion.MAX_PENDING)]
    assert {described(p, arn)["status"] for arn in pending} == {"PENDING"}
    assert "numDeleted" not in described(p, pending[0])
    code, _, message = error_of(p.create_data_deletion_job, jobName="sixth", datasetGroupArn=group, roleArn=ROLE,
                                dataSource={"dataLocation": location})
    assert code == "LimitExceededException" and "PENDING" in message
    assert len(p.list_data_deletion_jobs(datasetGroupArn=group)["dataDeletionJobs"]) == deletion.MAX_PENDING
    create(p, spare, location, "elsewhere")  # the quota is per dataset group

    runner = local.runtime.engine._runners[deletion.KIND]
    seen = []

    def watched(job):  # what Describe says while the job runs
        seen.append(described(p, pending[0])["status"])
        return runner(job)

    local.runtime.engine._runners[deletion.KIND] = watched
    local.controls.advance(engine_id(pending[0]))
    assert seen == ["IN_PROGRESS"]
    assert (described(p, pending[0])["status"], described(p, pending[0])["numDeleted"]) == ("COMPLETED", 2)
    sixth = create(p, group, location, "sixth")  # one fewer PENDING: room for another
    for arn in [*pending[1:], sixth]:
        local.controls.advance(engine_id(arn))
    assert {described(p, arn)["status"] for arn in [*pending, sixth]} == {"COMPLETED"}
    assert {described(p, arn)["numDeleted"] for arn in [*pending[1:], sixth]} == {0}  # u2 is gone already

    local.controls.set_timing("realistic", 0.3)
    later = create(p, group, users_csv(s3, "delete/u3.csv", ["u3"]), "realistic")
    assert described(p, later)["status"] == "PENDING"
    deadline = time.monotonic() + 20
    while described(p, later)["status"] != "COMPLETED":
        assert time.monotonic() < deadline, "the job did not run"
        time.sleep(0.05)
    assert described(p, later)["numDeleted"] == 3

    young = p.create_dataset_group(name="young")["datasetGroupArn"]  # CREATE PENDING for 0.3 s
    code, _, message = error_of(p.create_data_deletion_job, jobName="too-soon", datasetGroupArn=young,
                                roleArn=ROLE, dataSource={"dataLocation": location})
    assert code == "ResourceInUseException" and "CREATE PENDING" in message

    local.controls.set_timing("immediate", None)
    local.controls.fail_next(["Amazon Personalize could not read the data"], kind=deletion.KIND)
    failed = described(p, create(p, spare, location, "injected"))
    assert (failed["status"], failed["failureReason"]) == ("FAILED", "Amazon Personalize could not read the data")
    assert "numDeleted" not in failed


@pytest.mark.parametrize(("files", "location", "reason"), [
    ({}, "s3://training-data/delete/missing.csv", "NoSuchKey"),
    ({}, "s3://no-such-bucket-here/users.csv", "NoSuchBucket"),
    ({}, "s3://training-data/delete/empty-folder/", "No data files were found at s3://training-data/delete/empty-folder/"),
    ({"delete/bad.csv": "userId\nu2\n"}, "s3://training-data/delete/bad.csv",
     "must be a CSV file with a single USER_ID column (and that header row): its header is userId"),
    ({"delete/bad.csv": "USER_ID,ITEM_ID\nu2,A\n"}, "s3://training-data/delete/bad.csv", "its header is USER_ID, ITEM_ID"),
    ({"delete/bad.csv": ""}, "s3://training-data/delete/bad.csv", "it is empty"),
    ({"delete/bad.csv": "USER_ID\nu1\nu2,A\n"}, "s3://training-data/delete/bad.csv",
     ("Input file s3://training-data/delete/bad.csv does not match the format of a data deletion input file. "
      "Line 3: expected 1 columns, found 2.")),
    ({"delete/bad.csv": b"USER_ID\nu1\n\xff\xfe\n"}, "s3://training-data/delete/bad.csv",
     "Line 3: the line is not valid UTF-8"),
    ({"delete/f/ok.csv": "USER_ID\nu1\n", "delete/f/sub/bad.csv": "USER_ID\n\"u2\n"}, "s3://training-data/delete/f/",
     "s3://training-data/delete/f/sub/bad.csv"),
])
def test_a_missing_or_invalid_input_fails_the_job_and_deletes_nothing(p, s3, files, location, reason):
    group = group_of(p, s3)
    for key, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body if isinstance(body, bytes) else body.encode())
    job = described(p, create(p, group, location, "bad"))
    assert job["status"] == "FAILED" and reason in job["failureReason"], job["failureReason"]
    assert "numDeleted" not in job
    assert user_ids(exported_rows(p, s3, interactions_of(p, group), "after", "ALL")) == set(HISTORIES)


def test_an_input_over_100_mb_fails(p, s3, monkeypatch):
    monkeypatch.setattr(deletion, "MAX_INPUT_BYTES", 20)  # (the documented 100 MB, made small)
    group = group_of(p, s3)
    users_csv(s3, "delete/big/a.csv", ["u1"])
    users_csv(s3, "delete/big/b.csv", ["u2", "u3"])  # 11 + 14 bytes: too much only in all
    job = described(p, create(p, group, f"s3://{BUCKET}/delete/big/", "big"))
    assert job["status"] == "FAILED"
    assert job["failureReason"] == f"The data deletion input at s3://{BUCKET}/delete/big/ is larger than the maximum " \
                                   "of 100 MB in all."
    assert user_ids(exported_rows(p, s3, interactions_of(p, group), "after", "ALL")) == set(HISTORIES)


# -- what a deletion deletes -----------------------------------------------------------------


@on_both_backends
def test_the_users_records_are_gone_from_every_dataset_bulk_and_put(p, s3, events):
    group = group_of(p, s3)  # Interactions: HISTORIES, bulk
    interactions = interactions_of(p, group)
    users = dataset(p, group, "Users", USERS)
    dataset(p, group, "Action_Interactions", ACTION_INTERACTIONS)
    location = put_csv(s3, BUCKET, "users.csv", [["USER_ID", "AGE"], ["u1", "31"], ["u2", "42"], ["u3", ""]])
    assert import_job(p, users, location, "users")["status"] == "ACTIVE"
    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=group)["trackingId"]
    events.put_events(trackingId=tracker, userId="u2", sessionId="s2",
                      eventList=[{"eventType": "click", "itemId": "E", "sentAt": 1_800_000_000}])
    events.put_events(trackingId=tracker, userId="visitor", sessionId="s9",
                      eventList=[{"eventType": "click", "itemId": "A", "sentAt": 1_800_000_001},
                                 {"eventType": "click", "itemId": "B", "sentAt": 1_800_000_002}])
    events.put_events(trackingId=tracker, userId="u4", sessionId="s4",
                      eventList=[{"eventType": "click", "itemId": "B", "sentAt": 1_800_000_003}])
    events.put_users(datasetArn=users, users=[{"userId": "u2", "properties": '{"age": 43}'},
                                              {"userId": "u5", "properties": '{"age": 50}'}])
    events.put_action_interactions(trackingId=tracker, actionInteractions=[
        {"userId": "u2", "sessionId": "s2", "actionId": "signup", "eventType": "Taken", "timestamp": 1_800_000_004},
        {"userId": "u2", "sessionId": "s2", "actionId": "share", "eventType": "Viewed", "timestamp": 1_800_000_005},
        {"userId": "u1", "sessionId": "s1", "actionId": "share", "eventType": "Taken", "timestamp": 1_800_000_006}])

    # u2: 2 bulk interactions, 1 put event, 1 bulk and 1 put user record, 2 action interactions;
    # visitor: 2 put events; "nobody": no records at all
    job = delete_users(p, group, users_csv(s3, "delete/users.csv", ["u2", "visitor", "nobody"]), "forget")
    assert job["numDeleted"] == 9

    bulk = [row for row in rows_of(HISTORIES)[1:] if row[0] != "u2"]
    expected = {
        "BULK": sorted((u, i, e, "", t) for u, i, e, t in bulk),
        "PUT": [("u4", "B", "click", "", "1800000003")],
    }
    expected["ALL"] = sorted(expected["BULK"] + expected["PUT"])
    for mode, rows in expected.items():
        assert exported_rows(p, s3, interactions, f"interactions-{mode.lower()}", mode) == rows, mode
    users_expected = {"BULK": [("u1", "31"), ("u3", "")], "PUT": [("u5", "50")],
                      "ALL": [("u1", "31"), ("u3", ""), ("u5", "50")]}
    for mode, rows in users_expected.items():
        assert exported_rows(p, s3, users, f"users-{mode.lower()}", mode) == rows, mode
    # Action interactions cannot be exported: what a second deletion counts shows what the first left there
    # (u1's 3 interactions, 1 user record and 1 action interaction; none of u2's)
    assert delete_users(p, group, users_csv(s3, "delete/u1-u2.csv", ["u1", "u2"]), "forget-u1")["numDeleted"] == 5


def test_records_that_arrive_after_the_deletion_are_kept(p, s3, events):
    group = group_of(p, s3)
    interactions = interactions_of(p, group)
    users = dataset(p, group, "Users", USERS)
    events.put_users(datasetArn=users, users=[{"userId": "u2", "properties": '{"age": 40}'}])
    delete_users(p, group, users_csv(s3, "delete/u2.csv", ["u2"]), "forget")

    # the same user comes back: an event, a user record, and a bulk import holding a record deleted before
    tracker = p.create_event_tracker(name="tracker", datasetGroupArn=group)["trackingId"]
    events.put_events(trackingId=tracker, userId="u2", sessionId="s2",
                      eventList=[{"eventType": "click", "itemId": "D", "sentAt": 1_800_000_000}])
    events.put_users(datasetArn=users, users=[{"userId": "u2", "properties": '{"age": 41}'}])
    first_u2 = rows_of(HISTORIES)[4]  # u2's first interaction, as imported before the deletion
    assert first_u2[0] == "u2"
    again = put_csv(s3, BUCKET, "again.csv", [["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], first_u2])
    assert import_job(p, interactions, again, "again", "INCREMENTAL")["status"] == "ACTIVE"

    u2 = [row for row in exported_rows(p, s3, interactions, "interactions", "ALL") if row[0] == "u2"]
    assert u2 == sorted([(*first_u2[:3], "", first_u2[3]), ("u2", "D", "click", "", "1800000000")])
    assert [row for row in exported_rows(p, s3, users, "users", "ALL") if row[0] == "u2"] == [("u2", "41")]
    # a second deletion deletes what came back
    assert delete_users(p, group, users_csv(s3, "delete/u2-again.csv", ["u2"]), "forget-again")["numDeleted"] == 3
    assert "u2" not in user_ids(exported_rows(p, s3, interactions, "interactions-2", "ALL"))
    assert exported_rows(p, s3, users, "users-2", "ALL") == []


def test_a_folder_of_files_and_its_sub_folders(p, s3):
    group = group_of(p, s3)
    users_csv(s3, "delete/batch/a.csv", ["u1", "u1"])
    users_csv(s3, "delete/batch/more/b.csv", ["u6", ""])  # an empty value deletes no one
    users_csv(s3, "delete/other.csv", ["u3"])  # beside the folder, not in it
    job = delete_users(p, group, f"s3://{BUCKET}/delete/batch/", "folder")
    assert job["numDeleted"] == 3 + 2
    left = user_ids(exported_rows(p, s3, interactions_of(p, group), "left", "ALL"))
    assert left == set(HISTORIES) - {"u1", "u6"}


def test_the_input_is_read_as_the_jobs_account(p, s3, make_client):
    group = group_of(p, s3)
    theirs = make_client("s3", account="111111111111")
    theirs.create_bucket(Bucket="their-bucket")
    put_csv(theirs, "their-bucket", "users.csv", [["USER_ID"], ["u2"]])
    job = described(p, create(p, group, "s3://their-bucket/users.csv", "not-ours"))
    assert job["status"] == "FAILED" and "their-bucket" in job["failureReason"]
    assert "u2" in user_ids(exported_rows(p, s3, interactions_of(p, group), "kept", "ALL"))


# -- models ------------------------------------------------------------------------------


def test_models_keep_what_they_learned_until_retrained(p, s3, rt):
    """A version trained before the deletion still knows the users; one trained after recommends to them as to
    strangers (the popular items), an item only they interacted with is gone, and every other user gets what a
    model trained on a group that never had their records gives."""
    histories = {**HISTORIES, "u7": "AZ"}  # Z: only u7's
    rows = rows_of(histories)
    group = group_of(p, s3, "shop", rows=rows)
    before, _ = trained(p, group, "aws-user-personalization", name="before")
    old = campaign_of(p, before, name="old")

    def items(campaign: str, user: str) -> list[str]:
        return [entry["itemId"] for entry in rt.get_recommendations(campaignArn=campaign, userId=user)["itemList"]]

    assert set(items(old, "u2")) == {"C", "D", "E", "Z"}  # not A and B: u2's history
    delete_users(p, group, users_csv(s3, "delete/users.csv", ["u2", "u7"]), "forget")
    assert set(items(old, "u2")) == {"C", "D", "E", "Z"}  # the old model still has u2's history
    assert "Z" in items(old, "stranger")

    after, _ = trained(p, group, "aws-user-personalization", name="after")
    new = campaign_of(p, after, name="new")
    assert items(new, "u2") == items(new, "stranger") == ["A", "B", "C", "D", "E"]
    reference = group_of(p, s3, "reference", rows=[row for row in rows if row[0] not in ("u2", "u7")])
    never, _ = trained(p, reference, "aws-user-personalization", name="never")
    ref = campaign_of(p, never, name="ref")
    for user in ("u1", "u3", "u4", "u5", "u6"):
        assert rt.get_recommendations(campaignArn=new, userId=user)["itemList"] == \
            rt.get_recommendations(campaignArn=ref, userId=user)["itemList"], user


# -- crash safety ------------------------------------------------------------------------


@on_both_backends
def test_a_job_run_again_after_a_crash_commits_its_deletion_once(p, s3, local, monkeypatch):
    group = group_of(p, s3)
    location = users_csv(s3, "delete/u2.csv", ["u2"])
    local.controls.set_timing("manual", None)
    arn = create(p, group, location, "crashy")
    local.controls.set_timing("immediate", None)  # (for the exports; the job stays PENDING)
    job = local.runtime.store.get_job(engine_id(arn))
    run = local.runtime.engine._runners[deletion.KIND]

    commit = datasets.commit_deletion

    def crash(*args, **kwargs):  # the process dies just before its commit
        raise KeyboardInterrupt

    monkeypatch.setattr(datasets, "commit_deletion", crash)
    with pytest.raises(KeyboardInterrupt):
        run(job)
    monkeypatch.setattr(datasets, "commit_deletion", commit)
    assert "u2" in user_ids(exported_rows(p, s3, interactions_of(p, group), "uncommitted", "ALL"))

    first = run(job)  # the re-run commits
    again = run(job)  # and a run after a crash that came after the commit finds it committed
    assert first.result == again.result == {"numDeleted": 2, "users": 1}
    group_doc = local.runtime.store.get(Scope(ACCOUNT, REGION, "personalize"), "dataset_group",
                                        group.split(":", 5)[5])
    assert [d["job"] for d in group_doc.body["_deletions"]] == [job.id]
    assert "u2" not in user_ids(exported_rows(p, s3, interactions_of(p, group), "committed", "ALL"))


def test_a_completed_deletion_outlives_its_server(server_factory, tmp_path):
    from conftest import client

    env = {"LOCALEXPORT_JOB_MODE": "immediate"}
    server = server_factory(tmp_path / "data", **env)
    p, s3 = client("personalize", server.url), client("s3", server.url)
    s3.create_bucket(Bucket=BUCKET)
    group = p.create_dataset_group(name="served")["datasetGroupArn"]
    arn = dataset(p, group, "Interactions", INTERACTIONS)
    rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"], ["u1", "A", "click", "1"], ["u2", "B", "click", "2"]]
    assert import_job(p, arn, put_csv(s3, BUCKET, "in.csv", rows), "in")["status"] == "ACTIVE"
    assert delete_users(p, group, users_csv(s3, "delete/u2.csv", ["u2"]), "forget")["numDeleted"] == 1
    server.stop()

    again = server_factory(tmp_path / "data", **env)
    p, s3 = client("personalize", again.url), client("s3", again.url)
    assert described(p, p.list_data_deletion_jobs()["dataDeletionJobs"][0]["dataDeletionJobArn"])["numDeleted"] == 1
    assert export_job(p, arn, BUCKET, "after", "ALL")["status"] == "ACTIVE"
    assert [row["USER_ID"] for row in exported(s3, BUCKET, "exports/after/")[1]] == ["u1"]


def test_filters_and_batch_segments_stop_seeing_a_deleted_user(p, s3, rt):
    group = group_of(p, s3)
    camp = campaign_of(p, trained(p, group, "aws-popularity-count", name="pop")[0])
    seen = p.create_filter(name="unseen", datasetGroupArn=group,
                           filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")')["filterArn"]

    def items() -> list[str]:
        answer = rt.get_recommendations(campaignArn=camp, userId="u1", filterArn=seen)
        return [entry["itemId"] for entry in answer["itemList"]]

    assert items() == ["D", "E"]  # u1 clicked A, B and C
    delete_users(p, group, users_csv(s3, "forget/u1.csv", ["u1"]), "forget-u1")
    assert items() == ["A", "B", "C", "D", "E"]  # the filter no longer knows u1's clicks
    # a segment job's model trained afterwards has no u1 in it
    version, _ = trained(p, group, "aws-item-affinity", name="affinity")
    s3.put_object(Bucket=BUCKET, Key="segments/in.json", Body=b'{"itemId": "C"}\n')
    job = p.create_batch_segment_job(jobName="after", solutionVersionArn=version, roleArn=ROLE, numResults=6,
                                     jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/segments/in.json"}},
                                     jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/segments/out/"}})
    assert p.describe_batch_segment_job(batchSegmentJobArn=job["batchSegmentJobArn"])["batchSegmentJob"][
        "status"] == "ACTIVE"
    line = s3.get_object(Bucket=BUCKET, Key="segments/out/in.json.out")["Body"].read()
    users = json.loads(line)["output"]["usersList"]
    assert "u1" not in users and set(users) == {"u2", "u3", "u4", "u5", "u6"}


@pytest.mark.parametrize("name", ["_ts", "_row"])
def test_a_deletion_goes_by_arrival_and_keeps_the_order_whatever_the_fields_are_named(p, s3, name):
    """A data deletion removes a user's records that arrived before it, in files' order; a field named like the
    arrival or the position columns of an export's query plays no part in either."""
    group = p.create_dataset_group(name="named")["datasetGroupArn"]
    schema = {**INTERACTIONS, "fields": [*INTERACTIONS["fields"], {"name": name, "type": ["null", "long"]}]}
    arn = dataset(p, group, "Interactions", schema)
    head = ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP", name]
    before = [["u2", "i1", "click", "1", "9"], ["u1", "i1", "click", "2", "8"], ["u2", "i2", "click", "3", "1"],
              ["u3", "i3", "click", "4", "0"]]
    assert import_job(p, arn, put_csv(s3, BUCKET, "del/a.csv", [head, *before]), "del-a")["status"] == "ACTIVE"
    delete_users(p, group, users_csv(s3, "del/users.csv", ["u1"]), "del-u1")

    def export(name: str) -> list[list[str]]:
        assert export_job(p, arn, BUCKET, name, "BULK")["status"] == "ACTIVE"
        return [[r[h] for h in head] for r in exported(s3, BUCKET, f"exports/{name}/")[1]]

    assert export("del-one") == [before[0], before[2], before[3]]  # in the file's order
    after = [["u1", "i9", "click", "5", "0"]]  # arrived after the deletion: kept
    assert import_job(p, arn, put_csv(s3, BUCKET, "del/b.csv", [head, *after]), "del-b",
                      mode="INCREMENTAL")["status"] == "ACTIVE"
    assert sorted(export("del-two")) == sorted([before[0], before[2], before[3], *after])
