"""Reads answered on the server's event loop: a call that would write, wait or draw a seeded id there
changes nothing and is answered again on a thread, with the same outcome as if it had never been tried."""

from __future__ import annotations

import threading

import boto3
import pytest

from localexport.app import LocalExport
from localexport.aws.gateway import WouldBlock
from localexport.config import Settings
from localexport.core import inline
from localexport.core.ids import Ids
from localexport.inprocess import InProcess

ROLE = "arn:aws:iam::123456789012:role/LexRole"
SIGNED = {"authorization": "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/lex/aws4_request, "
                           "SignedHeaders=host, Signature=00", "content-type": "application/json", "host": "x"}


def _client(wire: InProcess, service: str):
    return wire.attach(boto3.client(service, region_name="us-east-1", endpoint_url="http://localexport",
                                    aws_access_key_id="123456789012", aws_secret_access_key="x"))


def _inline(instance: LocalExport, method: str, path: str, body: bytes = b""):
    with inline.answering():
        return instance.gateway.handle(method, path, "", SIGNED, body, "http://localexport", inline=True)


@pytest.fixture(params=["file", "memory"])
def instance(request, tmp_path):
    made = LocalExport(Settings(data_dir=tmp_path, job_mode="immediate"), in_memory=request.param == "memory")
    yield made
    made.close()


def test_a_read_is_answered_inline_and_a_write_is_not_tried_there(instance):
    wire = InProcess(instance)
    try:
        lex = _client(wire, "lexv2-models")
        bot = lex.create_bot(botName="Inline", roleArn=ROLE, dataPrivacy={"childDirected": False},
                             idleSessionTTLInSeconds=300)["botId"]
        answer = _inline(instance, "GET", f"/bots/{bot}/")
        assert answer.status == 200 and b'"botName":"Inline"' in answer.body
        missing = _inline(instance, "GET", "/bots/NOSUCHBOT1/")  # an AWS error is an answer too
        assert missing.status == 404 and missing.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
        with pytest.raises(WouldBlock):
            _inline(instance, "PUT", "/bots/", b'{"botName": "Never", "roleArn": "%s", "dataPrivacy": '
                                               b'{"childDirected": false}, "idleSessionTTLInSeconds": 300}' % ROLE.encode())
        assert [b["botName"] for b in lex.list_bots()["botSummaries"]] == ["Inline"]
    finally:
        wire.close()


def test_an_inline_read_never_waits_for_a_writer(tmp_path):
    """The in-memory store has one connection: while a writer holds it, the loop is sent to a thread."""
    instance = LocalExport(Settings(data_dir=tmp_path, job_mode="immediate"), in_memory=True)
    wire = InProcess(instance)
    holding, release = threading.Event(), threading.Event()

    def writer():
        with instance.runtime.store.transaction():
            holding.set()
            release.wait(30)

    try:
        lex = _client(wire, "lexv2-models")
        bot = lex.create_bot(botName="Busy", roleArn=ROLE, dataPrivacy={"childDirected": False},
                             idleSessionTTLInSeconds=300)["botId"]
        thread = threading.Thread(target=writer)
        thread.start()
        assert holding.wait(10)
        with pytest.raises(WouldBlock):
            _inline(instance, "GET", f"/bots/{bot}/")
        release.set()
        thread.join(10)
        assert lex.describe_bot(botId=bot)["botName"] == "Busy"  # through the app: inline again
    finally:
        release.set()
        wire.close()
        instance.close()


def test_a_read_that_writes_runs_on_a_thread_with_the_ids_it_would_have_had(tmp_path):
    """Lex V1 GetExport starts a job: tried inline through the app, then run again on a thread; with seeded ids
    its export is the one a server that never tries inline makes."""
    from tests.test_lexv1 import make_bot

    exports = []
    for name, through_app in (("app", True), ("direct", False)):
        instance = LocalExport(Settings(data_dir=tmp_path / name, job_mode="immediate"), ids=Ids(seed=7))
        wire = InProcess(instance)
        try:
            v1 = _client(wire, "lex-models")
            make_bot(v1)
            if not through_app:  # the gateway on the calling thread, as before reads were answered inline
                v1.meta.events.unregister("before-send", wire.send)
                v1.meta.events.register("before-send", _direct(instance))
            answer = v1.get_export(name="PizzaBot", version="1", resourceType="BOT", exportType="LEX")
            assert answer["exportStatus"] == "READY"
            exports.append([(j.id, j.kind, j.state) for j in instance.runtime.store.jobs()])
        finally:
            wire.close()
            instance.close()
    assert exports[0] == exports[1] and exports[0]


def _direct(instance: LocalExport):
    from localexport.inprocess import aws_response, request_body

    def send(request, **_):
        split = request.url.split("://", 1)[1].split("/", 1)
        path, _, query = ("/" + (split[1] if len(split) > 1 else "")).partition("?")
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        result = instance.gateway.handle(request.method, path, query, headers, request_body(request),
                                         "http://localexport")
        return aws_response(request, result.status, result.headers, result.body)

    return send
