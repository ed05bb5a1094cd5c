"""A shared instance: servers that only enqueue, `localexport worker` processes that run the jobs
(Procrastinate on a real PostgreSQL), an external S3 (a moto server); and `serve --workers N`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import ServerProcess, client
from tests.lexv2_helpers import ROLE as LEX_ROLE
from tests.lexv2_helpers import bot_spec, export_and_download, import_archive, simple_bot
from tests.personalize_helpers import INTERACTIONS, ITEMS, ROLE, canonical, dataset, exported, put_csv
from tests.quicksight_helpers import build, import_bundle
from tests.quicksight_helpers import export as bundle_export
from tests.test_lexv1 import make_bot

BOT = {"roleArn": LEX_ROLE, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300}


class WorkerProcess(ServerProcess):
    """``localexport worker`` in a child process (stopped and killed as a server is)."""

    def __init__(self, env: dict[str, str]):
        super().__init__(Path(env["LOCALEXPORT_DATA_DIR"]), **env)
        self.proc = subprocess.Popen([sys.executable, "-m", "localexport", "worker", "--concurrency", "2"],
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> None:
        if self.proc.poll() is not None:  # it should not have ended: say why it did
            print(f"worker exited {self.proc.returncode}: {self.proc.stderr.read().decode()[-6000:]}")
        super().stop()


@pytest.fixture
def shared(postgres, moto_s3, tmp_path):
    """``start_server()`` / ``start_worker()`` of one distributed instance (stopped after the test)."""
    bucket = f"artifacts-{uuid.uuid4().hex[:8]}"
    client("s3", moto_s3, account="").create_bucket(Bucket=bucket)
    keys = {"ACCESS_KEY_ID": "testing", "SECRET_ACCESS_KEY": "testing"}
    env = {"LOCALEXPORT_DATABASE_URL": postgres.database(), "LOCALEXPORT_S3_ENDPOINT_URL": moto_s3,
           "LOCALEXPORT_ARTIFACTS_URL": f"s3://{bucket}/shared", "LOCALEXPORT_ARTIFACTS_ENDPOINT_URL": moto_s3,
           **{f"LOCALEXPORT_S3_{k}": v for k, v in keys.items()},
           **{f"LOCALEXPORT_ARTIFACTS_{k}": v for k, v in keys.items()},
           "LOCALEXPORT_JOB_DELAY": "0.5", "LOCALEXPORT_LOG_LEVEL": "warning"}
    started: list = []

    class Instance:
        s3 = moto_s3

        def start_server(self, **extra: str) -> ServerProcess:
            # each process its own data dir: nothing but the database and S3 is shared
            server = ServerProcess(tmp_path / f"server-{len(started)}", **{**env, **extra}).start()
            started.append(server)
            return server

        def start_worker(self, **extra: str) -> WorkerProcess:
            """A worker, once it takes tasks (as a server is started once it answers)."""
            before = _workers_alive(env["LOCALEXPORT_DATABASE_URL"])
            worker = WorkerProcess({**env, "LOCALEXPORT_DATA_DIR": str(tmp_path / f"worker-{len(started)}"), **extra})
            started.append(worker)
            _until(lambda: worker.proc.poll() is not None or _workers_alive(env["LOCALEXPORT_DATABASE_URL"]) > before)
            return worker

    yield Instance()
    for process in reversed(started):
        process.stop()


def _workers_alive(database_url: str) -> int:
    """Workers registered with Procrastinate that sent a heartbeat lately."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sqlalchemy.text("SELECT count(*) FROM procrastinate_workers "
                                                "WHERE last_heartbeat > now() - interval '10 seconds'")).scalar()
    finally:
        engine.dispose()


def _until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _export(lex) -> tuple[str, str]:
    bot = lex.create_bot(botName=f"Shared{uuid.uuid4().hex[:6]}", **BOT)["botId"]
    _until(lambda: lex.describe_bot(botId=bot)["botStatus"] == "Available")  # (statuses settle on the clock)
    export = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot, "botVersion": "DRAFT"}},
                               fileFormat="LexJson")
    return bot, export["exportId"]


def test_servers_enqueue_and_workers_run_the_jobs(shared):
    one, two = shared.start_server(), shared.start_server()
    lex_one, lex_two = client("lexv2-models", one.url), client("lexv2-models", two.url)
    _, export_id = _export(lex_one)
    time.sleep(1.0)  # the delay has passed, but no worker runs yet: the servers do not run jobs
    assert lex_two.describe_export(exportId=export_id)["exportStatus"] == "InProgress"
    shared.start_worker()
    shared.start_worker()
    done = _until(lambda: (d := lex_two.describe_export(exportId=export_id))["exportStatus"] == "Completed" and d)
    archive = requests.get(done["downloadUrl"], timeout=10)  # a URL of server two, for a job server one queued
    assert archive.status_code == 200 and archive.content[:2] == b"PK"
    jobs = requests.get(f"{one.url}/_localexport/control/jobs", timeout=10).json()["jobs"]
    assert [(j["state"], j["attempts"]) for j in jobs] == [("succeeded", 1)]


