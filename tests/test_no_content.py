"""A 204 No Content answer carries no body and claims none (RFC 9110 15.3.5, 8.6), for every operation of the
five models whose answer is 204.

Node's HTTP parser (like Python's http.client) reads no body after a 204 whatever the headers say: bytes sent
anyway are read as the start of the next response on a kept-alive connection ("Parse Error: Expected HTTP/").
So the real-server tests speak HTTP/1.1 over one raw socket, and send a second request after the 204.
"""

from __future__ import annotations

import json
import re
import socket
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
import urllib3
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, create_request_object, prepare_request_dict
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.model import Shape
from botocore.serialize import create_serializer
from conftest import ServerProcess, client
from lexv2_helpers import ROLE, import_archive

from localexport import services
from localexport.aws.models import SERVICES, service_model, signing_name
from localexport.aws.protocols import has_content, serialize_response
from localexport.mock import mock_export
from localexport.remote import RemoteControls

ACCOUNT = "123456789012"
REGION = "us-east-1"
FAST = {"Delay": 0.05, "MaxAttempts": 200}
_CONTENT_HEADERS = ("content-length", "content-type", "transfer-encoding")


# -- what the models say ---------------------------------------------------------------------


def _no_content_operations() -> list[tuple[str, str]]:
    """Every (service, operation) whose answer the model declares as 204."""
    found = []
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            if model.operation_model(name).http.get("responseCode") == 204:
                found.append((service, name))
    return found


def _status_code_operations() -> list[tuple[str, str, str]]:
    """Every (service, operation, member) whose output sets the status itself (a ``statusCode`` member)."""
    found = []
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            shape = model.operation_model(name).output_shape
            for member_name, member in (shape.members.items() if shape is not None else ()):
                if member.serialization.get("location") == "statusCode":
                    found.append((service, name, member_name))
    return found


def _implemented(service: str, operation: str) -> bool:
    ops = services.operations().get(service)
    return ops is not None and operation in ops.handlers


NO_CONTENT = _no_content_operations()
IMPLEMENTED = [key for key in NO_CONTENT if _implemented(*key)]
NOT_IMPLEMENTED = [key for key in NO_CONTENT if not _implemented(*key)]
STATUS_CODE = _status_code_operations()


def _ids(keys) -> list[str]:
    return [f"{key[0]}.{key[1]}" for key in keys]


# -- the resources each implemented 204 operation needs ----------------------------------------

_serial = count()


def _name(prefix: str) -> str:
    """A fresh name of letters only (Lex V1 names allow no digits)."""
    n, suffix = next(_serial), ""
    while True:
        n, digit = divmod(n, 26)
        suffix += string.ascii_lowercase[digit]
        if n == 0:
            return prefix + suffix


@dataclass
class Env:
    make: Callable[[str], Any]  # service -> a boto3 client
    put: Callable[..., Any]  # an HTTP PUT (url, data=...) for upload URLs
    controls: Any = None  # where console actions (not in the API) run: an instance's controls or RemoteControls

    def console(self, service: str, action: str, params: dict[str, Any]) -> None:
        self.controls.console(service, action, ACCOUNT, REGION, params)


def _v1_bot(env: Env, **extra: Any) -> str:
    name = _name("Bot")
    env.make("lex-models").put_bot(name=name, locale="en-US", childDirected=False, **extra)
    return name


def _v1_intent(env: Env) -> str:
    name = _name("Intent")
    env.make("lex-models").put_intent(name=name, sampleUtterances=["hello"],
                                      fulfillmentActivity={"type": "ReturnIntent"})
    return name


def _v1_slot_type(env: Env) -> str:
    name = _name("Type")
    env.make("lex-models").put_slot_type(name=name, enumerationValues=[{"value": "small"}])
    return name


def _v1_arn(bot: str) -> str:
    return f"arn:aws:lex:{REGION}:{ACCOUNT}:bot:{bot}"


