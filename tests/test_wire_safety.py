"""What no client can make the wire do: echo megabytes back, recurse out of stack, or answer a bare 500
(long values, deep nesting, junk bodies, a full disk)."""

from __future__ import annotations

import errno
import json
import os
import random
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lexv2_helpers import ROLE

from localexport.aws.errors import MAX_ECHO, MAX_MESSAGE
from localexport.aws.models import service_model
from localexport.aws.validation import MAX_DEPTH, SerializationError, validate

GOOD_BOT = {"botName": "Good", "roleArn": ROLE, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300}


def loose(wire, service: str):
    """A boto3 client that sends what it is given (no client-side validation) and never retries."""
    client = boto3.client(service, endpoint_url="http://localexport", region_name="us-east-1",
                          aws_access_key_id="123456789012", aws_secret_access_key="testing",
                          config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    return wire.attach(client)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def auth(signer: str) -> dict[str, str]:
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/{signer}/aws4_request, "
                             "SignedHeaders=host, Signature=0"}


# --- 1. bounded echoes -------------------------------------------------------------------------------------

def test_a_long_value_is_cut_in_its_validation_message(wire):
    lex = loose(wire, "lexv2-models")
    code, status, message = error_of(lex.create_bot, **GOOD_BOT, description="x" * (4 * 1024 * 1024))
    assert (code, status) == ("ValidationException", 400)
    assert message == ("1 validation error detected: Value '" + "x" * MAX_ECHO + "...' at 'description' failed to "
                       "satisfy constraint: Member must have length less than or equal to 2000")


def test_a_short_value_is_still_echoed_whole(wire):
    lex = loose(wire, "lexv2-models")
    _, _, message = error_of(lex.create_bot, **{**GOOD_BOT, "botName": "y" * 150})
    assert f"Value '{'y' * 150}' at 'botName' failed to satisfy constraint: Member must have length" in message


def test_many_failures_make_one_bounded_message_that_counts_them_all(wire):
    lex = loose(wire, "lexv2-models")
    code, _, message = error_of(lex.create_resource_policy_statement,
                                resourceArn="arn:aws:lex:us-east-1:123456789012:bot/ABCDEFGHIJ", statementId="s1",
                                effect="Allow", principal=[{"service": "lexv2.amazonaws.com"}],
                                action=["x"] * 20_000)
    assert code == "ValidationException"
    assert message.startswith("40000 validation errors detected: Value 'x' at 'action.1.member' failed")
    assert len(message) <= MAX_MESSAGE + 3


def test_a_long_map_key_is_cut_in_paths(wire):
    lex = loose(wire, "lexv2-models")
    _, _, message = error_of(lex.create_bot, **GOOD_BOT, botTags={"k" * 100_000: "v" * 300})
    assert len(message) < 5 * MAX_ECHO


def test_unknown_routes_and_unconvertible_parameters_echo_little(wire):
    response = wire.http.get("/no/such/" + "a" * 60_000, headers=auth("lex"))  # about what a client sends at most
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (404, "UnknownOperationException")
    assert len(response.content) < 2 * MAX_ECHO
    response = wire.http.get("/accounts/123456789012/data-sets", params={"max-results": "9x" * 30_000},
                             headers=auth("quicksight"))
    assert response.status_code == 400 and len(response.content) < 2 * MAX_ECHO


def test_every_error_message_is_capped(wire, local, monkeypatch):
    def chatty(ctx, params):
        from localexport.aws.errors import AWSError
        raise AWSError("ConflictException", "taken: " + params["botName"] * 100_000)

    monkeypatch.setitem(local.handlers, ("lexv2-models", "CreateBot"), chatty)
    _, status, message = error_of(loose(wire, "lexv2-models").create_bot, **GOOD_BOT)
    assert status == 409 and len(message) <= MAX_MESSAGE + 3


# --- 2. nesting and junk ---------------------------------------------------------------------------------

def test_deeply_nested_bodies_get_a_serialization_exception_fast(wire):
    targets = [("PUT", "/bots/", auth("lex"), None),
               ("POST", "/", {**auth("personalize"), "X-Amz-Target": "AmazonPersonalize.CreateDatasetGroup",
                              "Content-Type": "application/x-amz-json-1.1"}, "json")]
    for nested in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                   b'{"botName": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"[" * (40 * 1024 * 1024)):
        for method, path, headers, protocol in targets:
            started = time.monotonic()
            response = wire.http.request(method, path, content=nested, headers=headers)
            assert time.monotonic() - started < 5
            assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (400, "SerializationException")
            if protocol == "json":
                assert response.json()["__type"] == "SerializationException"


def test_nesting_within_the_limit_still_parses(wire):
    body = json.dumps({**GOOD_BOT, "description": "[" * 5000, "unknown": json.loads("[" * 90 + "]" * 90)})
    response = wire.http.request("PUT", "/bots/", content=body.encode(), headers=auth("lex"))
    assert response.status_code == 400 and "description" in response.json()["message"]  # validated, not refused