def test_every_flow_through_two_servers_and_two_workers(shared):
    """Lex V2 export and import, Lex V1, Personalize import and export, QuickSight bundles: each call to the
    other server than the last, immediate jobs run by the workers; then one server dies, the other goes on."""
    one, two = shared.start_server(LOCALEXPORT_JOB_MODE="immediate"), shared.start_server()
    shared.start_worker()
    shared.start_worker()
    lex = [client("lexv2-models", one.url), client("lexv2-models", two.url)]
    bot = simple_bot(lex[0], name="SharedPizza")
    spec = {"botExportSpecification": {"botId": bot["botId"], "botVersion": "DRAFT"}}
    _, archive = export_and_download(lex[1], lambda url: requests.get(url, timeout=10), spec)
    imported = import_archive(lex[0], lambda url, content: requests.put(url, data=content, timeout=10), archive,
                              bot_spec("SharedCopy"))
    assert imported["importStatus"] == "Completed", imported.get("failureReasons")

    v1 = [client("lex-models", one.url), client("lex-models", two.url)]
    make_bot(v1[1])
    ready = v1[0].get_export(name="PizzaBot", version="1", resourceType="BOT", exportType="LEX")
    assert ready["exportStatus"] == "READY"
    payload = requests.get(ready["url"], timeout=10).content
    started = v1[1].start_import(payload=payload, resourceType="BOT", mergeStrategy="OVERWRITE_LATEST")
    assert v1[0].get_import(importId=started["importId"])["importStatus"] == "COMPLETE"

    s3 = client("s3", shared.s3, account="")
    s3.create_bucket(Bucket="shared-bucket")
    p = [client("personalize", one.url), client("personalize", two.url)]
    items = dataset(p[0], p[1].create_dataset_group(name="shared")["datasetGroupArn"], "Items", ITEMS)
    location = put_csv(s3, "shared-bucket", "in/items.csv", [["ITEM_ID", "GENRES", "PRICE"], ["a", "x|y", "1"]])
    job = p[1].create_dataset_import_job(jobName="in", datasetArn=items, dataSource={"dataLocation": location},
                                         roleArn=ROLE)["datasetImportJobArn"]
    assert p[0].describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "ACTIVE"
    job = p[0].create_dataset_export_job(jobName="out", datasetArn=items, roleArn=ROLE, ingestionMode="BULK",
                                         jobOutput={"s3DataDestination": {"path": "s3://shared-bucket/out/"}}
                                         )["datasetExportJobArn"]
    assert p[1].describe_dataset_export_job(datasetExportJobArn=job)["datasetExportJob"]["status"] == "ACTIVE"
    assert canonical(exported(s3, "shared-bucket", "out/out/")[1], ITEMS) == [("a", "x|y", 1.0)]

    qs = [client("quicksight", one.url), client("quicksight", two.url)]
    arns = build(qs[1])
    bundle = bundle_export(qs[0], "shared-bundle", [arns["dashboard"]], IncludeAllDependencies=True)
    assert bundle["JobStatus"] == "SUCCESSFUL"
    body = requests.get(bundle["DownloadUrl"], timeout=10).content
    assert import_bundle(qs[1], "shared-restore", body)["JobStatus"] == "SUCCESSFUL"

    jobs = requests.get(f"{two.url}/_localexport/control/jobs", timeout=10).json()["jobs"]
    assert {j["state"] for j in jobs} == {"succeeded"} and {j["attempts"] for j in jobs} == {1}
    health = requests.get(f"{one.url}/_localexport/health", timeout=10).json()
    assert health["tasks"] == {"queued": 0, "running": 0, "workers": 2}
    one.kill()  # the other server answers on, and its jobs still run
    assert lex[1].describe_bot(botId=bot["botId"])["botName"] == "SharedPizza"
    _, again = export_and_download(lex[1], lambda url: requests.get(url, timeout=10),
                                   {"botExportSpecification": {"botId": imported["importedResourceId"],
                                                               "botVersion": "DRAFT"}})
    assert again[:2] == b"PK"


