"""Batch inference and batch segment jobs through boto3: JSON Lines in S3 -> JSON Lines in S3."""

from __future__ import annotations

import json

import pytest
from personalize_helpers import BUCKET, ITEMS, ROLE, campaign_of, dataset, group_of, import_job, put_csv, trained
from test_wire import error_of

POPULAR = ["A", "B", "C", "D", "E"]  # HISTORIES: A has 5 users, B 4, C 3, D 2, E 1
USERS = {"type": "record", "name": "Users", "namespace": "com.amazonaws.personalize.schema",
         "fields": [{"name": "USER_ID", "type": "string"}, {"name": "AGE", "type": ["null", "int"]}], "version": "1.0"}


@pytest.fixture
def group(p, s3):
    return group_of(p, s3)


def _put_lines(s3, key: str, lines: list) -> str:
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())
    return f"s3://{BUCKET}/{key}"


def _out(s3, key: str) -> list[dict]:
    return [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines()]


def _inference(p, version: str, path: str, name: str = "batch", out: str = "out/", **extra) -> dict:
    arn = p.create_batch_inference_job(jobName=name, solutionVersionArn=version, roleArn=ROLE,
                                       jobInput={"s3DataSource": {"path": path}},
                                       jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/{out}"}},
                                       **extra)["batchInferenceJobArn"]
    return p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]


def _segment(p, version: str, path: str, name: str = "segment", out: str = "segments/", **extra) -> dict:
    arn = p.create_batch_segment_job(jobName=name, solutionVersionArn=version, roleArn=ROLE,
                                     jobInput={"s3DataSource": {"path": path}},
                                     jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/{out}"}},
                                     **extra)["batchSegmentJobArn"]
    return p.describe_batch_segment_job(batchSegmentJobArn=arn)["batchSegmentJob"]


def test_batch_inference_answers_each_line_as_the_runtime_does(p, s3, group, make_client):
    version, _ = trained(p, group, "aws-user-personalization")
    path = _put_lines(s3, "in/users.json", [{"userId": "u2"}, {"userId": "stranger"}, "not json", {"item": "A"}])
    job = _inference(p, version, path, numResults=3)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert job["numResults"] == 3
    assert job["jobOutput"]["s3DataDestination"]["path"] == f"s3://{BUCKET}/out/"
    lines = _out(s3, "out/users.json.out")
    assert [line["input"] for line in lines] == [{"userId": "u2"}, {"userId": "stranger"}, "not json",
                                                 {"item": "A"}]
    # the same answer as GetRecommendations, as the AWS output shape
    runtime = make_client("personalize-runtime").get_recommendations(
        campaignArn=campaign_of(p, version), userId="u2", numResults=3)
    assert lines[0]["output"] == {"recommendedItems": [e["itemId"] for e in runtime["itemList"]],
                                  "scores": [e["score"] for e in runtime["itemList"]]}
    assert lines[0]["error"] is None
    assert lines[1]["output"]["recommendedItems"] == POPULAR[:3]
    for bad in lines[2:]:
        assert bad["output"] is None and bad["error"]
    assert "userId" in lines[3]["error"]