def _v1_alias(env: Env) -> dict[str, str]:
    bot, alias = _v1_bot(env), _name("Alias")
    env.make("lex-models").put_bot_alias(name=alias, botName=bot, botVersion="$LATEST")
    return {"name": alias, "botName": bot}


def _v1_channel(env: Env) -> dict[str, str]:
    alias = _v1_alias(env)
    channel = {"name": _name("Channel"), "botName": alias["botName"], "botAlias": alias["name"]}
    env.console("lex-models", "PutBotChannelAssociation", {**channel, "type": "Slack"})
    return channel


def _v2_bot(env: Env) -> str:
    lex = env.make("lexv2-models")
    bot_id = lex.create_bot(botName=_name("Bot"), roleArn=ROLE, dataPrivacy={"childDirected": False},
                            idleSessionTTLInSeconds=300)["botId"]
    lex.get_waiter("bot_available").wait(botId=bot_id, WaiterConfig=FAST)
    return bot_id


def _v2_policy(env: Env) -> dict[str, str]:
    arn = f"arn:aws:lex:{REGION}:{ACCOUNT}:bot/{_v2_bot(env)}"
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "Run", "Effect": "Allow", "Action": ["lex:RecognizeText"],
                                                      "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]},
                                                      "Resource": arn}]}
    env.make("lexv2-models").create_resource_policy(resourceArn=arn, policy=json.dumps(policy))
    return {"resourceArn": arn}


def _v2_policy_statement(env: Env) -> dict[str, str]:
    arn = f"arn:aws:lex:{REGION}:{ACCOUNT}:bot/{_v2_bot(env)}"
    env.make("lexv2-models").create_resource_policy_statement(
        resourceArn=arn, statementId="Run", effect="Allow", principal=[{"service": "lexv2.amazonaws.com"}],
        action=["lex:RecognizeText"])
    return {"resourceArn": arn, "statementId": "Run"}


def _v2_locale(env: Env) -> dict[str, str]:
    lex = env.make("lexv2-models")
    bot_id = _v2_bot(env)
    where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    lex.create_bot_locale(**where, nluIntentConfidenceThreshold=0.4)
    lex.get_waiter("bot_locale_created").wait(**where, WaiterConfig=FAST)
    return where


def _v2_intent(env: Env) -> dict[str, str]:
    where = _v2_locale(env)
    return {**where, "intentId": env.make("lexv2-models").create_intent(**where, intentName="Greet")["intentId"]}


def _v2_slot(env: Env) -> dict[str, str]:
    where = _v2_intent(env)
    slot = env.make("lexv2-models").create_slot(**where, slotName="count", slotTypeId="AMAZON.Number",
                                                valueElicitationSetting={"slotConstraint": "Optional"})
    return {**where, "slotId": slot["slotId"]}


def _v2_slot_type(env: Env) -> dict[str, str]:
    where = _v2_locale(env)
    created = env.make("lexv2-models").create_slot_type(
        **where, slotTypeName="Size", slotTypeValues=[{"sampleValue": {"value": "small"}}],
        valueSelectionSetting={"resolutionStrategy": "OriginalValue"})
    return {**where, "slotTypeId": created["slotTypeId"]}


_TEST_SET_CSV = b"Line #,Conversation #,Source,Input,Expected Output Intent\n1,,User,hello there,Greet\n"


def _v2_test_set(env: Env) -> dict[str, str]:
    location = {"s3BucketName": "test-sets", "s3Path": "in/greet.csv"}
    spec = {"testSetImportResourceSpecification": {
        "testSetName": _name("Set"), "roleArn": ROLE, "modality": "Text", "importInputLocation": location,
        "storageLocation": {"s3BucketName": "test-sets", "s3Path": "store/"}}}
    described = import_archive(env.make("lexv2-models"), env.put, _TEST_SET_CSV, spec)
    assert described["importStatus"] == "Completed", described.get("failureReasons")
    return {"testSetId": described["importedResourceId"]}