def test_with_no_worker_an_immediate_job_is_answered_queued_not_waited_for(shared):
    server = shared.start_server(LOCALEXPORT_JOB_MODE="immediate")
    lex = client("lexv2-models", server.url)
    started = time.monotonic()
    _, export_id = _export(lex)
    assert time.monotonic() - started < 10  # not the minute a worker would be waited for
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "InProgress"
    shared.start_worker()  # the job was kept: a worker that comes runs it
    _until(lambda: lex.describe_export(exportId=export_id)["exportStatus"] == "Completed")


def test_the_controls_of_one_server_hold_for_every_process(shared):
    one, two = shared.start_server(), shared.start_server()
    shared.start_worker()
    requests.post(f"{one.url}/_localexport/control/timing", json={"mode": "manual"}, timeout=10).raise_for_status()
    assert requests.get(f"{two.url}/_localexport/control/timing", timeout=10).json()["mode"] == "manual"
    lex = client("lexv2-models", two.url)
    _, held = _export(lex)
    time.sleep(1.0)  # manual: no worker takes it
    assert lex.describe_export(exportId=held)["exportStatus"] == "InProgress"
    job = requests.get(f"{one.url}/_localexport/control/jobs", timeout=10).json()["jobs"][0]
    advanced = requests.post(f"{one.url}/_localexport/control/jobs/{job['id']}/advance", timeout=60).json()
    assert advanced["state"] == "succeeded"  # advanced through one server, run by the worker, before it answered
    requests.post(f"{two.url}/_localexport/control/timing", json={"mode": "immediate"}, timeout=10)
    requests.post(f"{one.url}/_localexport/control/fail-next", json={"reasons": ["injected through one"]},
                  timeout=10).raise_for_status()
    _, failed = _export(client("lexv2-models", two.url))  # immediate: ended by a worker before the call returns
    described = lex.describe_export(exportId=failed)
    assert (described["exportStatus"], described["failureReasons"]) == ("Failed", ["injected through one"])
    before = requests.post(f"{two.url}/_localexport/control/clock", json={"advance": 0}, timeout=10).json()["now"]
    requests.post(f"{one.url}/_localexport/control/clock", json={"advance": 3600}, timeout=10).raise_for_status()
    after = requests.post(f"{two.url}/_localexport/control/clock", json={"advance": 0}, timeout=10).json()["now"]
    assert 3600 <= after - before < 3660


