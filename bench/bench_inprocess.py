"""In-process cost per call: localexport's DescribeExport under ``mock_export()`` beside
moto's DescribeBot under ``mock_aws()``, same boto3, same machine, one run.

    pip install -e '.[bench]' && python bench/bench_inprocess.py [--calls 3000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import boto3
from moto import mock_aws

from localexport import mock_export

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    with mock_export():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        bot_id = lex.create_bot(**BOT)["botId"]
        lex.create_bot_locale(botId=bot_id, botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
        export_id = lex.create_export(
            resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
            fileFormat="LexJson")["exportId"]
        ours_export = per_call(lambda: lex.describe_export(exportId=export_id), args.calls)
        ours_bot = per_call(lambda: lex.describe_bot(botId=bot_id), args.calls)

    with mock_aws():
        lex = boto3.client("lexv2-models", region_name="us-east-1")
        bot_id = lex.create_bot(**BOT)["botId"]
        moto_bot = per_call(lambda: lex.describe_bot(botId=bot_id), args.calls)

    print(f"{'call':<40}{'µs/call':>10}{'x moto DescribeBot':>20}")
    for name, seconds in (("localexport DescribeExport (mock_export)", ours_export),
                          ("localexport DescribeBot (mock_export)", ours_bot),
                          ("moto DescribeBot (mock_aws)", moto_bot)):
        print(f"{name:<40}{seconds * 1e6:>10.0f}{seconds / moto_bot:>20.2f}")


if __name__ == "__main__":
    main()
