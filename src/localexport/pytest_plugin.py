"""pytest plugin (registered by entry point): localexport in-process or as a real server.

Fixtures:
- ``localexport_mock``: ``mock_export()`` around the test; clients need no endpoint_url.
- ``localexport_server``: one ``localexport serve`` process for the session, on a free
  loopback port, reset before each test; its control token (``LOCALEXPORT_CONTROL_TOKEN``,
  if set) is passed to the process and to its ``controls``.
- ``localexport_controls``: the job controls of whichever of the two the test uses
  (timing mode, fail the next job, advance a manual job, move the clock).

Both handles offer ``client(service, account=..., region=...)``, ``controls``, ``url``,
so one test body can run against either.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest


class _Handle:
    endpoint: str | None = None
    controls: Any

    def client(self, service: str = "lexv2-models", account: str = "123456789012", region: str = "us-east-1"):
        import boto3

        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, aws_access_key_id=account,
                            aws_secret_access_key="localexport")


class MockHandle(_Handle):
    def __init__(self, mock):
        self.mock = mock
        self.controls = mock.controls
        self.url = "http://localexport.mock"


class ServerHandle(_Handle):
    def __init__(self, url: str, controls):
        self.url = self.endpoint = url
        self.controls = controls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def localexport_mock() -> Iterator[MockHandle]:
    from .mock import mock_export

    with mock_export() as mock:
        yield MockHandle(mock)


@pytest.fixture(scope="session")
def localexport_server_process(tmp_path_factory) -> Iterator[ServerHandle]:
    import httpx  # (here: a plugin every pytest run of the environment loads imports nothing it does not use)

    from .remote import ControlError, RemoteControls

    port = _free_port()
    data_dir = tmp_path_factory.mktemp("localexport")
    token = os.environ.get("LOCALEXPORT_CONTROL_TOKEN", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "localexport", "serve", "--port", str(port), "--data-dir", str(data_dir),
         "--job-mode", "immediate"],
        env={**os.environ, "LOCALEXPORT_LOG_LEVEL": "warning", "LOCALEXPORT_CONTROL_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    controls = RemoteControls(f"http://127.0.0.1:{port}", token=token)
    deadline = time.monotonic() + 30
    while True:
        try:
            controls.health()
            break
        except (httpx.HTTPError, ControlError):  # not listening yet
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("localexport serve did not start") from None
            time.sleep(0.1)
    yield ServerHandle(controls.url, controls)
    controls.close()
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def localexport_server(localexport_server_process: ServerHandle) -> ServerHandle:
    controls = localexport_server_process.controls
    controls.reset()
    controls.set_timing("immediate", 0.5)
    return localexport_server_process


@pytest.fixture
def localexport_controls(request):
    """The controls of ``localexport_server`` if the test uses it, else of ``localexport_mock``."""
    if "localexport_server" in request.fixturenames:
        return request.getfixturevalue("localexport_server").controls
    return request.getfixturevalue("localexport_mock").controls
