"""Fixtures: a localexport instance in-process, boto3 clients bound to it, and
a real ``localexport serve`` process on loopback.

The instance's store is SQLite in memory; a test parametrised with ``on_both_backends`` (``postgres.py``) runs
also on a database of a real PostgreSQL server (set ``LOCALEXPORT_TEST_BACKEND=postgresql`` to run every
test using ``local`` there)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from postgres import PostgresServer, binaries

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.inprocess import InProcess

FIXTURES = Path(os.environ.get("LOCALEXPORT_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"))


def client(service: str, endpoint: str, account: str = "123456789012", region: str = "us-east-1"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account if account else "testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def postgres():
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin)")
    server = PostgresServer(bin_dir, free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def backend(request) -> str:
    """The store's database: "sqlite" (in memory) unless parametrised."""
    return getattr(request, "param", os.environ.get("LOCALEXPORT_TEST_BACKEND", "sqlite"))


@pytest.fixture
def local(backend, request, tmp_path, monkeypatch):
    if backend == "postgresql":  # as a server on PostgreSQL runs: a data dir for its S3 and keys, the store there
        database = request.getfixturevalue("postgres").database()
        monkeypatch.setenv("LOCALEXPORT_JOB_RUNNER", "threads")  # jobs in this process, not in worker processes
        instance = LocalExport(Settings(job_mode="immediate", database_url=database, data_dir=tmp_path / "data"))
    else:
        instance = LocalExport(Settings(job_mode="immediate"), in_memory=True)
    yield instance
    # the embedded S3 (moto's backend) lives as long as the process: what a test wrote must not answer the next
    instance.runtime.objects.reset()
    instance.close()


@pytest.fixture
def wire(local):
    adapter = InProcess(local)
    yield adapter
    adapter.close()


@pytest.fixture
def make_client(wire):
    """``make_client(service, account=..., region=...)``: a boto3 client answered in-process."""

    def make(service: str = "lexv2-models", account: str = "123456789012", region: str = "us-east-1"):
        return wire.attach(client(service, "http://localexport", account, region))

    return make


@pytest.fixture
def trainable(make_client, local):
    """A personalize client whose training minimums (AWS's 1000 interactions and 25 users, settings here) fit
    small hand-made data."""
    local.runtime.options.update(personalize_min_interactions=10, personalize_min_users=5)
    return make_client("personalize")


@pytest.fixture
def p(trainable):
    """The personalize client of the tests that train (small training minimums)."""
    return trainable


@pytest.fixture
def rt(make_client):
    return make_client("personalize-runtime")


@pytest.fixture
def s3(make_client):
    """An S3 client with the bucket the Personalize tests keep their data in."""
    from personalize_helpers import BUCKET

    client = make_client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def lex(make_client):
    return make_client("lexv2-models")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"real fixtures not found at {FIXTURES} (set LOCALEXPORT_FIXTURES)")
    return FIXTURES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``localexport serve`` in a child process, on a free loopback port."""

    def __init__(self, data_dir: Path, **env: str):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "localexport", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                if requests.get(f"{self.url}/_localexport/health", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("server did not become healthy in 30 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def server_factory(tmp_path):
    started: list[ServerProcess] = []

    def start(data_dir: Path | None = None, **env: str) -> ServerProcess:
        server = ServerProcess(data_dir or tmp_path / "data", **env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def moto_s3():
    """A moto server on loopback: an external S3 (its URL)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto.server did not start") from None
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)
