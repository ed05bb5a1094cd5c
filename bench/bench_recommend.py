"""Personalize training and recommendations: train aws-user-personalization on N interactions (1 million by
default), deploy a campaign, time GetRecommendations, then a batch inference job for 100,000 users.

localexport runs in this process (immediate jobs, embedded S3).  No peer trains Personalize models locally
(moto has none), so the floor is the model's own query: recommend.Model.for_user called directly on the same
loaded model, in the same run; the ratio says what the wire (boto3, routing, validation, JSON) adds.  The batch
job's floor is the model's batch query (Model.for_users) over the same users: the ratio says what reading the
input from S3, writing the JSON Lines and uploading them add.

    pip install -e '.[bench]'
    python bench/bench_recommend.py --rows 1000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from bench_personalize import ROLE, client, interactions_dataset

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.inprocess import InProcess
from localexport.services.personalize import recommend

RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"


def generate(path: Path, rows: int, users: int, items: int) -> None:
    """Users with rows/users interactions each; items skewed (a few popular) so co-occurrence has structure."""
    duckdb.connect().execute(f"""
        COPY (SELECT 'user-' || (i % {users}) AS USER_ID,
                     'item-' || CAST(floor(pow(((i * 7919) % 10007) / 10007.0, 2) * {items}) AS BIGINT) AS ITEM_ID,
                     'click' AS EVENT_TYPE, NULL::FLOAT AS EVENT_VALUE, 1600000000 + i AS TIMESTAMP
              FROM range({rows}) t(i)) TO '{path}' (HEADER)""")


def timed(calls: int, call) -> list[float]:
    times = []
    for n in range(calls):
        started = time.perf_counter()
        call(n)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--batch-users", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-recommend-"))
    source = folder / "interactions.csv"
    generate(source, args.rows, args.users, args.items)
    instance = LocalExport(Settings(job_mode="immediate"), in_memory=True)
    wire = InProcess(instance)
    p, s3, rt = (wire.attach(client(name, "http://localexport")) for name in ("personalize", "s3", "personalize-runtime"))
    try:
        group, dataset = interactions_dataset(p, s3, source)
        p.create_dataset_import_job(jobName="in", datasetArn=dataset, roleArn=ROLE,
                                    dataSource={"dataLocation": "s3://bench/in/interactions.csv"})
        solution = p.create_solution(name="bench", datasetGroupArn=group, recipeArn=RECIPE)["solutionArn"]
        started = time.perf_counter()
        version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        training = time.perf_counter() - started
        described = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
        assert described["status"] == "ACTIVE", described
        campaign = p.create_campaign(name="bench", solutionVersionArn=version)["campaignArn"]
        started = time.perf_counter()
        rt.get_recommendations(campaignArn=campaign, userId="user-0")
        first = time.perf_counter() - started
        calls = timed(args.calls, lambda n: rt.get_recommendations(campaignArn=campaign, userId=f"user-{n * 7}"))
        [model] = recommend._models.values()
        direct = timed(args.calls, lambda n: model.for_user(f"user-{n * 7}", 25))
        users = [f"user-{n % args.users}" for n in range(args.batch_users)]
        s3.put_object(Bucket="bench", Key="batch/users.json",
                      Body="".join(f'{{"userId": "{user}"}}\n' for user in users).encode())
        started = time.perf_counter()
        job = p.create_batch_inference_job(
            jobName="bench", solutionVersionArn=version, roleArn=ROLE,
            jobInput={"s3DataSource": {"path": "s3://bench/batch/users.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://bench/batch/out/"}})["batchInferenceJobArn"]
        batch = time.perf_counter() - started
        described = p.describe_batch_inference_job(batchInferenceJobArn=job)["batchInferenceJob"]
        assert described["status"] == "ACTIVE", described
        lines = s3.get_object(Bucket="bench", Key="batch/out/users.json.out")["Body"].read().count(b"\n")
        assert lines == args.batch_users, lines
        started = time.perf_counter()
        for at in range(0, len(users), 10_000):
            model.for_users(users[at:at + 10_000], 25)
        batch_floor = time.perf_counter() - started
    finally:
        wire.close()
        instance.close()
    ms = 1000
    print(f"rows: {args.rows:,}; users: {args.users:,}; items: {args.items:,}; calls: {args.calls}")
    print("| figure | value |")
    print("|---|---|")
    print(f"| training (CreateSolutionVersion, immediate) | {training:.2f} s |")
    print(f"| first GetRecommendations (loads the model) | {first * ms:.0f} ms |")
    print(f"| GetRecommendations, median / p95 | {statistics.median(calls) * ms:.2f} / "
          f"{sorted(calls)[int(len(calls) * .95)] * ms:.2f} ms |")
    print(f"| floor: Model.for_user direct, median | {statistics.median(direct) * ms:.2f} ms |")
    print(f"| batch inference job, {args.batch_users:,} users (S3 -> S3, immediate) | {batch:.2f} s "
          f"({args.batch_users / batch:,.0f} users/s) |")
    print(f"| floor: Model.for_users direct, same users | {batch_floor:.2f} s |")
    print(f"wire call / floor: {statistics.median(calls) / statistics.median(direct):.2f}")
    print(f"batch job / floor: {batch / batch_floor:.2f}")


if __name__ == "__main__":
    main()
