"""Each service is imported at its first use: a call loads its own service and models, not the others; a
job of a service nobody has called yet (recovered after a restart) still finds its runner."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from conftest import client

from localexport.app import LocalExport
from localexport.aws.models import KNOWN, SERVICES, Known, service_model, signing_name
from localexport.config import Settings
from localexport.inprocess import InProcess
from localexport.services import PACKAGES

ROLE = "arn:aws:iam::123456789012:role/LexRole"


def test_what_is_known_before_loading_a_model_is_what_the_model_says():
    assert set(KNOWN) == set(SERVICES) == set(PACKAGES)
    for name in SERVICES:
        model = service_model(name)
        assert KNOWN[name] == Known(model.metadata["serviceId"], signing_name(model), model.protocol), name


_PROBE = """
import json, sys
import boto3
from localexport import mock_export
HEAVY = ("localexport.services.lexv1", "localexport.services.personalize", "localexport.services.quicksight",
         "duckdb", "pyarrow", "pyzipper", "sqlalchemy.dialects.postgresql")
seen = {}
with mock_export():
    boto3.client("lexv2-models", region_name="us-east-1").list_bots()
    seen["lexv2"] = [m for m in HEAVY if m in sys.modules]
    boto3.client("quicksight", region_name="us-east-1").list_users(AwsAccountId="123456789012", Namespace="default")
    seen["quicksight"] = [m for m in HEAVY if m in sys.modules]
print(json.dumps(seen))
"""


def test_a_call_imports_its_own_service_and_none_of_the_others():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["lexv2"] == []
    assert seen["quicksight"] == ["localexport.services.quicksight"]


_FIRST_CALL = """
import json, sys
import boto3
from localexport import mock_export
with mock_export():
    boto3.client("lexv2-models", region_name="us-east-1").list_bots()
    imported = sorted({name.split(".")[0] for name in sys.modules} & {"sqlalchemy", "alembic", "httpx"})
    import httpx  # the test's own, inside the mock: its requests for the mock's host still reach the app
    health = httpx.get("http://localexport.mock/_localexport/health").status_code
try:
    httpx.get("http://localexport.mock/_localexport/health", timeout=5)
    after = "answered"
except httpx.HTTPError:
    after = "not reached"
print(json.dumps({"imported": imported, "health": health, "after": after}))
"""


def test_a_first_call_imports_no_sql_toolkit_nor_http_client_and_httpx_imported_later_reaches_the_mock():
    done = subprocess.run([sys.executable, "-c", _FIRST_CALL], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"imported": [], "health": 200, "after": "not reached"}


def test_a_job_recovered_before_any_call_of_its_service_runs(tmp_path):
    first = LocalExport(Settings(job_mode="manual", data_dir=tmp_path / "data"))
    wire = InProcess(first)
    lex = wire.attach(client("lexv2-models", "http://localexport"))
    bot = lex.create_bot(botName="Recovered", roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300)
    export = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot["botId"],
                                                                                "botVersion": "DRAFT"}},
                               fileFormat="LexJson")
    assert first.runtime.store.get_job(export["exportId"]).state == "queued"
    wire.close()
    first.close()

    second = LocalExport(Settings(job_mode="immediate", data_dir=tmp_path / "data"))
    try:
        # no call has reached this instance: without the engine loading the service, the job would fail as
        # "No runner for job kind"
        deadline = time.monotonic() + 20
        while second.runtime.store.get_job(export["exportId"]).state != "succeeded" and time.monotonic() < deadline:
            time.sleep(0.05)
        job = second.runtime.store.get_job(export["exportId"])
        assert job.state == "succeeded", job.failure
        assert second.runtime.artifacts.size(job.artifact) > 0
    finally:
        second.close()