def test_related_items_ranking_and_popularity_lines(p, s3, group, make_client):
    sims, _ = trained(p, group, "aws-sims", name="sims")
    line = _out(s3, _key(_inference(p, sims, _put_lines(s3, "in/items.json", [{"itemId": "A"}]), "sims")))[0]
    assert line["output"]["recommendedItems"][0] == "B" and "scores" not in line["output"]
    assert "A" not in line["output"]["recommendedItems"]

    ranking, _ = trained(p, group, "aws-personalized-ranking", name="rank")
    path = _put_lines(s3, "in/lists.json", [{"userId": "u6", "itemList": ["E", "A", "Z"]}, {"userId": "u6"}])
    first, second = _out(s3, _key(_inference(p, ranking, path, "rank", out="rank/")))
    runtime = make_client("personalize-runtime").get_personalized_ranking(
        campaignArn=campaign_of(p, ranking, name="rank"), userId="u6", inputList=["E", "A", "Z"])
    assert first["output"] == {"recommendedItems": [e["itemId"] for e in runtime["personalizedRanking"]],
                               "scores": [e["score"] for e in runtime["personalizedRanking"]]}
    assert first["output"]["recommendedItems"][-1] == "Z" and first["output"]["scores"][-1] == 0.0
    assert second["output"] is None and "itemList" in second["error"]

    popular, _ = trained(p, group, "aws-popularity-count", name="pop")
    path = _put_lines(s3, "in/pop.json", [{"userId": "u1"}, {"userId": "u6"}])
    lines = _out(s3, _key(_inference(p, popular, path, "pop", out="pop/", numResults=2)))
    assert [line["output"] for line in lines] == [{"recommendedItems": POPULAR[:2]}] * 2


def _key(job: dict) -> str:
    """The output file of a job whose input was one file."""
    assert job["status"] == "ACTIVE", job.get("failureReason")
    name = job["jobInput"]["s3DataSource"]["path"].rsplit("/", 1)[-1]
    return job["jobOutput"]["s3DataDestination"]["path"].split("/", 3)[3] + name + ".out"


def test_every_file_under_an_input_prefix_gets_its_output_file(p, s3, group):
    version, _ = trained(p, group, "aws-popularity-count")
    _put_lines(s3, "batch/in/one.json", [{"userId": "u1"}])
    _put_lines(s3, "batch/in/two.json", [{"userId": "u2"}, {"userId": "u3"}])
    job = _inference(p, version, f"s3://{BUCKET}/batch/in/", out="batch/out")
    assert job["status"] == "ACTIVE" and job["numResults"] == 25  # the default
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="batch/out/")["Contents"])
    assert keys == ["batch/out/one.json.out", "batch/out/two.json.out"]
    assert [line["input"]["userId"] for line in _out(s3, "batch/out/two.json.out")] == ["u2", "u3"]


