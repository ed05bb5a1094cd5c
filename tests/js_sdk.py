"""The AWS SDK for JavaScript v3, driven from pytest: node runs a script from ``tests/js``
against an endpoint, as an account in a region, and its JSON output comes back.

``JsSdk(endpoint).run(**steps)`` runs calls in order in one node process (``tests/js/call.mjs``),
one client per service on one keep-alive connection, and returns the results by step name::

    V2 = Client("LexModelsV2")
    out = JsSdk(server.url).run(
        bot=V2("CreateBot", botName="PizzaBot", ...),
        ready=V2.wait("BotAvailable", botId=ref("bot.botId")),
        described=V2("DescribeBot", botId=ref("bot.botId")),
    )
    assert out["described"]["botStatus"] == "Available"

A result is the output plus ``httpStatusCode``, or ``{"error": {name, message, $fault,
httpStatusCode}}``. The packages come from ``npm ci`` in tests/js (``.ci/run`` does it);
without node or them, ``require()`` skips the test: nothing is downloaded at test time.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).parent / "js"
PACKAGES = ("@aws-sdk/client-lex-models-v2", "@aws-sdk/client-lex-model-building-service")


@cache
def _node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    return int(version.strip().lstrip("v").split(".")[0] or 0)


def require() -> str:
    """The node executable; skips the test when node (>= 20) or the SDK packages are absent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found on PATH: the JavaScript SDK tests need node >= 20")
    if _node_major(node) < 20:
        pytest.skip(f"node >= 20 needed by the JavaScript SDK v3, found v{_node_major(node)}")
    missing = [p for p in PACKAGES if not (JS / "node_modules" / p / "package.json").is_file()]
    if missing:
        pytest.skip(f"JavaScript SDK packages not installed ({', '.join(missing)}): run `npm ci` in {JS}")
    return node


def run_script(script: str | Path, endpoint: str, account: str = "123456789012", region: str = "us-east-1",
               stdin: Any = None, timeout: float = 120) -> Any:
    """Run ``script`` (a path, or a name in tests/js) with node and return its stdout parsed as JSON.

    The SDK finds the endpoint, region and credentials (access key = the account id) in the
    standard variables; no AWS setting of the caller's environment or files leaks in."""
    node = require()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_REGION=region, AWS_ACCESS_KEY_ID=account,
               AWS_SECRET_ACCESS_KEY="testing", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="true")
    done = subprocess.run([node, str(JS / script)], cwd=JS, env=env, capture_output=True, timeout=timeout, check=False,
                          input=None if stdin is None else json.dumps(stdin, default=_encode).encode())
    if done.returncode != 0:
        raise AssertionError(f"node {script} exited {done.returncode}:\n{done.stderr.decode()}")
    return json.loads(done.stdout, object_hook=_decode)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    raise TypeError(f"not JSON serializable: {value!r}")


def _decode(value: dict) -> Any:
    return base64.b64decode(value["$bytes"]) if value.keys() == {"$bytes"} else value


def ref(path: str) -> dict:
    """An earlier step's result, or a value in it: ``ref("bot.botId")``."""
    return {"$ref": path}


class Client:
    """Steps for one SDK client, named as the package exports it (``LexModelsV2`` for ``LexModelsV2Client``)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, command: str, **input: Any) -> dict:
        return {"client": self.name, "command": command, "input": input}

    def wait(self, waiter: str, seconds: float = 20, **input: Any) -> dict:
        """A ``waitUntil<waiter>`` step; its result is ``{"state": "SUCCESS", "reason": <last output>}``."""
        return {"client": self.name, "waiter": waiter, "input": input, "seconds": seconds}


def fetch(url: str | dict, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> dict:
    """A plain HTTP request with node's fetch; its result is ``{httpStatusCode, headers, body: bytes}``."""
    return {"fetch": {"url": url, "method": method, "headers": headers or {},
                      **({"body": body} if body is not None else {})}}


class Results(dict):
    """Results by step name; ``connections``: how many sockets the SDK clients opened."""

    connections: int


class JsSdk:
    def __init__(self, endpoint: str, account: str = "123456789012", region: str = "us-east-1"):
        self.endpoint, self.account, self.region = endpoint, account, region

    def run(self, **steps: dict) -> Results:
        out = run_script("call.mjs", self.endpoint, self.account, self.region,
                         {"steps": [{"name": name, **step} for name, step in steps.items()]})
        results = Results(out["results"])
        results.connections = out["connections"]
        return results
