"""A Personalize pipeline end to end on a real server process, on real public data (the TravelGenAI sample of
aws-samples/amazon-personalize-immersion-day): import, train, deploy, recommend with a filter, batch inference
and a batch segment job from S3 to S3, delete a user, export and retrain without them."""

from __future__ import annotations

import csv
import json

from conftest import client
from personalize_helpers import ROLE, TRAVEL, exported, travel_schemas

BUCKET = "travel-data"
RECIPE = "arn:aws:personalize:::recipe/"


def _active(describe, key: str, **arn) -> dict:
    found = describe(**arn)[key]
    assert found["status"] in ("ACTIVE", "COMPLETED"), found.get("failureReason")
    return found


def _rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _items(answer: dict) -> list[str]:
    return [entry["itemId"] for entry in answer["itemList"]]


def test_the_travel_pipeline_on_a_real_server(server_factory, fixtures_dir):
    data = fixtures_dir / TRAVEL / "poc_data"
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")  # AWS's training minimums: the sample meets them
    p, rt, s3 = (client(name, server.url) for name in ("personalize", "personalize-runtime", "s3"))
    s3.create_bucket(Bucket=BUCKET)
    group = p.create_dataset_group(name="travel")["datasetGroupArn"]
    datasets = {}
    for name, schema in travel_schemas(fixtures_dir).items():
        schema_arn = p.create_schema(name=f"travel-{name}", schema=json.dumps(schema))["schemaArn"]
        datasets[name] = p.create_dataset(name=f"travel-{name}", schemaArn=schema_arn, datasetGroupArn=group,
                                          datasetType=schema["name"])["datasetArn"]
        s3.upload_file(str(data / f"{name}.csv"), BUCKET, f"in/{name}.csv")
        job = p.create_dataset_import_job(jobName=f"import-{name}", datasetArn=datasets[name], roleArn=ROLE,
                                          dataSource={"dataLocation": f"s3://{BUCKET}/in/{name}.csv"})
        _active(p.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=job["datasetImportJobArn"])

    interactions = _rows(data / "interactions.csv")
    items = {row["ITEM_ID"]: row for row in _rows(data / "items.csv")}
    history: dict[str, set[str]] = {}
    for row in interactions:
        history.setdefault(row["USER_ID"], set()).add(row["ITEM_ID"])
    user = max(history, key=lambda u: (len(history[u]), u))  # the most active traveller

    # train and deploy
    solution = p.create_solution(name="travel", datasetGroupArn=group,
                                 recipeArn=RECIPE + "aws-user-personalization")["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    _active(p.describe_solution_version, "solutionVersion", solutionVersionArn=version)
    campaign = p.create_campaign(name="travel", solutionVersionArn=version)["campaignArn"]
    answer = rt.get_recommendations(campaignArn=campaign, userId=user)
    assert len(answer["itemList"]) == 25
    assert set(_items(answer)) <= set(items) and not set(_items(answer)) & history[user]

    # a filter: only the trips on promotion
    promoted = p.create_filter(name="promoted", datasetGroupArn=group,
                               filterExpression='INCLUDE ItemID WHERE Items.PROMOTION IN ("Yes")')["filterArn"]
    _active(p.describe_filter, "filter", filterArn=promoted)
    filtered = _items(rt.get_recommendations(campaignArn=campaign, userId=user, filterArn=promoted))
    assert filtered and all(items[item]["PROMOTION"] == "Yes" for item in filtered)
    promoted_first = [item for item in _items(answer) if items[item]["PROMOTION"] == "Yes"]
    assert filtered[:len(promoted_first)] == promoted_first  # the same order, then promoted trips further down

    # batch inference from S3 to S3: the campaign's answers, for three travellers
    travellers = sorted(history)[:3]
    s3.put_object(Bucket=BUCKET, Key="batch/users.json",
                  Body="".join(json.dumps({"userId": u}) + "\n" for u in travellers).encode())
    job = p.create_batch_inference_job(jobName="travel-batch", solutionVersionArn=version, roleArn=ROLE,
                                       jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/batch/users.json"}},
                                       jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/batch/out/"}})
    _active(p.describe_batch_inference_job, "batchInferenceJob", batchInferenceJobArn=job["batchInferenceJobArn"])
    out = s3.get_object(Bucket=BUCKET, Key="batch/out/users.json.out")["Body"].read().decode().splitlines()
    for line, traveller in zip(out, travellers, strict=True):
        record = json.loads(line)
        assert record["input"] == {"userId": traveller} and record["error"] is None
        assert record["output"]["recommendedItems"] == _items(rt.get_recommendations(campaignArn=campaign,
                                                                                      userId=traveller))

    # a batch segment job on the sample's own input: the output has the shape of the sample's real output
    affinity = p.create_solution(name="travel-affinity", datasetGroupArn=group,
                                 recipeArn=RECIPE + "aws-item-affinity")["solutionArn"]
    affinity_version = p.create_solution_version(solutionArn=affinity)["solutionVersionArn"]
    _active(p.describe_solution_version, "solutionVersion", solutionVersionArn=affinity_version)
    s3.upload_file(str(data / "batch_segment_input.json"), BUCKET, "segments/in/batch_segment_input.json")
    job = p.create_batch_segment_job(jobName="travel-segment", solutionVersionArn=affinity_version, roleArn=ROLE,
                                     numResults=10,
                                     jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/segments/in/"}},
                                     jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/segments/out/"}})
    _active(p.describe_batch_segment_job, "batchSegmentJob", batchSegmentJobArn=job["batchSegmentJobArn"])
    [ours] = s3.get_object(Bucket=BUCKET, Key="segments/out/batch_segment_input.json.out")["Body"].read().splitlines()
    ours, theirs = json.loads(ours), json.loads((data / "batch_segment_output.json").read_text())
    assert ours["input"] == theirs["input"] and ours.keys() == theirs.keys()
    assert ours["output"].keys() == theirs["output"].keys() and ours["error"] is None
    assert len(ours["output"]["usersList"]) == len(theirs["output"]["usersList"]) == 10
    item = theirs["input"]["itemId"]
    seen_it = {row["USER_ID"] for row in interactions if row["ITEM_ID"] == item}
    assert set(ours["output"]["usersList"][:len(seen_it)]) == seen_it  # who booked the trip come first

    # delete the traveller: gone from the next export, and from the model trained next
    s3.put_object(Bucket=BUCKET, Key="delete/users.csv", Body=f"USER_ID\n{user}\n".encode())
    deletion = p.create_data_deletion_job(jobName="forget", datasetGroupArn=group, roleArn=ROLE,
                                          dataSource={"dataLocation": f"s3://{BUCKET}/delete/users.csv"})
    done = _active(p.describe_data_deletion_job, "dataDeletionJob",
                   dataDeletionJobArn=deletion["dataDeletionJobArn"])
    distinct = {tuple(row.values()) for row in interactions}  # (exact duplicates are one record)
    theirs_only = {row for row in distinct if row[1] == user}  # (ITEM_ID, USER_ID, ...)
    assert done["numDeleted"] == len(theirs_only) + 1  # their interactions and their Users record
    export = p.create_dataset_export_job(jobName="after", datasetArn=datasets["interactions"], roleArn=ROLE,
                                         ingestionMode="ALL",
                                         jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/export/"}})
    _active(p.describe_dataset_export_job, "datasetExportJob", datasetExportJobArn=export["datasetExportJobArn"])
    _, rows = exported(s3, BUCKET, "export/after/")
    assert len(rows) == len(distinct) - len(theirs_only)
    assert user not in {row["USER_ID"] for row in rows}
    retrained = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    _active(p.describe_solution_version, "solutionVersion", solutionVersionArn=retrained)
    p.update_campaign(campaignArn=campaign, solutionVersionArn=retrained)
    cold = rt.get_recommendations(campaignArn=campaign, userId="never-seen-traveller")
    assert _items(rt.get_recommendations(campaignArn=campaign, userId=user)) == _items(cold)