def test_create_batch_inference_job_refuses_what_aws_refuses_and_changes_nothing(p, s3, group, make_client):
    version, _ = trained(p, group, "aws-user-personalization")
    trending, _ = trained(p, group, "aws-trending-now", name="trend")
    path = _put_lines(s3, "in/users.json", [{"userId": "u1"}])

    def create(**changes):
        params = {"jobName": "job", "solutionVersionArn": version, "roleArn": ROLE,
                  "jobInput": {"s3DataSource": {"path": path}},
                  "jobOutput": {"s3DataDestination": {"path": f"s3://{BUCKET}/out/"}}, **changes}
        return error_of(p.create_batch_inference_job, **params)

    missing = version + "0"
    assert create(solutionVersionArn=missing) == ("ResourceNotFoundException", 400,
                                                  f"Resource Arn {missing} does not exist.")
    assert create(solutionVersionArn=trending)[:2] == ("InvalidInputException", 400)  # no batch for Trending-Now
    assert create(numResults=0)[:2] == ("InvalidInputException", 400)
    assert create(numResults=501)[:2] == ("InvalidInputException", 400)
    assert create(batchInferenceJobMode="THEME_GENERATION")[:2] == ("InvalidInputException", 400)
    assert create(filterArn=version.replace(":solution/", ":filter/"))[:2] == ("ResourceNotFoundException", 400)
    assert p.list_batch_inference_jobs()["batchInferenceJobs"] == []
    _inference(p, version, path, name="job")
    arn = p.list_batch_inference_jobs()["batchInferenceJobs"][0]["batchInferenceJobArn"]
    assert create() == ("ResourceAlreadyExistsException", 400, f"Another resource with Arn {arn} already exists.")
    assert [j["jobName"] for j in p.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"]] \
        == ["job"]
    assert p.list_batch_inference_jobs(solutionVersionArn=trending)["batchInferenceJobs"] == []
    other = make_client("personalize", account="210987654321")
    assert error_of(other.describe_batch_inference_job, batchInferenceJobArn=arn)[:2] == \
        ("ResourceNotFoundException", 400)
    assert other.list_batch_inference_jobs()["batchInferenceJobs"] == []


def test_a_job_whose_input_or_output_cannot_be_had_fails_with_the_reason(p, s3, group):
    version, _ = trained(p, group, "aws-popularity-count")
    job = _inference(p, version, f"s3://{BUCKET}/nothing/here.json", name="no-input")
    assert job["status"] == "CREATE FAILED" and "nothing/here.json" in job["failureReason"]
    path = _put_lines(s3, "in/users.json", [{"userId": "u1"}])
    arn = p.create_batch_inference_job(jobName="no-bucket", solutionVersionArn=version, roleArn=ROLE,
                                       jobInput={"s3DataSource": {"path": path}},
                                       jobOutput={"s3DataDestination": {"path": "s3://no-such-bucket/out/"}}
                                       )["batchInferenceJobArn"]
    failed = p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    assert failed["status"] == "CREATE FAILED" and "NoSuchBucket" in failed["failureReason"]


def test_item_affinity_segments_put_the_users_of_the_item_first(p, s3, group):
    version, _ = trained(p, group, "aws-item-affinity")
    path = _put_lines(s3, "in/items.json", [{"itemId": "E"}, {"itemId": "D"}, {"user": "u1"}])
    job = _segment(p, version, path, numResults=3)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    e, d, bad = _out(s3, "segments/items.json.out")
    assert e == {"input": {"itemId": "E"}, "output": {"usersList": e["output"]["usersList"]}, "error": None}
    assert e["output"]["usersList"][0] == "u5"  # the one user of E
    assert set(d["output"]["usersList"][:2]) == {"u3", "u5"} and len(d["output"]["usersList"]) == 3
    assert bad["output"] is None and "itemId" in bad["error"]
    # a segmentation version is for batch segment jobs only
    assert error_of(p.create_campaign, name="c", solutionVersionArn=version)[:2] == ("InvalidInputException", 400)
    assert error_of(p.create_batch_inference_job, jobName="x", solutionVersionArn=version, roleArn=ROLE,
                    jobInput={"s3DataSource": {"path": path}},
                    jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/o/"}})[:2] == \
        ("InvalidInputException", 400)
    user_model, _ = trained(p, group, "aws-user-personalization", name="up")
    assert error_of(p.create_batch_segment_job, jobName="x", solutionVersionArn=user_model, roleArn=ROLE,
                    jobInput={"s3DataSource": {"path": path}},
                    jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/o/"}})[:2] == \
        ("InvalidInputException", 400)
    listed = p.list_batch_segment_jobs(solutionVersionArn=version)["batchSegmentJobs"]
    assert [(j["jobName"], j["status"]) for j in listed] == [("segment", "ACTIVE")]


def test_item_attribute_affinity_segments_by_item_metadata(p, s3, group):
    _with_items(p, s3, group)
    version, _ = trained(p, group, "aws-item-attribute-affinity")
    path = _put_lines(s3, "in/attributes.json", [{"itemAttributes": 'ITEMS.GENRES = "Drama" AND ITEMS.PRICE = 3'},
                                                 {"itemAttributes": 'ITEMS.genres = "Comedy" AND ITEMS.GENRES = '
                                                                    '"Action"'},
                                                 {"itemAttributes": 'ITEMS.GENRES = "Drama"'},
                                                 {"itemAttributes": 'ITEMS.GENRES = "Drama" OR ITEMS.GENRES = "X"'},
                                                 {"itemAttributes": 'ITEMS.COLOUR = "red"'}])
    only_c, only_a, drama, bad_syntax, bad_field = _out(s3, _key(_segment(p, version, path, numResults=3)))
    assert only_c["input"] == {"itemAttributes": 'ITEMS.GENRES = "Drama" AND ITEMS.PRICE = 3'}
    # attributes that name one item (C; A, the one comedy that is an action) give that item's segment
    affinity, _ = trained(p, group, "aws-item-affinity", name="affinity")
    by_item = _out(s3, _key(_segment(p, affinity, _put_lines(s3, "in/ca.json", [{"itemId": "C"}, {"itemId": "A"}]),
                                     name="by-item", out="by-item/", numResults=3)))
    assert [only_c["output"], only_a["output"]] == [line["output"] for line in by_item]
    assert len(set(drama["output"]["usersList"])) == 3  # C and E together: a segment of its own
    assert drama["output"]["usersList"] != only_c["output"]["usersList"]
    assert bad_syntax["output"] is None and "itemAttributes" in bad_syntax["error"]
    assert bad_field["output"] is None and "COLOUR" in bad_field["error"]
    too_many = _put_lines(s3, "in/many.json", [{"itemAttributes": 'ITEMS.GENRES = "Drama"'}] * 11)
    failed = _segment(p, version, too_many, name="too-many", out="many/")
    assert failed["status"] == "CREATE FAILED" and "10" in failed["failureReason"]


def _with_items(p, s3, group: str) -> None:
    items = dataset(p, group, "Items", ITEMS, name="shop-items")
    location = put_csv(s3, BUCKET, "shop/items.csv", [["ITEM_ID", "GENRES", "PRICE"], ["A", "Comedy|Action", "1"],
                                                       ["B", "Comedy", "2"], ["C", "Drama", "3"],
                                                       ["D", "Action", "4"], ["E", "Drama", "5"]])
    assert import_job(p, items, location, "items-import")["status"] == "ACTIVE"


def test_a_filtered_batch_takes_each_lines_filter_values(p, s3, group):
    _with_items(p, s3, group)
    version, _ = trained(p, group, "aws-popularity-count")
    genre = p.create_filter(name="genre", datasetGroupArn=group,
                            filterExpression="INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")["filterArn"]
    path = _put_lines(s3, "in/users.json", [
        {"userId": "u1", "filterValues": {"GENRE": '"Drama"'}},
        {"userId": "u1", "filterValues": {"GENRE": '"Comedy","Action"'}},
        {"userId": "u1"},  # an INCLUDE expression needs its values
        {"userId": "u1", "filterValues": ["Drama"]},
        {"userId": "u1", "filterValues": {"GENRE": None}},
        {"userId": ["u1"], "filterValues": {"GENRE": '"Drama"'}}])
    lines = _out(s3, _key(_inference(p, version, path, filterArn=genre)))
    assert lines[0]["output"] == {"recommendedItems": ["C", "E"]}
    assert lines[1]["output"] == {"recommendedItems": ["A", "B", "D"]}
    for bad in lines[2:]:
        assert bad["output"] is None and bad["error"], bad
    assert "GENRE" in lines[2]["error"]
    # a filter of users, a filter still being created: refused at create, nothing submitted
    users = p.create_filter(name="users", datasetGroupArn=group,
                            filterExpression='EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click")')["filterArn"]
    assert error_of(p.create_batch_inference_job, jobName="wrong", solutionVersionArn=version, roleArn=ROLE,
                    filterArn=users, jobInput={"s3DataSource": {"path": path}},
                    jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/o/"}})[:2] == \
        ("InvalidInputException", 400)
    assert [j["jobName"] for j in p.list_batch_inference_jobs()["batchInferenceJobs"]] == ["batch"]


def test_a_segment_job_filters_its_users(p, s3, group):
    users = dataset(p, group, "Users", USERS, name="shop-users")
    location = put_csv(s3, BUCKET, "shop/users.csv", [["USER_ID", "AGE"], *([f"u{n}", str(20 + 5 * n)]
                                                                          for n in range(1, 7))])
    assert import_job(p, users, location, "users-import")["status"] == "ACTIVE"
    version, _ = trained(p, group, "aws-item-affinity")
    path = _put_lines(s3, "in/items.json", [{"itemId": "A"}, {"itemId": "A", "filterValues": {"AGE": "x"}}])
    unfiltered = _out(s3, _key(_segment(p, version, path, name="all", out="all/", numResults=6)))[0]
    assert set(unfiltered["output"]["usersList"]) == {"u1", "u2", "u3", "u4", "u5", "u6"}
    older = p.create_filter(name="older", datasetGroupArn=group,
                            filterExpression="INCLUDE UserID WHERE Users.AGE > 35")["filterArn"]  # u4, u5, u6
    kept, bad = _out(s3, _key(_segment(p, version, path, name="older", out="older/", numResults=6,
                                       filterArn=older)))
    assert kept["output"]["usersList"] == [u for u in unfiltered["output"]["usersList"] if u in {"u4", "u5", "u6"}]
    assert bad["output"] is None and bad["error"]  # a value for a parameter the filter does not have
    items_filter = p.create_filter(name="items", datasetGroupArn=group,
                                   filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")')
    assert error_of(p.create_batch_segment_job, jobName="wrong", solutionVersionArn=version, roleArn=ROLE,
                    filterArn=items_filter["filterArn"], jobInput={"s3DataSource": {"path": path}},
                    jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/o/"}})[:2] == \
        ("InvalidInputException", 400)


def test_files_of_one_name_keep_apart_and_the_output_folder_is_no_input(p, s3, group):
    version, _ = trained(p, group, "aws-popularity-count")
    _put_lines(s3, "run/in/x/users.json", [{"userId": "u1"}])
    _put_lines(s3, "run/in/y/users.json", [{"userId": "u2"}, {"userId": "u3"}])
    for attempt in ("first", "again"):  # the output folder is under the input prefix: never read back
        job = _inference(p, version, f"s3://{BUCKET}/run/in/", name=attempt, out="run/in/out/")
        assert job["status"] == "ACTIVE", job.get("failureReason")
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="run/in/out/")["Contents"])
        assert keys == ["run/in/out/x/users.json.out", "run/in/out/y/users.json.out"]
    assert [line["input"]["userId"] for line in _out(s3, "run/in/out/y/users.json.out")] == ["u2", "u3"]


def test_an_item_affinity_input_holds_at_most_500_items(p, s3, group):
    version, _ = trained(p, group, "aws-item-affinity")
    path = _put_lines(s3, "in/many.json", [{"itemId": f"i{n}"} for n in range(501)])
    failed = _segment(p, version, path, name="too-many", out="many/")
    assert failed["status"] == "CREATE FAILED" and "500" in failed["failureReason"]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="many/")  # a failed job leaves no output


def test_a_batch_job_reads_and_writes_s3_as_its_own_account(p, s3, group, make_client):
    version, _ = trained(p, group, "aws-popularity-count")
    theirs = make_client("s3", account="210987654321")
    theirs.create_bucket(Bucket="their-data")
    theirs.put_object(Bucket="their-data", Key="in/users.json", Body=b'{"userId": "u1"}\n')
    job = _inference(p, version, "s3://their-data/in/users.json", name="not-ours")
    assert job["status"] == "CREATE FAILED"
    assert "Contents" not in theirs.list_objects_v2(Bucket="their-data", Prefix="out/")
    path = _put_lines(s3, "in/users.json", [{"userId": "u1"}])
    arn = p.create_batch_inference_job(jobName="into-theirs", solutionVersionArn=version, roleArn=ROLE,
                                       jobInput={"s3DataSource": {"path": path}},
                                       jobOutput={"s3DataDestination": {"path": "s3://their-data/out/"}}
                                       )["batchInferenceJobArn"]
    assert p.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]["status"] == "CREATE FAILED"
    assert "Contents" not in theirs.list_objects_v2(Bucket="their-data", Prefix="out/")