def _v1_version(env: Env, kind: str) -> dict[str, str]:
    v1 = env.make("lex-models")
    make, create = {"Bot": (_v1_bot, v1.create_bot_version), "Intent": (_v1_intent, v1.create_intent_version),
                    "SlotType": (_v1_slot_type, v1.create_slot_type_version)}[kind]
    name = make(env)
    return {"name": name, "version": create(name=name)["version"]}


# (service, operation) -> the input of a call that answers 204, its resources made first
SETUP: dict[tuple[str, str], Callable[[Env], dict[str, Any]]] = {
    ("lex-models", "DeleteBot"): lambda env: {"name": _v1_bot(env)},
    ("lex-models", "DeleteBotAlias"): _v1_alias,
    ("lex-models", "DeleteBotChannelAssociation"): _v1_channel,
    ("lex-models", "DeleteBotVersion"): lambda env: _v1_version(env, "Bot"),
    ("lex-models", "DeleteIntent"): lambda env: {"name": _v1_intent(env)},
    ("lex-models", "DeleteIntentVersion"): lambda env: _v1_version(env, "Intent"),
    ("lex-models", "DeleteSlotType"): lambda env: {"name": _v1_slot_type(env)},
    ("lex-models", "DeleteSlotTypeVersion"): lambda env: _v1_version(env, "SlotType"),
    ("lex-models", "TagResource"): lambda env: {"resourceArn": _v1_arn(_v1_bot(env)),
                                                "tags": [{"key": "team", "value": "bots"}]},
    ("lex-models", "UntagResource"): lambda env: {
        "resourceArn": _v1_arn(_v1_bot(env, tags=[{"key": "team", "value": "bots"}])), "tagKeys": ["team"]},
    ("lexv2-models", "DeleteIntent"): _v2_intent,
    ("lexv2-models", "DeleteResourcePolicy"): _v2_policy,
    ("lexv2-models", "DeleteResourcePolicyStatement"): _v2_policy_statement,
    ("lexv2-models", "DeleteSlot"): _v2_slot,
    ("lexv2-models", "DeleteSlotType"): _v2_slot_type,
    ("lexv2-models", "DeleteTestSet"): _v2_test_set,
}

# service -> a read answered 200 with a JSON body: the request sent after the 204 on the same connection
FOLLOW_UP: dict[str, tuple[str, dict[str, Any]]] = {
    "lex-models": ("GetBots", {}),
    "lexv2-models": ("ListBots", {}),
    "quicksight": ("ListThemes", {"AwsAccountId": ACCOUNT}),
}


def test_the_model_walk_finds_the_known_204_operations():
    assert ("lex-models", "TagResource") in NO_CONTENT and ("lexv2-models", "DeleteIntent") in NO_CONTENT
    assert ("quicksight", "DeleteAnalysis", "Status") in STATUS_CODE


def test_every_implemented_204_operation_has_a_setup():
    """A newly implemented 204 operation must join the wire tests, not slip past them."""
    assert sorted(SETUP) == sorted(IMPLEMENTED)
    assert {service for service, _ in IMPLEMENTED} <= set(FOLLOW_UP)


# -- the serializer, for every operation (implemented or not) ----------------------------------


def _sample(shape: Shape) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {}
    if kind == "list":
        return []
    if kind == "map":
        return {}
    if kind == "timestamp":
        return datetime(2026, 1, 2, tzinfo=UTC)
    if kind == "blob":
        return b"data"
    if kind == "boolean":
        return True
    if kind in ("integer", "long", "float", "double"):
        return 1
    return shape.enum[0] if shape.enum else "value"


def _full_output(service: str, operation: str, **override: Any) -> dict[str, Any]:
    """A value for every output member: body members a 204 must still drop."""
    shape = service_model(service).operation_model(operation).output_shape
    return {**({n: _sample(m) for n, m in shape.members.items()} if shape is not None else {}), **override}


def _content_headers(headers: dict[str, str]) -> list[str]:
    return [name for name in headers if name.lower() in _CONTENT_HEADERS]