def _interrupted_import(shared, how: str = "kill", **env: str):
    """A big Personalize import whose first worker is stopped (SIGKILL, or SIGTERM with another worker there)
    while it runs; the import as it ended, and our job."""
    server = shared.start_server(LOCALEXPORT_JOB_DELAY="0", **env)
    s3 = client("s3", shared.s3, account="")
    s3.create_bucket(Bucket="big-input")
    rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]]
    rows += [[f"u{i % 5000}", f"i{i % 777}", "click", "1", str(1_700_000_000 + i)] for i in range(1_500_000)]
    location = put_csv(s3, "big-input", "interactions.csv", rows)
    p = client("personalize", server.url)
    data = dataset(p, p.create_dataset_group(name="big")["datasetGroupArn"], "Interactions", INTERACTIONS)
    first = shared.start_worker(**env)
    arn = p.create_dataset_import_job(jobName="big", datasetArn=data, dataSource={"dataLocation": location},
                                      roleArn=ROLE)["datasetImportJobArn"]
    jobs_url = f"{server.url}/_localexport/control/jobs"
    _until(lambda: requests.get(jobs_url, timeout=10).json()["jobs"][0]["state"] == "running")
    if how == "kill":
        first.kill()  # mid-import: no heartbeat any more
        shared.start_worker(**env)
    else:
        shared.start_worker(**env)
        first.proc.terminate()  # it finishes the job, and Procrastinate's heartbeat stops meanwhile
    job = _until(lambda: (j := p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
                 ["status"] in ("ACTIVE", "CREATE FAILED") and j, timeout=120)
    return job, requests.get(jobs_url, timeout=10).json()["jobs"][0]


def test_a_job_of_a_killed_worker_is_run_to_the_end_by_another(shared):
    job, ours = _interrupted_import(shared)
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert (ours["state"], ours["attempts"]) == ("succeeded", 2)  # taken over once, finished once


def test_a_worker_stopping_finishes_its_job_and_no_other_runs_it_too(shared):
    job, ours = _interrupted_import(shared, "term", LOCALEXPORT_WORKER_HEARTBEAT="0.5",
                                    LOCALEXPORT_WORKER_STALLED_AFTER="1.5")
    assert job["status"] == "ACTIVE", job.get("failureReason")
    assert (ours["state"], ours["attempts"]) == ("succeeded", 1)  # run once, by the worker that was stopping


def test_a_job_interrupted_as_often_as_it_may_be_ends_failed(shared):
    job, ours = _interrupted_import(shared, LOCALEXPORT_JOB_MAX_ATTEMPTS="1")
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == "The job was interrupted 1 times and was not retried."
    assert (ours["state"], ours["attempts"]) == ("failed", 1)


def test_a_distributed_server_refuses_the_embedded_s3_in_one_line(postgres, tmp_path):
    server = ServerProcess(tmp_path / "data", LOCALEXPORT_DATABASE_URL=postgres.database())
    with pytest.raises(RuntimeError, match="cannot keep S3 in one process's memory") as refused:
        server.start()
    assert "Traceback" not in str(refused.value)


@contextlib.contextmanager
def _server_processes(moto_s3: str, data_dir: Path, **extra: str):
    """`localexport serve --workers 2` on a SQLite file, with a moto server as S3: its URL."""
    port = ServerProcess(data_dir).port
    env = {**os.environ, "LOCALEXPORT_S3_ENDPOINT_URL": moto_s3, "LOCALEXPORT_S3_ACCESS_KEY_ID": "testing",
           "LOCALEXPORT_S3_SECRET_ACCESS_KEY": "testing", "LOCALEXPORT_JOB_DELAY": "0.3", **extra}
    proc = subprocess.Popen([sys.executable, "-m", "localexport", "serve", "--workers", "2", "--port", str(port),
                             "--data-dir", str(data_dir)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _until(lambda: _healthy(url), timeout=30)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def test_serve_with_several_processes_shares_one_sqlite_file(moto_s3, tmp_path):
    with _server_processes(moto_s3, tmp_path / "data") as url:
        # each request may land in either process: what one sets, every later request sees
        requests.post(f"{url}/_localexport/control/fail-next", json={"reasons": ["shared"]}, timeout=10)
        lex = client("lexv2-models", url)
        exports = [_export(lex)[1] for _ in range(4)]
        statuses = [_until(lambda e=e: (s := lex.describe_export(exportId=e)["exportStatus"]) != "InProgress" and s)
                    for e in exports]
        assert sorted(statuses) == ["Completed", "Completed", "Completed", "Failed"]
        requests.post(f"{url}/_localexport/control/timing", json={"delay": 0.25}, timeout=10).raise_for_status()
        for _ in range(8):  # on new connections: both processes answer, and both read what one was told
            assert requests.get(f"{url}/_localexport/control/timing", timeout=10,
                                headers={"Connection": "close"}).json()["delay"] == 0.25


def test_a_job_of_a_killed_server_process_is_recovered_by_its_replacement(moto_s3, tmp_path):
    """The process running a job dies; uvicorn starts another, which recovers that job (and only that one)."""
    s3 = client("s3", moto_s3, account="")
    s3.create_bucket(Bucket="big-input")
    rows = [["USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "TIMESTAMP"]]
    rows += [[f"u{i % 5000}", f"i{i % 777}", "click", "1", str(1_700_000_000 + i)] for i in range(1_500_000)]
    location = put_csv(s3, "big-input", "interactions.csv", rows)
    with _server_processes(moto_s3, tmp_path / "data", LOCALEXPORT_JOB_DELAY="0") as url:
        p = client("personalize", url)
        data = dataset(p, p.create_dataset_group(name="big")["datasetGroupArn"], "Interactions", INTERACTIONS)
        arn = p.create_dataset_import_job(jobName="big", datasetArn=data, dataSource={"dataLocation": location},
                                          roleArn=ROLE)["datasetImportJobArn"]

        def runner() -> str | None:
            with sqlite3.connect(tmp_path / "data" / "localexport.db") as db:
                found = db.execute("SELECT state, extra FROM jobs").fetchone()
            return found and found[0] == "running" and json.loads(found[1]).get("runner")

        marker = _until(runner)
        os.kill(int(marker.split("-")[0]), signal.SIGKILL)  # the process that runs it, mid-import
        job = _until(lambda: (j := p.describe_dataset_import_job(datasetImportJobArn=arn)["datasetImportJob"])
                     ["status"] in ("ACTIVE", "CREATE FAILED") and j, timeout=120)
        assert job["status"] == "ACTIVE", job.get("failureReason")
        ours = requests.get(f"{url}/_localexport/control/jobs", timeout=10).json()["jobs"][0]
        assert (ours["state"], ours["attempts"]) == ("succeeded", 2)


def test_serve_with_several_processes_refuses_the_embedded_s3(tmp_path):
    done = subprocess.run([sys.executable, "-m", "localexport", "serve", "--workers", "2", "--data-dir",
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [(
        "localexport: cannot start: --workers needs an external S3 (the embedded one lives in one process's memory): "
        "set LOCALEXPORT_S3_ENDPOINT_URL (MinIO, AWS, a moto server)")]


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/_localexport/health", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
