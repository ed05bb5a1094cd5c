"""Personalize at scale: import then export an interactions dataset of N rows (10 million by default).

localexport runs in this process (immediate jobs) with its embedded S3 (the
default setup), or with ``--s3 external`` against a ``moto.server`` process.
Peak memory is this process's resident set, sampled while each job runs (with
the embedded S3 it includes the S3 objects the export writes).  The floor is a
plain DuckDB ``COPY`` of the same rows, from a DuckDB table, to CSV, on the same
machine, in the same run.

    pip install -e '.[bench]'
    python bench/bench_personalize.py --rows 10000000 [--s3 external]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import duckdb
import requests

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.inprocess import InProcess

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": ['
          '{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
          '{"name": "EVENT_TYPE", "type": "string"}, {"name": "EVENT_VALUE", "type": ["null", "float"]}, '
          '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakMemory:
    """The highest resident set size of this process while the block runs (sampled every 10 ms)."""

    def __enter__(self):
        self.start = self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def start_moto() -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/moto-api/", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("moto.server did not start")


def generate(path: Path, rows: int) -> None:
    duckdb.connect().execute(f"""
        COPY (SELECT 'user-' || (i % 1000003) AS USER_ID, 'item-' || (i % 50021) AS ITEM_ID,
                     CASE i % 3 WHEN 0 THEN 'click' WHEN 1 THEN 'watch' ELSE 'purchase' END AS EVENT_TYPE,
                     (i % 10) / 2.0 AS EVENT_VALUE, 1600000000 + i AS TIMESTAMP
              FROM range({rows}) t(i)) TO '{path}' (HEADER)""")


def floor(source: Path, folder: Path) -> float:
    """Seconds DuckDB takes to COPY the same rows, from its own table, to a CSV file."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{source}')")
    started = time.perf_counter()
    con.execute(f"COPY t TO '{folder / 'floor.csv'}' (HEADER)")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--s3", choices=("embedded", "external"), default="embedded")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-personalize-"))
    source = folder / "interactions.csv"
    generate(source, args.rows)
    size = source.stat().st_size
    moto = None
    settings = Settings(job_mode="immediate")
    if args.s3 == "external":
        moto, s3_url = start_moto()
        settings = Settings(job_mode="immediate", s3_endpoint_url=s3_url, s3_access_key_id="x",
                            s3_secret_access_key="x")
    instance = LocalExport(settings, in_memory=True)
    wire = InProcess(instance)
    try:
        s3 = boto3.client("s3", endpoint_url=s3_url if moto else "http://localexport", region_name="us-east-1",
                          aws_access_key_id="123456789012", aws_secret_access_key="x")
        if moto is None:
            wire.attach(s3)
        s3.create_bucket(Bucket="bench")
        s3.upload_file(str(source), "bench", "in/interactions.csv")
        p = wire.attach(boto3.client("personalize", endpoint_url="http://localexport", region_name="us-east-1",
                                     aws_access_key_id="123456789012", aws_secret_access_key="x"))
        group = p.create_dataset_group(name="bench")["datasetGroupArn"]
        schema = p.create_schema(name="bench", schema=SCHEMA)["schemaArn"]
        dataset = p.create_dataset(name="bench", schemaArn=schema, datasetGroupArn=group,
                                   datasetType="Interactions")["datasetArn"]
        with PeakMemory() as import_memory:
            started = time.perf_counter()
            job = p.create_dataset_import_job(jobName="in", datasetArn=dataset, roleArn=ROLE,
                                              dataSource={"dataLocation": "s3://bench/in/interactions.csv"})
            import_seconds = time.perf_counter() - started
        status = p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
        assert status["status"] == "ACTIVE", status
        with PeakMemory() as export_memory:
            started = time.perf_counter()
            job = p.create_dataset_export_job(jobName="out", datasetArn=dataset, roleArn=ROLE, ingestionMode="BULK",
                                              jobOutput={"s3DataDestination": {"path": "s3://bench/out/"}})
            export_seconds = time.perf_counter() - started
        status = p.describe_dataset_export_job(datasetExportJobArn=job["datasetExportJobArn"])["datasetExportJob"]
        assert status["status"] == "ACTIVE", status
        listed = s3.list_objects_v2(Bucket="bench", Prefix="out/out/")["Contents"]
        out_bytes = sum(o["Size"] for o in listed)
    finally:
        wire.close()
        instance.close()
        if moto is not None:
            moto.terminate()
    floor_seconds = floor(source, folder)
    mib = 1024 * 1024
    print(f"S3: {args.s3}; rows: {args.rows:,}; input CSV {size / mib:.0f} MiB; exported {len(listed)} files, {out_bytes / mib:.0f} MiB")
    print("| phase | seconds | rows/s | MB/s | RSS at start MiB | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    print(f"| import (S3 CSV -> Parquet) | {import_seconds:.2f} | {args.rows / import_seconds:,.0f} | "
          f"{size / 1e6 / import_seconds:.0f} | {import_memory.start:.0f} | {import_memory.peak:.0f} |")
    print(f"| export (Parquet -> S3 CSV) | {export_seconds:.2f} | {args.rows / export_seconds:,.0f} | "
          f"{out_bytes / 1e6 / export_seconds:.0f} | {export_memory.start:.0f} | {export_memory.peak:.0f} |")
    print(f"| DuckDB COPY table -> CSV (floor) | {floor_seconds:.2f} | {args.rows / floor_seconds:,.0f} | "
          f"{size / 1e6 / floor_seconds:.0f} | - | - |")
    print(f"export throughput / floor: {floor_seconds / export_seconds:.2f}")
    subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
