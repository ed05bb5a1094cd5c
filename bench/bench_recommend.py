"""Personalize training and recommendations: train aws-user-personalization on N interactions (1 million by
default), deploy a campaign, and time GetRecommendations.

localexport runs in this process (immediate jobs, embedded S3).  No peer trains Personalize models locally
(moto has none), so the floor is the model's own query: recommend.Model.for_user called directly on the same
loaded model, in the same run; the ratio says what the wire (boto3, routing, validation, JSON) adds.

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
    print(f"wire call / floor: {statistics.median(calls) / statistics.median(direct):.2f}")


if __name__ == "__main__":
    main()
