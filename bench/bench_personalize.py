"""Personalize at scale: import then export an interactions dataset of N rows (10 million by default).

localexport runs in this process (immediate jobs) with its embedded S3 (the
default setup), or with ``--s3 external`` against a ``moto.server`` process.
Peak memory is this process's resident set, sampled while each job runs (with
the embedded S3 it includes the S3 objects the export writes).

``--mode distributed`` runs a shared instance instead: a PostgreSQL server (the
system's binaries, as the tests start it), a ``moto.server`` as S3 and as the
artifacts bucket, one ``localexport serve`` (immediate jobs: a create call
returns once a worker has run the job) and one ``localexport worker``, each its
own process; the calls go over HTTP, and the memory figures are the worker's.

The floor is a plain DuckDB ``COPY`` of the same rows, from a DuckDB table, to
CSV, on the same machine, in the same run (in a process of its own that loads
the table once, before the rounds).  Each round runs an import (FULL),
an export and the floor in turn, and each figure is the median of the rounds
(three by default): on this shared 2-core VM one run moves by ±40 %, most of all
the first touches of fresh memory.  The CPU seconds each process used during
the median import and export are printed under the table.

    pip install -e '.[bench]'
    python bench/bench_personalize.py --rows 10000000 [--s3 external | --mode distributed]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import duckdb
import requests
from botocore.config import Config

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.inprocess import InProcess

sys.path.insert(0, str(Path(__file__).parent))
from bench_describe import cpu_seconds

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": ['
          '{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
          '{"name": "EVENT_TYPE", "type": "string"}, {"name": "EVENT_VALUE", "type": ["null", "float"]}, '
          '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')


def rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class CpuUse:
    """CPU seconds each named process used while the block runs: with its descendants, except this process
    (whose children are the other processes named)."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids

    def _now(self) -> dict[str, float]:
        return {name: cpu_seconds(pid)[pid] if pid == os.getpid() else sum(cpu_seconds(pid).values())
                for name, pid in self.pids.items()}

    def __enter__(self):
        self._start = self._now()
        return self

    def __exit__(self, *exc):
        self.used = {name: spent - self._start[name] for name, spent in self._now().items()}

    def __str__(self):
        return ", ".join(f"{name} {spent:.1f}" for name, spent in self.used.items())


class PeakMemory:
    """The highest resident set size of a process (this one by default) while the block runs (sampled every
    10 ms)."""

    def __init__(self, pid: int | str = "self"):
        self.pid = pid

    def __enter__(self):
        self.start = self.peak = rss_mib(self.pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, rss_mib(self.pid))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
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


_FLOOR = """
import sys, time, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # (it would write to our pipe)
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{sys.argv[1]}')")
print("ready", flush=True)
for _ in sys.stdin:
    started = time.perf_counter()
    con.execute(f"COPY t TO '{sys.argv[2]}' (HEADER)")
    print(time.perf_counter() - started, flush=True)
"""