def test_the_validator_stops_at_the_depth_limit_on_recursive_shapes():
    node_shape = service_model("quicksight").shape_for("HierarchyFilterNode")  # its Children are HierarchyFilterNodes
    node: dict = {"ParentValue": "x"}
    for _ in range(5000):  # as a service might hand it over from an archive's JSON
        node = {"Children": [node]}
    with pytest.raises(SerializationError, match=f"deeper than {MAX_DEPTH} levels"):
        validate(node_shape, node, "", [])
    node = {"ParentValue": "x"}
    for _ in range(MAX_DEPTH // 2 - 1):  # a node and its list per level
        node = {"Children": [node]}
    assert validate(node_shape, node, "", []) == node


JUNK = [
    b'{"botName": 1e400}', b'{"idleSessionTTLInSeconds": 1e400}', b'{"idleSessionTTLInSeconds": -1e400}',
    b'{"botName": NaN}', b'{"idleSessionTTLInSeconds": Infinity}', b"[-Infinity]", b'{"a": NaN}',
    b'{"idleSessionTTLInSeconds": ' + b"9" * 30 + b"}", b'{"idleSessionTTLInSeconds": ' + b"9" * 5000 + b"}",
    b"\xff\xfe{\"a\":1}", b'{"botName": "\xff\xfe"}', b'{"botName": "\xed\xa0\x80"}',
    b'{"botName": "\\ud800", "roleArn": 1}', b'{"description": "\\udfff"}',
    b'{"botName": "a", "botName": 5}', b'{"dataPrivacy": {"childDirected": false}, "dataPrivacy": 3}',
    b'{"botName": "' + b"\\" * 10_001 + b'"}', b'"\\"' * 10_000, b"{" * 50 + b"}" * 49, b"\x00" * 100,
    "{\"a\": 1}".encode("utf-16"), b"[" * 100_000, b'{"botName": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"name": {"a": ' * 2000 + b"}" * 2000,
]


def _fuzz_bodies():
    rng = random.Random(20260101)
    yield from JUNK
    for _ in range(40):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    for _ in range(40):  # JSON-ish: brackets, quotes, escapes, numbers
        yield "".join(rng.choice(['{', '}', '[', ']', '"', '\\', ':', ',', '1e999', 'NaN', '-', 'null', 'é', '\\u'])
                      for _ in range(rng.randrange(1, 80))).encode()


@pytest.mark.parametrize("service,method,path,extra", [
    ("lexv2-models", "PUT", "/bots/", {}),
    ("lex-models", "PUT", "/bots/Pizza/versions/$LATEST", {}),
    ("personalize", "POST", "/", {"X-Amz-Target": "AmazonPersonalize.CreateDatasetGroup",
                                  "Content-Type": "application/x-amz-json-1.1"}),
    ("personalize-events", "POST", "/events", {}),
    ("quicksight", "POST", "/accounts/123456789012/data-sources", {}),
])
def test_no_body_a_client_can_send_gets_a_500(wire, service, method, path, extra):
    signer = {"lexv2-models": "lex", "lex-models": "lex", "personalize-events": "personalize"}.get(service, service)
    for body in _fuzz_bodies():
        response = wire.http.request(method, path, content=body, headers={**auth(signer), **extra})
        assert response.status_code < 500, (body[:60], response.text[:300])
        if response.status_code >= 400:
            assert response.headers.get("x-amzn-ErrorType"), body[:60]
            document = response.json()
            assert "message" in document or "Message" in document
            if service == "personalize":
                assert document["__type"] == response.headers["x-amzn-ErrorType"]


def test_numbers_out_of_range_are_refused_not_stored(wire):
    lex = loose(wire, "lexv2-models")
    code, status, _ = error_of(lex.create_bot, **{**GOOD_BOT, "idleSessionTTLInSeconds": 2**40})
    assert (code, status) == ("SerializationException", 400)
    response = wire.http.get("/bots/ABCDEFGHIJ/botversions/", headers=auth("lex"))  # sanity: routes still fine
    assert response.status_code < 500


# --- 3. a full disk --------------------------------------------------------------------------------------

FULL_DISK = [
    ("lexv2-models", "CreateBot", "InternalServerException", lambda c: c.create_bot(**GOOD_BOT)),
    ("lex-models", "GetBots", "InternalFailureException", lambda c: c.get_bots()),
    ("personalize", "CreateDatasetGroup", "InternalFailure", lambda c: c.create_dataset_group(name="g")),
    ("quicksight", "ListDataSets", "InternalFailureException", lambda c: c.list_data_sets(AwsAccountId="123456789012")),
]


@pytest.mark.parametrize("service,op,code,call", FULL_DISK, ids=[f[0] for f in FULL_DISK])
@pytest.mark.parametrize("number", [errno.ENOSPC, errno.EROFS, errno.EDQUOT])
def test_a_write_failure_answers_the_services_internal_error_naming_the_cause(wire, local, monkeypatch, service, op,
                                                                              code, call, number):
    def full(ctx, params):
        raise OSError(number, os.strerror(number), "/data/localexport.db-journal")

    monkeypatch.setitem(local.handlers, (service, op), full)
    client = loose(wire, service)
    with pytest.raises(ClientError) as err:
        call(client)
    response = err.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"] == f"The server could not write its data dir: {os.strerror(number)}"


def test_a_wrapped_write_failure_is_named_and_other_faults_stay_generic(wire, local, monkeypatch):
    def wrapped(ctx, params):
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as error:
            raise RuntimeError("database write failed") from error

    monkeypatch.setitem(local.handlers, ("lexv2-models", "CreateBot"), wrapped)
    code, status, message = error_of(loose(wire, "lexv2-models").create_bot, **GOOD_BOT)
    assert (code, status, message) == ("InternalServerException", 500,
                                       "The server could not write its data dir: No space left on device")

    monkeypatch.setitem(local.handlers, ("lexv2-models", "CreateBot"), lambda ctx, params: 1 / 0)
    code, status, message = error_of(loose(wire, "lexv2-models").create_bot, **GOOD_BOT)
    assert (code, status, message) == ("InternalServerException", 500, "Internal server error.")