@pytest.mark.parametrize("has", [(s, o) for s, o in NO_CONTENT], ids=_ids(NO_CONTENT))
def test_serializer_gives_a_204_operation_no_body(has):
    service, operation = has
    op = service_model(service).operation_model(operation)
    status, headers, body = serialize_response(service, op, _full_output(service, operation))
    assert (status, body, _content_headers(headers)) == (204, b"", [])


@pytest.mark.parametrize("key", STATUS_CODE, ids=[f"{s}.{o}" for s, o, _ in STATUS_CODE])
def test_serializer_drops_the_body_when_a_status_member_says_204(key):
    service, operation, member = key
    op = service_model(service).operation_model(operation)
    status, headers, body = serialize_response(service, op, _full_output(service, operation, **{member: 204}))
    assert (status, body, _content_headers(headers)) == (204, b"", [])
    status, headers, body = serialize_response(service, op, _full_output(service, operation, **{member: 200}))
    assert status == 200 and isinstance(json.loads(body), dict) and _content_headers(headers) == ["Content-Type"]


def test_which_statuses_carry_content():
    assert [s for s in (100, 101, 200, 201, 202, 204, 206, 304, 400, 404, 501) if not has_content(s)] == \
        [100, 101, 204, 304]


# -- a real server, one raw keep-alive connection ----------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("no-content") / "data", LOCALEXPORT_JOB_MODE="immediate").start()
    yield process
    process.stop()


def signed(endpoint: str, service: str, operation: str, params: dict[str, Any]) -> AWSPreparedRequest:
    """The request botocore would send, SigV4-signed so routing sees the signing service."""
    model = service_model(service)
    request_dict = create_serializer(model.protocol).serialize_to_request(params, model.operation_model(operation))
    prepare_request_dict(request_dict, endpoint_url=endpoint)
    request = create_request_object(request_dict)
    SigV4Auth(Credentials(ACCOUNT, "testing"), signing_name(model), REGION).add_auth(request)
    return request.prepare()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


_STATUS_LINE = re.compile(r"HTTP/1\.1 (\d{3})(?: .*)?")


