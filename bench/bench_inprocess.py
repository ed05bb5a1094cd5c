"""In-process cost per call: localexport's DescribeBot and DescribeExport under ``mock_export()`` beside
moto's DescribeBot under ``mock_aws()``, same boto3, same machine, one run.

Each side runs in a child interpreter of its own that imports only its own library, taking turns
(3 children each by default): importing localexport's dependencies (SQLAlchemy, pydantic, Starlette)
into moto's process was seen to slow moto's calls by 20 to 40 %, which would flatter the ratio.

    pip install -e '.[bench]' && python bench/bench_inprocess.py [--calls 2000] [--children 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

ROLE = "arn:aws:iam::123456789012:role/LexRole"
BOT = {"botName": "Bench", "roleArn": ROLE, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300}


def per_call(call, calls: int, rounds: int = 5) -> float:
    """Median over rounds of the mean seconds per call."""
    for _ in range(min(200, calls)):
        call()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def ours(calls: int) -> dict[str, float]:
    import boto3

    from localexport import mock_export

    with mock_export():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        bot_id = lex.create_bot(**BOT)["botId"]
        lex.create_bot_locale(botId=bot_id, botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
        export_id = lex.create_export(
            resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
            fileFormat="LexJson")["exportId"]
        return {"localexport DescribeExport (mock_export)": per_call(lambda: lex.describe_export(exportId=export_id),
                                                                      calls),
                "localexport DescribeBot (mock_export)": per_call(lambda: lex.describe_bot(botId=bot_id), calls)}


def moto(calls: int) -> dict[str, float]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        bot_id = lex.create_bot(**BOT)["botId"]
        return {"moto DescribeBot (mock_aws)": per_call(lambda: lex.describe_bot(botId=bot_id), calls)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--children", type=int, default=3, help="child interpreters per side, taking turns")
    parser.add_argument("--side", choices=["ours", "moto"], help=argparse.SUPPRESS)  # a child's
    args = parser.parse_args()
    if args.side:
        print(json.dumps((ours if args.side == "ours" else moto)(args.calls)))
        return

    samples: dict[str, list[float]] = {}
    for _ in range(args.children):
        for side in ("ours", "moto"):
            done = subprocess.run([sys.executable, __file__, "--side", side, "--calls", str(args.calls)],
                                  check=True, capture_output=True, text=True)
            for name, seconds in json.loads(done.stdout.strip().splitlines()[-1]).items():
                samples.setdefault(name, []).append(seconds)
    figures = {name: statistics.median(values) for name, values in samples.items()}
    moto_bot = figures["moto DescribeBot (mock_aws)"]
    print(f"{'call':<40}{'µs/call':>10}{'x moto DescribeBot':>20}")
    for name, seconds in figures.items():
        print(f"{name:<40}{seconds * 1e6:>10.0f}{seconds / moto_bot:>20.2f}")


if __name__ == "__main__":
    main()
