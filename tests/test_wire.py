"""The wire layer through boto3 and raw HTTP: validation, errors, routing, identity."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lexv2_helpers import ROLE, simple_bot

AUTH = ("AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/lex/aws4_request, "
        "SignedHeaders=host, Signature=0")


def _loose_client():
    import boto3

    return boto3.client("lexv2-models", endpoint_url="http://localexport", region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(parameter_validation=False))


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


GOOD_BOT = {"botName": "Good", "roleArn": ROLE, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300}

BAD_INPUTS = [
    ("create_bot", {**GOOD_BOT, "botName": "bad name!"},
     ("1 validation error detected: Value 'bad name!' at 'botName' failed to satisfy constraint: "
     "Member must satisfy regular expression pattern: ^([0-9a-zA-Z][_-]?){1,100}$")),
    ("create_bot", {**GOOD_BOT, "idleSessionTTLInSeconds": 30},
     ("1 validation error detected: Value '30' at 'idleSessionTTLInSeconds' failed to satisfy constraint: "
     "Member must have value greater than or equal to 60")),
    ("create_bot", {**GOOD_BOT, "roleArn": "arn:nope"},
     ("2 validation errors detected: Value 'arn:nope' at 'roleArn' failed to satisfy constraint: "
     "Member must have length greater than or equal to 32; Value 'arn:nope' at 'roleArn' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: ^arn:aws:iam::[0-9]{12}:role/.*$")),
    ("create_bot", {k: v for k, v in GOOD_BOT.items() if k != "dataPrivacy"},
     "1 validation error detected: Value null at 'dataPrivacy' failed to satisfy constraint: Member must not be null"),
    ("create_bot", {**GOOD_BOT, "dataPrivacy": {}},
     ("1 validation error detected: Value null at 'dataPrivacy.childDirected' failed to satisfy constraint: "
     "Member must not be null")),
    ("create_bot", {**GOOD_BOT, "botType": "Robot"},
     ("1 validation error detected: Value 'Robot' at 'botType' failed to satisfy constraint: "
     "Member must satisfy enum value set: [Bot, BotNetwork]")),
    ("describe_bot", {"botId": "short"},
     ("1 validation error detected: Value 'short' at 'botId' failed to satisfy constraint: "
     "Member must have length greater than or equal to 10")),
    ("list_bots", {"maxResults": 0},
     ("1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
     "Member must have value greater than or equal to 1")),
    ("create_export", {"resourceSpecification": {"botExportSpecification": {"botId": "ABCDEFGHIJ", "botVersion": "v1"}},
                       "fileFormat": "Zip", "filePassword": ""},
     ("3 validation errors detected: Value 'v1' at 'resourceSpecification.botExportSpecification.botVersion' failed "
     "to satisfy constraint: Member must satisfy regular expression pattern: ^(DRAFT|[0-9]+)$; Value 'Zip' at "
     "'fileFormat' failed to satisfy constraint: Member must satisfy enum value set: [LexJson, TSV, CSV]; "
     "Value '***' at 'filePassword' failed to satisfy constraint: Member must have length greater than or equal to 1")),
    ("list_exports", {"filters": [{"name": "Nope", "values": ["Bot"], "operator": "EQ"}]},
     ("1 validation error detected: Value 'Nope' at 'filters.1.member.name' failed to satisfy constraint: "
     "Member must satisfy enum value set: [ExportResourceType]")),
    ("list_bots", {"nextToken": "not-a-token"}, "The nextToken is not valid."),
]


@pytest.mark.parametrize("operation,params,message", BAD_INPUTS, ids=[f"{o}-{i}" for i, (o, _, _) in enumerate(BAD_INPUTS)])
def test_bad_input_gets_validation_exception_and_changes_nothing(wire, lex, operation, params, message):
    loose = wire.attach(_loose_client())
    simple_bot(lex, "Existing", build=False)
    before = lex.list_bots()["botSummaries"]
    code, status, text = error_of(getattr(loose, operation), **params)
    assert (code, status, text) == ("ValidationException", 400, message)
    assert lex.list_bots()["botSummaries"] == before
    assert lex.list_exports()["exportSummaries"] == []


def test_resource_errors(lex):
    built = simple_bot(lex)
    where = built["where"]
    assert error_of(lex.describe_bot, botId="NOSUCHBOT1")[:2] == ("ResourceNotFoundException", 404)
    assert error_of(lex.create_bot, **{**GOOD_BOT, "botName": "PizzaBot"})[:2] == ("ConflictException", 409)
    assert error_of(lex.create_intent, **where, intentName="OrderPizza")[:2] == ("ConflictException", 409)
    assert error_of(lex.create_intent, **{**where, "localeId": "fr_FR"}, intentName="X")[:2] == (
        "PreconditionFailedException", 412)
    assert error_of(lex.create_bot_locale, **{**where, "localeId": "xx_XX"}, nluIntentConfidenceThreshold=0.4)[:2] == (
        "ValidationException", 400)
    assert error_of(lex.delete_slot_type, **where, slotTypeId=built["slotTypeId"])[:2] == (
        "PreconditionFailedException", 412)
    assert error_of(lex.describe_bot_version, botId=built["botId"], botVersion="3")[:2] == (
        "ResourceNotFoundException", 404)
    lex.create_intent(**where, intentName="Unbuilt")  # unbuilt changes: versioning needs a build
    assert lex.describe_bot_locale(**where)["botLocaleStatus"] == "NotBuilt"
    assert error_of(lex.create_bot_version, botId=built["botId"],
                    botVersionLocaleSpecification={"en_US": {"sourceBotVersion": "DRAFT"}})[:2] == (
        "ValidationException", 400)


def test_listing_paging_sorting_and_filters(lex):
    for name in ("Charlie", "alpha", "Bravo"):
        simple_bot(lex, name, build=False)
    names = [b["botName"] for b in lex.list_bots()["botSummaries"]]
    assert names == ["alpha", "Bravo", "Charlie"]
    desc = lex.list_bots(sortBy={"attribute": "BotName", "order": "Descending"}, maxResults=2)
    assert [b["botName"] for b in desc["botSummaries"]] == ["Charlie", "Bravo"]
    rest = lex.list_bots(sortBy={"attribute": "BotName", "order": "Descending"}, maxResults=2,
                         nextToken=desc["nextToken"])
    assert [b["botName"] for b in rest["botSummaries"]] == ["alpha"] and "nextToken" not in rest
    found = lex.list_bots(filters=[{"name": "BotName", "values": ["rav"], "operator": "CO"}])
    assert [b["botName"] for b in found["botSummaries"]] == ["Bravo"]
    assert error_of(lex.list_bots, sortBy={"attribute": "BotName", "order": "Ascending"},
                    nextToken=desc["nextToken"])[0] == "ValidationException"


def test_statuses_move_in_realistic_mode(lex, local):
    local.controls.set_timing("realistic", 1.5)
    bot = lex.create_bot(**GOOD_BOT)
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Creating"
    lex.get_waiter("bot_available").wait(botId=bot["botId"], WaiterConfig={"Delay": 0.1, "MaxAttempts": 30})
    assert lex.describe_bot(botId=bot["botId"])["botStatus"] == "Available"


def test_accounts_and_regions_are_isolated(make_client, lex):
    bot_id = simple_bot(lex)["botId"]
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    for other in (make_client(account="210987654321"), make_client(region="eu-west-1")):
        assert other.list_bots()["botSummaries"] == []
        assert other.list_exports()["exportSummaries"] == []
        assert error_of(other.describe_bot, botId=bot_id)[0] == "ResourceNotFoundException"
        assert error_of(other.describe_export, exportId=export_id)[0] == "ResourceNotFoundException"
        other.create_bot(**{**GOOD_BOT, "botName": "PizzaBot"})  # the same name is free there
    assert len(lex.list_bots()["botSummaries"]) == 1
    # a non-numeric access key is the default account
    assert len(make_client(account="").list_bots()["botSummaries"]) == 1


def raw(wire, method, path, body=b"", headers=None):
    return wire.http.request(method, path, content=body, headers={"Authorization": AUTH, **(headers or {})})


def test_malformed_requests_never_get_a_500(wire, lex):
    cases = [
        ("PUT", "/bots/", b"{not json", 400, "SerializationException"),
        ("PUT", "/bots/", b"[1, 2]", 400, "SerializationException"),
        ("PUT", "/bots/", json.dumps({**GOOD_BOT, "idleSessionTTLInSeconds": "300"}).encode(), 400,
         "SerializationException"),
        ("PUT", "/bots/", json.dumps({**GOOD_BOT, "dataPrivacy": [1]}).encode(), 400, "SerializationException"),
        ("PUT", "/bots/", b"", 400, "ValidationException"),
        ("GET", "/no/such/route", b"", 404, "UnknownOperationException"),
        ("POST", "/bots/", b"\xff\xfe", 400, "SerializationException"),
        ("PUT", "/bots/", b"{" + b" " * (51 * 1024 * 1024) + b"}", 413, "RequestEntityTooLargeException"),
    ]
    for method, path, body, status, error in cases:
        response = raw(wire, method, path, body)
        assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (status, error), (method, path, body[:40])
        assert "message" in response.json()
    assert lex.list_bots()["botSummaries"] == []


def test_lex_v1_and_v2_share_routes_and_are_told_apart(wire, make_client):
    v1 = make_client("lex-models")
    v2 = make_client("lexv2-models")
    code, status, message = error_of(v1.start_import, payload=b"PK", resourceType="BOT", mergeStrategy="OVERWRITE_LATEST")
    assert (code, status) == ("BadRequestException", 400) and "payload" in message  # V1's StartImport
    assert v2.list_imports()["importSummaries"] == []  # the same route, answered by Lex V2
    code, status, _ = error_of(v2.list_tags_for_resource,
                               resourceARN="arn:aws:lex:us-east-1:123456789012:bot/ABCDEFGHIJ")
    assert (code, status) == ("ResourceNotFoundException", 404)  # an error only Lex V2 has
    code, _, _ = error_of(v1.list_tags_for_resource, resourceArn="arn:aws:lex:us-east-1:123456789012:bot:Pizza")
    assert code == "NotFoundException"  # an error only Lex V1 has
    assert v1.get_bots()["bots"] == [] and v2.list_bots()["botSummaries"] == []
    # routes equal up to a trailing slash: V2 templates end with one, V1 templates do not
    assert error_of(v1.delete_bot, name="Pizza")[0] == "NotFoundException"
    assert error_of(v2.delete_bot, botId="ABCDEFGHIJ")[0] == "PreconditionFailedException"  # V2 declares no NotFound here


def test_other_services_are_routed_and_name_missing_operations(make_client):
    cases = [
        (make_client("personalize").describe_algorithm, {"algorithmArn": "arn:aws:personalize:::algorithm/aws-sims"},
         "DescribeAlgorithm of personalize"),
        (make_client("quicksight").list_topics, {"AwsAccountId": "123456789012"}, "ListTopics of quicksight"),
    ]
    for call, params, expected in cases:
        _, status, message = error_of(call, **params)
        assert status == 501 and expected in message


def test_health(wire):
    response = wire.http.get("/_localexport/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_bot_versions_quota_and_numbering(lex):
    built = simple_bot(lex)
    spec = {"en_US": {"sourceBotVersion": "DRAFT"}}
    for _ in range(100):
        lex.create_bot_version(botId=built["botId"], botVersionLocaleSpecification=spec)
    assert error_of(lex.create_bot_version, botId=built["botId"], botVersionLocaleSpecification=spec)[:2] == (
        "ServiceQuotaExceededException", 402)
    lex.delete_bot_version(botId=built["botId"], botVersion="100")
    # numbers are never reused after a delete
    assert lex.create_bot_version(botId=built["botId"], botVersionLocaleSpecification=spec)["botVersion"] == "101"


def test_delete_export_reports_deleting_in_realistic_mode(lex, local):
    bot_id = simple_bot(lex)["botId"]
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    local.controls.set_timing("realistic", 1.5)
    assert lex.delete_export(exportId=export_id)["exportStatus"] == "Deleting"
    assert lex.describe_export(exportId=export_id)["exportStatus"] == "Deleting"
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            lex.describe_export(exportId=export_id)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        time.sleep(0.05)
    else:
        raise AssertionError("export never went away")