class Connection:
    """HTTP/1.1 over one socket, framing responses as RFC 9112 6.3 says (and as Node and http.client do)."""

    def __init__(self, url: str):
        split = urlsplit(url)
        self.sock = socket.create_connection((split.hostname, split.port), timeout=10)
        self.pending = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, request: AWSPreparedRequest) -> None:
        split = urlsplit(request.url)
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        headers = {"Host": split.netloc, **{k: v.decode() if isinstance(v, bytes) else v
                                            for k, v in request.headers.items()}}
        if body and not any(k.lower() == "content-length" for k in headers):
            headers["Content-Length"] = str(len(body))
        target = split.path + (f"?{split.query}" if split.query else "")
        head = "\r\n".join([f"{request.method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())])
        self.sock.sendall(f"{head}\r\n\r\n".encode("latin-1") + body)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self.pending += chunk

    def read(self, method: str) -> RawResponse:
        while b"\r\n\r\n" not in self.pending:
            self._fill()
        head, self.pending = self.pending.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        match = _STATUS_LINE.fullmatch(status_line)
        assert match, f"expected an HTTP/1.1 status line, got {status_line!r}"  # Node: "Expected HTTP/"
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            assert name.lower() not in headers, f"header {name} sent twice"
            headers[name.lower()] = value.strip()
        status = int(match[1])
        if method == "HEAD" or status in (204, 304) or status < 200:
            return RawResponse(status, headers, b"")  # no body, whatever the headers claim
        assert "content-length" in headers, f"a {status} answer with no Content-Length: {headers}"
        length = int(headers["content-length"])
        while len(self.pending) < length:
            self._fill()
        body, self.pending = self.pending[:length], self.pending[length:]
        return RawResponse(status, headers, body)

    def stray(self, wait: float = 0.3) -> bytes:
        """Bytes the server sent past the responses read so far (waits ``wait`` seconds for more)."""
        self.sock.settimeout(wait)
        try:
            while chunk := self.sock.recv(65536):
                self.pending += chunk
        except TimeoutError:
            pass
        finally:
            self.sock.settimeout(10)
        return self.pending


def _server_env(server: ServerProcess) -> Env:
    return Env(lambda service: client(service, server.url, ACCOUNT, REGION), requests.put, RemoteControls(server.url))


@pytest.mark.parametrize("key", IMPLEMENTED, ids=_ids(IMPLEMENTED))
def test_a_204_leaves_the_keep_alive_connection_clean(server, key):
    service, operation = key
    params = SETUP[key](_server_env(server))
    connection = Connection(server.url)
    try:
        connection.send(signed(server.url, service, operation, params))
        answer = connection.read("DELETE")
        assert answer.status == 204, answer
        assert [h for h in answer.headers if h in _CONTENT_HEADERS] == [], answer.headers
        assert answer.headers.get("connection", "keep-alive").lower() != "close"
        assert answer.headers.get("x-amzn-requestid")
        assert connection.stray() == b"", "body bytes after a 204"

        follow_op, follow_params = FOLLOW_UP[service]
        connection.send(signed(server.url, service, follow_op, follow_params))
        after = connection.read("GET")
        assert after.status == 200, after
        assert after.headers["content-type"] == "application/json"
        assert isinstance(json.loads(after.body), dict)
        assert connection.stray() == b""
    finally:
        connection.close()


# -- boto3: a 204 still parses as success --------------------------------------------------------


def _call(sdk, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return getattr(sdk, xform_name(operation))(**params)


def _assert_no_content(response: dict[str, Any]) -> None:
    meta = response["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 204
    assert [h for h in meta["HTTPHeaders"] if h.lower() in _CONTENT_HEADERS] == [], meta["HTTPHeaders"]


@pytest.mark.parametrize("key", IMPLEMENTED, ids=_ids(IMPLEMENTED))
def test_boto3_parses_a_204_and_reuses_the_connection(server, key, monkeypatch):
    """Bytes sent after a 204 are, by timing, swallowed by http.client's read-ahead (only the headers show them),
    read as the next status line (the next call fails: no retries here), or seen waiting by urllib3, which then
    opens a new connection: all three are caught."""
    service, operation = key
    params = SETUP[key](_server_env(server))
    sdk = boto3.client(service, endpoint_url=server.url, region_name=REGION, aws_access_key_id=ACCOUNT,
                       aws_secret_access_key="testing",
                       config=Config(retries={"total_max_attempts": 1}, max_pool_connections=1))
    opened = []
    connect = urllib3.util.connection.create_connection
    monkeypatch.setattr(urllib3.util.connection, "create_connection",
                        lambda *args, **kwargs: opened.append(args[0]) or connect(*args, **kwargs))
    _assert_no_content(_call(sdk, operation, params))
    follow_op, follow_params = FOLLOW_UP[service]
    assert _call(sdk, follow_op, follow_params)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(opened) == 1, "the call after the 204 did not reuse its connection"


@pytest.mark.parametrize("key", IMPLEMENTED, ids=_ids(IMPLEMENTED))
def test_boto3_parses_a_204_in_process(make_client, wire, local, key):
    service, operation = key
    params = SETUP[key](Env(make_client, wire.http.put, local.controls))
    _assert_no_content(_call(make_client(service), operation, params))


@pytest.mark.parametrize("key", IMPLEMENTED, ids=_ids(IMPLEMENTED))
def test_boto3_parses_a_204_under_mock_export(key):
    service, operation = key
    with mock_export() as mock:
        def make(name: str):
            return boto3.client(name, region_name=REGION, aws_access_key_id=ACCOUNT, aws_secret_access_key="testing")

        params = SETUP[key](Env(make, requests.put, mock.controls))
        _assert_no_content(_call(make(service), operation, params))