class Floor:
    """DuckDB's COPY of the same rows, from its own table, to a CSV file: in a process of its own, which loads
    the table once (this process's memory figures stay localexport's) and runs one COPY per ``run()``."""

    def __init__(self, source: Path, folder: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", _FLOOR, str(source), str(folder / "floor.csv")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def run(self) -> float:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


def _median(runs: list[tuple]) -> tuple:
    """The run of median seconds (with its memory and CPU figures)."""
    return sorted(runs, key=lambda run: run[0])[len(runs) // 2]


def interactions_dataset(p, s3, source: Path) -> tuple[str, str]:
    """A dataset group and its (empty) Interactions dataset, with ``source`` uploaded to s3://bench/in/."""
    s3.create_bucket(Bucket="bench")
    s3.upload_file(str(source), "bench", "in/interactions.csv")
    group = p.create_dataset_group(name="bench")["datasetGroupArn"]
    schema = p.create_schema(name="bench", schema=SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="bench", schemaArn=schema, datasetGroupArn=group,
                               datasetType="Interactions")["datasetArn"]
    return group, dataset


def client(service: str, url: str, **config):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="123456789012",
                        aws_secret_access_key="x", config=Config(**config) if config else None)


@contextlib.contextmanager
def in_process(s3_mode: str):
    """localexport in this process: (Personalize client, S3 client, the pid whose memory counts, the processes
    whose CPU is shown)."""
    moto = None
    settings = Settings(job_mode="immediate")
    if s3_mode == "external":
        moto, s3_url = start_moto()
        settings = Settings(job_mode="immediate", s3_endpoint_url=s3_url, s3_access_key_id="x",
                            s3_secret_access_key="x")
    instance = LocalExport(settings, in_memory=True)
    wire = InProcess(instance)
    try:
        s3 = client("s3", s3_url if moto else "http://localexport")
        if moto is None:
            wire.attach(s3)
        pids = {"this process (localexport)": os.getpid(), **({"moto.server": moto.pid} if moto else {})}
        yield wire.attach(client("personalize", "http://localexport")), s3, "self", pids
    finally:
        wire.close()
        instance.close()
        if moto is not None:
            moto.terminate()
            moto.wait(30)


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


def _until_healthy(url: str, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {_log_tail(log)}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


@contextlib.contextmanager
def distributed(folder: Path):
    """A shared instance: PostgreSQL, a moto server (S3 and artifacts), one ``serve`` and one ``worker``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from postgres import PostgresServer, binaries  # the tests' way: initdb + pg_ctl on loopback (as nobody if root)

    bin_dir = binaries()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin)")
    started: list[subprocess.Popen] = []
    postgres = PostgresServer(bin_dir, free_port()).start()
    try:
        moto, s3_url = start_moto()
        started.append(moto)
        client("s3", s3_url).create_bucket(Bucket="artifacts")
        port = free_port()
        env = {**os.environ, "LOCALEXPORT_DATABASE_URL": postgres.database(), "LOCALEXPORT_JOB_MODE": "immediate",
               "LOCALEXPORT_LOG_LEVEL": "warning", "LOCALEXPORT_S3_ENDPOINT_URL": s3_url,
               "LOCALEXPORT_S3_ACCESS_KEY_ID": "x", "LOCALEXPORT_S3_SECRET_ACCESS_KEY": "x",
               "LOCALEXPORT_ARTIFACTS_URL": "s3://artifacts/bench", "LOCALEXPORT_ARTIFACTS_ENDPOINT_URL": s3_url,
               "LOCALEXPORT_ARTIFACTS_ACCESS_KEY_ID": "x", "LOCALEXPORT_ARTIFACTS_SECRET_ACCESS_KEY": "x"}
        server_log, worker_log = folder / "server.log", folder / "worker.log"
        with server_log.open("wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "localexport", "serve", "--port", str(port),
                                       "--data-dir", str(folder / "server")], env=env, stdout=log, stderr=log)
        started.append(server)
        url = f"http://127.0.0.1:{port}"
        _until_healthy(f"{url}/_localexport/health", server, "localexport serve", server_log)
        with worker_log.open("wb") as log:
            worker = subprocess.Popen([sys.executable, "-m", "localexport", "worker"],
                                      env={**env, "LOCALEXPORT_DATA_DIR": str(folder / "worker")}, stdout=log,
                                      stderr=log)
        started.append(worker)
        deadline = time.monotonic() + 60  # the worker is up once the server's health counts it
        while requests.get(f"{url}/_localexport/health", timeout=5).json().get("tasks", {}).get("workers", 0) < 1:
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"localexport worker did not start: {_log_tail(worker_log)}")
            time.sleep(0.2)
        # a create call waits for the worker to run its job: no client timeout, no retry (it would start another)
        postmaster = int((postgres.root / "data" / "postmaster.pid").read_text().split()[0])
        pids = {"worker": worker.pid, "serve": server.pid, "moto.server": moto.pid, "PostgreSQL": postmaster,
                "this process (client)": os.getpid()}
        yield (client("personalize", url, read_timeout=900, retries={"total_max_attempts": 1}), client("s3", s3_url),
               worker.pid, pids)
    finally:
        for proc in reversed(started):
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--s3", choices=("embedded", "external"), default="embedded",
                        help="in-process mode: localexport's embedded S3, or a moto.server process")
    parser.add_argument("--rounds", type=lambda n: max(1, int(n)), default=3,
                        help="rounds of import, export and floor (medians shown; at least one)")
    parser.add_argument("--mode", choices=("in-process", "distributed"), default="in-process",
                        help="distributed: PostgreSQL, moto.server as S3 and artifacts, one serve and one worker")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-personalize-"))
    source = folder / "interactions.csv"
    generate(source, args.rows)
    size = source.stat().st_size
    setup = distributed(folder) if args.mode == "distributed" else in_process(args.s3)
    imports, exports, floors = [], [], []
    the_floor = Floor(source, folder)
    with setup as (p, s3, pid, pids), contextlib.closing(the_floor):
        _group, dataset = interactions_dataset(p, s3, source)
        for n in range(args.rounds):  # each round imports (FULL: replacing), exports, then runs the floor
            with PeakMemory(pid) as import_memory, CpuUse(pids) as import_cpu:
                started = time.perf_counter()
                job = p.create_dataset_import_job(jobName=f"in-{n}", datasetArn=dataset, roleArn=ROLE,
                                                  dataSource={"dataLocation": "s3://bench/in/interactions.csv"})
                imports.append((time.perf_counter() - started, import_memory, import_cpu))
            status = p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
            assert status["status"] == "ACTIVE", status
            with PeakMemory(pid) as export_memory, CpuUse(pids) as export_cpu:
                started = time.perf_counter()
                job = p.create_dataset_export_job(jobName=f"out-{n}", datasetArn=dataset, roleArn=ROLE,
                                                  ingestionMode="BULK",
                                                  jobOutput={"s3DataDestination": {"path": "s3://bench/out/"}})
                exports.append((time.perf_counter() - started, export_memory, export_cpu))
            status = p.describe_dataset_export_job(datasetExportJobArn=job["datasetExportJobArn"])["datasetExportJob"]
            assert status["status"] == "ACTIVE", status
            listed = s3.list_objects_v2(Bucket="bench", Prefix=f"out/out-{n}/")["Contents"]
            out_bytes = sum(o["Size"] for o in listed)
            floors.append(the_floor.run())
    import_seconds, import_memory, import_cpu = _median(imports)
    export_seconds, export_memory, export_cpu = _median(exports)
    floor_seconds = sorted(floors)[len(floors) // 2]
    import_peak = max(m.peak for _, m, _ in imports)
    export_peak = max(m.peak for _, m, _ in exports)
    mib = 1024 * 1024
    where = "distributed (PostgreSQL, moto.server S3 and artifacts, 1 serve + 1 worker; RSS: the worker's)" \
        if args.mode == "distributed" else args.s3
    print(f"S3: {where}; rows: {args.rows:,}; input CSV {size / mib:.0f} MiB; exported {len(listed)} files, "
          f"{out_bytes / mib:.0f} MiB")
    print(f"medians of {args.rounds} rounds, each an import, an export and the floor in turn; peak RSS: the highest "
          "of any round")
    print("| phase | seconds | rows/s | MB/s | RSS at start MiB | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    print(f"| import (S3 CSV -> Parquet) | {import_seconds:.2f} | {args.rows / import_seconds:,.0f} | "
          f"{size / 1e6 / import_seconds:.0f} | {import_memory.start:.0f} | {import_peak:.0f} |")
    print(f"| export (Parquet -> S3 CSV) | {export_seconds:.2f} | {args.rows / export_seconds:,.0f} | "
          f"{out_bytes / 1e6 / export_seconds:.0f} | {export_memory.start:.0f} | {export_peak:.0f} |")
    print(f"| DuckDB COPY table -> CSV (floor) | {floor_seconds:.2f} | {args.rows / floor_seconds:,.0f} | "
          f"{size / 1e6 / floor_seconds:.0f} | - | - |")
    print(f"export throughput / floor: {floor_seconds / export_seconds:.2f}")
    print(f"CPU seconds during the import: {import_cpu}")
    print(f"CPU seconds during the export: {export_cpu}")
    subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
