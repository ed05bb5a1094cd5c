"""A bounded load test: mixed AWS calls at c=32 for 60 s against one
`localexport serve` while heavy jobs run on it (a 1,000-intent Lex V2 import and
a 1M-row Personalize import, started again as soon as each ends), reporting
errors, jobs that never finish, and each call's worst latency.

    pip install -e '.[bench]' && python bench/bench_load.py [--seconds 60] [--rows 1000000]

What it shows: AWS calls and jobs run off the event loop, so a DescribeBot is
answered while an import holds a worker (the issue's bound: worst < 250 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import boto3
import duckdb
import requests

sys.path.insert(0, str(Path(__file__).parent))
from bench_describe import free_port, request_bytes, start

ROLE = "arn:aws:iam::123456789012:role/Bench"
SCHEMA = json.dumps({"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                     "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                                {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"})


def clients(url: str):
    make = lambda service: boto3.client(service, endpoint_url=url, region_name="us-east-1",
                                        aws_access_key_id="123456789012", aws_secret_access_key="x")
    return make("lexv2-models"), make("personalize"), make("s3")


def wait(describe, key: str, done: tuple[str, ...], timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = describe()
        if found[key] in done:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"still {found[key]} after {timeout} s")


def big_bot_archive(lex, intents: int) -> bytes:
    """A Lex V2 export of a bot with ``intents`` intents, made through the API."""
    bot = lex.create_bot(botName="BigBot", roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300)["botId"]
    wait(lambda: lex.describe_bot(botId=bot), "botStatus", ("Available",))
    lex.create_bot_locale(botId=bot, botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
    for i in range(intents):
        lex.create_intent(botId=bot, botVersion="DRAFT", localeId="en_US", intentName=f"Intent{i}",
                          sampleUtterances=[{"utterance": f"do thing number {i} {w}"} for w in ("now", "please")])
    export = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot, "botVersion": "DRAFT"}},
                               fileFormat="LexJson")["exportId"]
    url = wait(lambda: lex.describe_export(exportId=export), "exportStatus", ("Completed",))["downloadUrl"]
    data = requests.get(url, timeout=60).content
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) > intents
    return data


class Heavy(threading.Thread):
    """Runs one kind of heavy job again and again until stopped; counts them and their failures."""

    def __init__(self, name: str, once):
        super().__init__(name=name, daemon=True)
        self.once, self.stop, self.done, self.failed, self.seconds = once, threading.Event(), 0, [], []

    def run(self):
        while not self.stop.is_set():
            started = time.perf_counter()
            outcome = self.once(self.done)
            self.seconds.append(time.perf_counter() - started)
            self.done += 1
            if outcome:
                self.failed.append(outcome)


async def _caller(port: int, payloads: list[tuple[str, bytes]], until: float, latencies: dict, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < until:
            name, payload = payloads[i % len(payloads)]
            i += 1
            t0 = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line[15:]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                          0)
            if length:
                await reader.readexactly(length)
            latencies[name].append(time.perf_counter() - t0)
            if int(head[9:12]) >= 400:
                errors.append((name, int(head[9:12])))
    finally:
        writer.close()


async def _load(port: int, payloads, concurrency: int, seconds: float):
    latencies = {name: [] for name, _ in payloads}
    errors: list = []
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_caller(port, payloads[k:] + payloads[:k], until, latencies, errors)
                           for k in range(concurrency)))
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--intents", type=int, default=1000)
    parser.add_argument("--job-mode", choices=("realistic", "immediate"), default="realistic",
                        help="immediate: each import runs inside its StartImport / CreateDatasetImportJob call")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="localexport-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start([sys.executable, "-m", "localexport", "serve", "--port", str(port), "--data-dir",
                    str(folder / "data")], port, "/_localexport/health",
                   {"LOCALEXPORT_LOG_LEVEL": "warning", "LOCALEXPORT_JOB_DELAY": "0.2"})
    requests.post(f"{url}/_localexport/control/timing", json={"mode": "realistic"}, timeout=10)  # for the seeding
    try:
        lex, personalize, s3 = clients(url)
        archive = big_bot_archive(lex, args.intents)
        source = folder / "interactions.csv"
        duckdb.connect().execute(f"""COPY (SELECT 'user-' || (i % 100003) AS USER_ID, 'item-' || (i % 5021) AS ITEM_ID,
                                     1600000000 + i AS TIMESTAMP FROM range({args.rows}) t(i)) TO '{source}' (HEADER)""")
        s3.create_bucket(Bucket="load")
        s3.upload_file(str(source), "load", "interactions.csv")
        s3.put_object(Bucket="load", Key="small.txt", Body=b"hello")
        group = personalize.create_dataset_group(name="load")["datasetGroupArn"]
        wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"], "status", ("ACTIVE",))
        schema = personalize.create_schema(name="load", schema=SCHEMA)["schemaArn"]
        dataset = personalize.create_dataset(name="load", schemaArn=schema, datasetGroupArn=group,
                                             datasetType="Interactions")["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=dataset)["dataset"], "status", ("ACTIVE",))
        bot = lex.create_bot(botName="Probe", roleArn=ROLE, dataPrivacy={"childDirected": False},
                             idleSessionTTLInSeconds=300)["botId"]

        def lex_import(n: int):
            upload = lex.create_upload_url()
            requests.put(upload["uploadUrl"], data=archive, timeout=60).raise_for_status()
            lex.start_import(importId=upload["importId"], mergeStrategy="Overwrite", resourceSpecification={
                "botImportSpecification": {"botName": "Imported", "roleArn": ROLE, "dataPrivacy": {"childDirected": False},
                                           "idleSessionTTLInSeconds": 300}})
            found = wait(lambda: lex.describe_import(importId=upload["importId"]), "importStatus",
                         ("Completed", "Failed"))
            return None if found["importStatus"] == "Completed" else found.get("failureReasons")

        def personalize_import(n: int):
            arn = personalize.create_dataset_import_job(jobName=f"load-{n}", datasetArn=dataset, roleArn=ROLE,
                                                        dataSource={"dataLocation": "s3://load/interactions.csv"},
                                                        importMode="FULL")["datasetImportJobArn"]
            found = wait(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"],
                         "status", ("ACTIVE", "CREATE FAILED"))
            return None if found["status"] == "ACTIVE" else found.get("failureReason")

        payloads = [
            ("DescribeBot", request_bytes(port, "GET", f"/bots/{bot}/")),
            ("ListBots", request_bytes(port, "POST", "/bots/", b"{}")),
            ("S3 GetObject", request_bytes(port, "GET", "/load/small.txt").replace(b"/lex/", b"/s3/")),
            ("DescribeDataset", request_bytes(port, "POST", "/", json.dumps({"datasetArn": dataset}).encode())
             .replace(b"/lex/", b"/personalize/").replace(b"Content-Type: application/json",
                                                           b"Content-Type: application/x-amz-json-1.1\r\n"
                                                           b"X-Amz-Target: AmazonPersonalize.DescribeDataset")),
        ]
        requests.post(f"{url}/_localexport/control/timing", json={"mode": args.job_mode}, timeout=10)
        heavy = [Heavy("lex import", lex_import), Heavy("personalize import", personalize_import)]
        for h in heavy:
            h.start()
        time.sleep(1)  # both jobs under way before the measured window opens
        latencies, errors = asyncio.run(_load(port, payloads, args.concurrency, args.seconds))
        for h in heavy:
            h.stop.set()
        for h in heavy:
            h.join(600)
        stuck = [j for j in requests.get(f"{url}/_localexport/control/jobs", timeout=30).json()["jobs"]
                 if j["state"] in ("queued", "running")]
    finally:
        server.terminate()
        server.wait(30)

    print(f"load: c={args.concurrency}, {args.seconds:.0f} s, {args.intents}-intent Lex import and "
          f"{args.rows:,}-row Personalize import running throughout ({args.job_mode} jobs)")
    print(f"{'call':<16}{'calls':>8}{'r/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'worst ms':>10}")
    for name, values in latencies.items():
        values.sort()
        print(f"{name:<16}{len(values):>8}{len(values) / args.seconds:>8.0f}{statistics.median(values) * 1000:>9.1f}"
              f"{values[int(len(values) * 0.99) - 1] * 1000:>9.1f}{values[-1] * 1000:>10.1f}")
    for h in heavy:
        print(f"{h.name}: {h.done} runs, {len(h.failed)} failed, mean {statistics.mean(h.seconds):.2f} s"
              + (f"; failures: {h.failed[:2]}" if h.failed else ""))
    print(f"error responses: {len(errors)}" + (f" {errors[:5]}" if errors else ""))
    print(f"stuck jobs: {len(stuck)}")


if __name__ == "__main__":
    main()
