"""Lex V1 and V2 share one endpoint here (on AWS they have different hosts): every route the two
models both claim is answered by the right one, whether or not the client keeps the trailing slash
(the JavaScript SDK v3 drops it) — the colliding pairs are found by walking both models."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import urlsplit, urlunsplit

import pytest
from lexv2_helpers import bot_spec, export_and_download, import_archive, simple_bot
from test_lexv1 import make_bot

from localexport.aws.models import service_model

ACCOUNT, REGION = "123456789012", "us-east-1"


def _segments(uri: str) -> list[str]:
    return uri.split("?")[0].strip("/").split("/")


def colliding_routes() -> list[tuple[str, str, str]]:
    """(method, V2 operation, V1 operation) for every pair of routes a path without its trailing slash can match
    in both models."""
    ops = {name: [service_model(name).operation_model(o) for o in service_model(name).operation_names]
           for name in ("lexv2-models", "lex-models")}
    pairs = []
    for v2 in ops["lexv2-models"]:
        for v1 in ops["lex-models"]:
            a, b = _segments(v2.http["requestUri"]), _segments(v1.http["requestUri"])
            if v2.http["method"] == v1.http["method"] and len(a) == len(b) and all(
                    x == y or x.startswith("{") or y.startswith("{") for x, y in zip(a, b, strict=True)):
                pairs.append((v2.http["method"], v2.name, v1.name))
    return sorted(pairs)


def _drop_trailing_slash(request, **_) -> None:
    parts = urlsplit(request.url)
    if parts.path.endswith("/") and parts.path != "/":
        request.url = urlunsplit(parts._replace(path=parts.path.rstrip("/")))


V1_EXPORT = {"metadata": {"schemaVersion": "1.0", "importType": "LEX", "importFormat": "JSON"},
             "resource": {"name": "Colors", "version": "1", "enumerationValues": [{"value": "red"}],
                          "valueSelectionStrategy": "ORIGINAL_VALUE"}}


def _v1_payload() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("Colors_Export.json", json.dumps(V1_EXPORT))
    return out.getvalue()


@pytest.fixture
def world(make_client, wire):
    """A V2 bot and import, a V1 bot and import, in one account, reached by clients of both models."""
    v2, v1 = make_client("lexv2-models"), make_client("lex-models")
    bot = simple_bot(v2)
    _, data = export_and_download(v2, wire.get, {"botExportSpecification": {"botId": bot["botId"],
                                                                             "botVersion": "DRAFT"}})
    v2_import = import_archive(v2, wire.http.put, data, bot_spec("Copy"))["importId"]
    make_bot(v1)
    v1_import = v1.start_import(payload=_v1_payload(), resourceType="SLOT_TYPE",
                                mergeStrategy="OVERWRITE_LATEST")["importId"]
    return {"v2": v2, "v1": v1, "bot": bot, "v2_import": v2_import, "v1_import": v1_import}


V2_ARN = "arn:aws:lex:{region}:{account}:bot/{bot}"
V1_ARN = "arn:aws:lex:{region}:{account}:bot:PizzaBot"


def _call(world, service: str, operation: str) -> dict:
    """Each colliding operation, called so that only its own model would answer it this way."""
    arns = {"v2": V2_ARN.format(region=REGION, account=ACCOUNT, bot=world["bot"]["botId"]),
            "v1": V1_ARN.format(region=REGION, account=ACCOUNT)}
    v2, v1 = world["v2"], world["v1"]
    calls = {
        ("lexv2-models", "DeleteBot"): lambda: v2.delete_bot(botId=world["bot"]["botId"]),
        ("lexv2-models", "DescribeImport"): lambda: v2.describe_import(importId=world["v2_import"]),
        ("lexv2-models", "ListImports"): lambda: v2.list_imports(maxResults=5),
        ("lexv2-models", "ListTagsForResource"): lambda: v2.list_tags_for_resource(resourceARN=arns["v2"]),
        ("lexv2-models", "TagResource"): lambda: v2.tag_resource(resourceARN=arns["v2"], tags={"k": "v2"}),
        ("lexv2-models", "UntagResource"): lambda: v2.untag_resource(resourceARN=arns["v2"], tagKeys=["k"]),
        ("lex-models", "DeleteBot"): lambda: v1.delete_bot(name="PizzaBot"),
        ("lex-models", "GetImport"): lambda: v1.get_import(importId=world["v1_import"]),
        ("lex-models", "StartImport"): lambda: v1.start_import(payload=_v1_payload(), resourceType="SLOT_TYPE",
                                                               mergeStrategy="OVERWRITE_LATEST"),
        ("lex-models", "ListTagsForResource"): lambda: v1.list_tags_for_resource(resourceArn=arns["v1"]),
        ("lex-models", "TagResource"): lambda: v1.tag_resource(resourceArn=arns["v1"],
                                                               tags=[{"key": "k", "value": "v1"}]),
        ("lex-models", "UntagResource"): lambda: v1.untag_resource(resourceArn=arns["v1"], tagKeys=["k"]),
    }
    return calls[(service, operation)]()


def _answered_by(world, service: str, operation: str, answer: dict) -> bool:
    """Whether the answer is the one ``service`` gives (each check fails for the other model's answer)."""
    v2, v1 = world["v2"], world["v1"]
    checks = {
        ("lexv2-models", "DeleteBot"): lambda: answer["botStatus"] == "Deleting",
        ("lexv2-models", "DescribeImport"): lambda: answer["importStatus"] == "Completed",
        ("lexv2-models", "ListImports"): lambda: "importSummaries" in answer,
        ("lexv2-models", "ListTagsForResource"): lambda: isinstance(answer["tags"], dict),
        ("lexv2-models", "TagResource"): lambda: v2.list_tags_for_resource(
            resourceARN=V2_ARN.format(region=REGION, account=ACCOUNT, bot=world["bot"]["botId"]))["tags"] == {
            "k": "v2"},
        ("lexv2-models", "UntagResource"): lambda: v2.list_tags_for_resource(
            resourceARN=V2_ARN.format(region=REGION, account=ACCOUNT, bot=world["bot"]["botId"]))["tags"] == {},
        ("lex-models", "DeleteBot"): lambda: v1.get_bots()["bots"] == [],
        ("lex-models", "GetImport"): lambda: answer["importStatus"] == "COMPLETE",
        ("lex-models", "StartImport"): lambda: answer["importStatus"] == "IN_PROGRESS",
        ("lex-models", "ListTagsForResource"): lambda: isinstance(answer["tags"], list),
        ("lex-models", "TagResource"): lambda: v1.list_tags_for_resource(
            resourceArn=V1_ARN.format(region=REGION, account=ACCOUNT))["tags"] == [{"key": "k", "value": "v1"}],
        ("lex-models", "UntagResource"): lambda: v1.list_tags_for_resource(
            resourceArn=V1_ARN.format(region=REGION, account=ACCOUNT))["tags"] == [],
    }
    return checks[(service, operation)]()


def test_the_walk_finds_the_known_collisions():
    found = colliding_routes()
    assert ("DELETE", "DeleteBot", "DeleteBot") in found and ("GET", "DescribeImport", "GetImport") in found
    assert len(found) >= 6


@pytest.mark.parametrize("slash", ["kept", "dropped"])
@pytest.mark.parametrize("method, v2_operation, v1_operation", colliding_routes())
def test_colliding_routes_reach_their_own_model(world, method, v2_operation, v1_operation, slash):
    if slash == "dropped":
        for client in (world["v2"], world["v1"]):
            client.meta.events.register_first("before-sign.*.*", _drop_trailing_slash)
    for service, operation in (("lex-models", v1_operation), ("lexv2-models", v2_operation)):
        if (service, operation) == ("lex-models", "UntagResource"):
            _call(world, service, "TagResource")
        if (service, operation) == ("lexv2-models", "UntagResource"):
            _call(world, service, "TagResource")
        answer = _call(world, service, operation)
        assert _answered_by(world, service, operation, answer), (service, operation, answer)


def test_an_id_nobody_holds_goes_to_the_model_the_path_looks_like(make_client):
    """With no trailing slash, no API named in the user agent and no store holding the id, the request is the
    one whose template has no slash (V1's), and gets that model's answer, a complaint about the id included."""
    v2, v1 = make_client("lexv2-models"), make_client("lex-models")
    v2.meta.events.register_first("before-sign.*.*", _drop_trailing_slash)
    for call, params, code in [
        (v1.get_import, {"importId": "ABCDE12345"}, "NotFoundException"),
        (v1.delete_bot, {"name": "NoSuchBot"}, "NotFoundException"),
        (v2.delete_bot, {"botId": "ABCDE12345"}, "BadRequestException"),  # V1's: digits are no V1 bot name
    ]:
        with pytest.raises(v2.exceptions.ClientError) as err:
            call(**params)
        assert err.value.response["Error"]["Code"] == code, (call, params)


def test_the_sdk_naming_its_api_decides(wire):
    """The user agent of the JS SDK v3 (``api/lex-models-v2#3.x``) settles what a path cannot."""
    headers = {"authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/{REGION}/lex/aws4_request, "
                                "SignedHeaders=host, Signature=x",
               "x-amz-user-agent": "aws-sdk-js/3.1048.0 ua/2.1 api/lex-models-v2#3.1048.0"}
    response = wire.http.request("DELETE", "/bots/NoSuchBotX", headers=headers)
    assert response.headers["x-amzn-ErrorType"] == "PreconditionFailedException"  # V2's, though a V1 name fits
    response = wire.http.request("DELETE", "/bots/NoSuchBot", headers=headers)
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"  # no V2 bot id: V2 says so
    headers["x-amz-user-agent"] = "aws-sdk-js/3.1019.0 ua/2.1 api/lex-model-building-service#3.1019.0"
    response = wire.http.request("DELETE", "/bots/NoSuchBotX", headers=headers)
    assert response.headers["x-amzn-ErrorType"] == "NotFoundException"
    # (routes are cached by what they read of a request, the user agents included, up to a size)
    for agent in ("aws-sdk-js/3.1048.0 ua/2.1 api/lex-models-v2#3.1048.0",
                  "aws-sdk-js/3.1048.0 ua/2.1 " + "md/x " * 500 + "api/lex-models-v2#3.1048.0"):
        headers["x-amz-user-agent"] = agent
        response = wire.http.request("DELETE", "/bots/NoSuchBotX", headers=headers)
        assert response.headers["x-amzn-ErrorType"] == "PreconditionFailedException"


def test_a_call_never_reaches_the_other_model_for_its_ids(make_client, wire):
    """A V2 client naming what only V1 holds (a bot name, an import id) gets V2's answer and changes nothing
    in V1, and the other way round: the trailing slash boto3 keeps, the user agent the JS SDK sends."""
    v2, v1 = make_client("lexv2-models"), make_client("lex-models")
    v1.put_bot(name="PizzaOrder", locale="en-US", childDirected=False)  # 10 letters: a V2 bot id's shape too
    v1_import = v1.start_import(payload=_v1_payload(), resourceType="SLOT_TYPE",
                                mergeStrategy="OVERWRITE_LATEST")["importId"]
    for call, params, code in [
        (v2.delete_bot, {"botId": "PizzaOrder"}, "PreconditionFailedException"),
        (v2.describe_import, {"importId": v1_import}, "ValidationException"),  # a uuid: no V2 import id
    ]:
        with pytest.raises(v2.exceptions.ClientError) as err:
            call(**params)
        assert err.value.response["Error"]["Code"] == code, params
    assert [b["name"] for b in v1.get_bots()["bots"]] == ["PizzaOrder"]
    with pytest.raises(v1.exceptions.ClientError) as err:  # V1's DeleteBot naming a V2 bot of no V1 name shape
        v1.delete_bot(name="AB12CD34EF")
    assert err.value.response["Error"]["Code"] == "BadRequestException"  # V1's validation, not a V2 deletion
    headers = {"authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/{REGION}/lex/aws4_request, "
                                "SignedHeaders=host, Signature=x",
               "x-amz-user-agent": "aws-sdk-js/3.1048.0 ua/2.1 api/lex-models-v2#3.1048.0"}
    response = wire.http.request("DELETE", "/bots/PizzaOrder", headers=headers)  # the JS SDK: no slash
    assert response.headers["x-amzn-ErrorType"] == "PreconditionFailedException"
    assert [b["name"] for b in v1.get_bots()["bots"]] == ["PizzaOrder"]


def test_paths_and_methods_no_template_has_leave_the_candidate_cache_as_it_was(wire):
    """Whatever first segments and methods clients send, the candidates are cached per first segment a template
    starts with (the answer is the same for every other one)."""
    from localexport.aws import routing

    headers = {"authorization": f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/{REGION}/lex/aws4_request, "
                                "SignedHeaders=host, Signature=x"}
    assert wire.http.request("GET", "/zz-first/a", headers=headers).status_code == 404
    before = routing._candidates_of_length.cache_info().currsize
    for i in range(50):
        response = wire.http.request("GET", f"/zz{i}/a", headers=headers)
        assert response.status_code == 404 and response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert wire.http.request(f"BREW{i}", "/bots/", headers=headers).status_code == 404
    assert routing._candidates_of_length.cache_info().currsize == before
