"""Lex V1 through boto3: bot aliases and channel associations, resources in use by aliases, GetExport
answering at once when the export is small, and the V1 -> V2 migration."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from test_lexv1 import PROMPT, make_bot

ACCOUNT, REGION = "123456789012", "us-east-1"
V2_ROLE = f"arn:aws:iam::{ACCOUNT}:role/LexV2Bot"


@pytest.fixture
def v1(make_client):
    return make_client("lex-models")


def error_of(call, **params) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as err:
        call(**params)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response


LOGS = {"iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/logs", "logSettings": [
    {"logType": "TEXT", "destination": "CLOUDWATCH_LOGS", "resourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:lex"}]}


def test_alias_checksums_and_versions(v1):
    make_bot(v1)
    created = v1.put_bot_alias(name="prod", botName="PizzaBot", botVersion="1", description="production",
                               conversationLogs=LOGS, tags=[{"key": "env", "value": "prod"}])
    assert created["checksum"] and created["tags"] == [{"key": "env", "value": "prod"}]
    assert created["conversationLogs"]["logSettings"][0]["resourcePrefix"] == "aws/lex/PizzaBot/prod/1/"
    cases = [
        ({"name": "prod", "botName": "PizzaBot", "botVersion": "1"}, "PreconditionFailedException", 412),
        ({"name": "prod", "botName": "PizzaBot", "botVersion": "1", "checksum": "stale"},
         "PreconditionFailedException", 412),
        ({"name": "qa", "botName": "PizzaBot", "botVersion": "1", "checksum": "x"}, "BadRequestException", 400),
        ({"name": "qa", "botName": "PizzaBot", "botVersion": "7"}, "BadRequestException", 400),
        ({"name": "qa", "botName": "NoSuchBot", "botVersion": "1"}, "BadRequestException", 400),
        ({"name": "prod", "botName": "PizzaBot", "botVersion": "1", "checksum": created["checksum"],
          "tags": [{"key": "a", "value": "b"}]}, "BadRequestException", 400),
        ({"name": "qa1", "botName": "PizzaBot", "botVersion": "1"}, "BadRequestException", 400),  # the name pattern
    ]
    for params, code, status in cases:
        assert error_of(v1.put_bot_alias, **params)[:2] == (code, status), params
    assert v1.get_bot_alias(name="prod", botName="PizzaBot")["checksum"] == created["checksum"]  # unchanged
    latest = v1.put_bot_alias(name="prod", botName="PizzaBot", botVersion="$LATEST", checksum=created["checksum"])
    assert latest["checksum"] != created["checksum"] and latest["createdDate"] == created["createdDate"]
    assert "description" not in latest  # Put replaces the alias
    assert error_of(v1.get_bot_alias, name="nope", botName="PizzaBot")[:2] == ("NotFoundException", 404)
    tags = v1.list_tags_for_resource(resourceArn=f"arn:aws:lex:{REGION}:{ACCOUNT}:bot:PizzaBot:prod")["tags"]
    assert tags == [{"key": "env", "value": "prod"}]


def test_get_bot_by_alias_and_listing(v1):
    make_bot(v1)
    for name in ("beta", "prod", "qa"):
        v1.put_bot_alias(name=name, botName="PizzaBot", botVersion="1")
    assert v1.get_bot(name="PizzaBot", versionOrAlias="prod")["version"] == "1"
    names = [a["name"] for a in v1.get_bot_aliases(botName="PizzaBot")["BotAliases"]]
    assert names == ["beta", "prod", "qa"]
    assert [a["name"] for a in v1.get_bot_aliases(botName="PizzaBot", nameContains="e")["BotAliases"]] == [
        "beta"]
    pages = list(v1.get_paginator("get_bot_aliases").paginate(botName="PizzaBot", PaginationConfig={"PageSize": 2}))
    assert [a["name"] for p in pages for a in p["BotAliases"]] == names and len(pages) == 2
    assert v1.get_bot_aliases(botName="OtherBot")["BotAliases"] == []


def test_aliases_hold_bots_and_channels_hold_aliases(v1, local):
    make_bot(v1)
    v1.put_bot_alias(name="prod", botName="PizzaBot", botVersion="1")
    code, status, response = error_of(v1.delete_bot_version, name="PizzaBot", version="1")
    assert (code, status) == ("ResourceInUseException", 400)
    assert (response["referenceType"], response["exampleReference"]) == ("BotAlias", {"name": "prod"})
    assert error_of(v1.delete_bot, name="PizzaBot")[0] == "ResourceInUseException"
    channel = local.controls.console("lex-models", "PutBotChannelAssociation", ACCOUNT, REGION, {
        "botName": "PizzaBot", "botAlias": "prod", "name": "support", "type": "Slack",
        "botConfiguration": {"clientId": "x"}})
    assert channel["status"] == "CREATED"
    got = v1.get_bot_channel_association(name="support", botName="PizzaBot", botAlias="prod")
    assert (got["type"], got["botConfiguration"]) == ("Slack", {"clientId": "x"})
    assert [c["name"] for c in v1.get_bot_channel_associations(botName="PizzaBot", botAlias="-")[
        "botChannelAssociations"]] == ["support"]
    code, _, response = error_of(v1.delete_bot_alias, name="prod", botName="PizzaBot")
    assert code == "ResourceInUseException" and response["referenceType"] == "BotChannel"
    v1.delete_bot_channel_association(name="support", botName="PizzaBot", botAlias="prod")
    assert error_of(v1.get_bot_channel_association, name="support", botName="PizzaBot",
                    botAlias="prod")[0] == "NotFoundException"
    v1.delete_bot_alias(name="prod", botName="PizzaBot")
    v1.delete_bot_version(name="PizzaBot", version="1")
    v1.delete_bot(name="PizzaBot")
    assert v1.get_bots()["bots"] == []


def test_console_channel_actions_answer_the_services_errors(v1, wire):
    make_bot(v1)
    response = wire.http.post("/_localexport/control/console/lex-models/PutBotChannelAssociation", json={
        "account": ACCOUNT, "params": {"botName": "PizzaBot", "botAlias": "nope", "name": "x", "type": "Slack"}})
    assert response.status_code == 404 and response.headers["x-amzn-ErrorType"] == "NotFoundException"
    unknown = wire.http.post("/_localexport/control/console/lex-models/Nope", json={})
    assert unknown.status_code == 404


# -- GetExport ----------------------------------------------------------------------------------------


def test_get_export_is_ready_at_the_first_call_when_small(v1, local, wire):
    make_bot(v1)
    local.controls.set_timing("realistic", 60)  # no background run within the test
    params = {"name": "PizzaBot", "version": "1", "resourceType": "BOT", "exportType": "LEX"}
    first = v1.get_export(**params)
    assert first["exportStatus"] == "READY" and wire.get(first["url"]).status_code == 200
    local.controls.fail_next(["Injected"])
    intent = {"name": "OrderPizza", "version": "1", "resourceType": "INTENT", "exportType": "LEX"}
    assert v1.get_export(**intent)["exportStatus"] == "IN_PROGRESS"  # a failure is told at the next call
    assert v1.get_export(**intent)["exportStatus"] == "FAILED"
    local.controls.set_timing("manual")
    slot_type = {"name": "Sizes", "version": "1", "resourceType": "SLOT_TYPE", "exportType": "LEX"}
    assert v1.get_export(**slot_type)["exportStatus"] == "IN_PROGRESS"
    assert v1.get_export(**slot_type)["exportStatus"] == "IN_PROGRESS"  # manual: until advanced


def test_get_export_of_a_big_bot_takes_its_time(v1, local):
    refs = []
    for number in range(101):
        name = "Intent" + "".join(chr(ord("A") + int(d)) for d in f"{number:03d}")
        v1.put_intent(name=name, sampleUtterances=[f"utterance {number}"], fulfillmentActivity={"type": "ReturnIntent"})
        refs.append({"intentName": name, "intentVersion": v1.create_intent_version(name=name)["version"]})
    v1.put_bot(name="BigBot", locale="en-US", childDirected=False, intents=refs,
               abortStatement={"messages": PROMPT["messages"]}, processBehavior="SAVE")
    version = v1.create_bot_version(name="BigBot")["version"]
    local.controls.set_timing("realistic", 60)
    assert v1.get_export(name="BigBot", version=version, resourceType="BOT", exportType="LEX")[
        "exportStatus"] == "IN_PROGRESS"


# -- migration ----------------------------------------------------------------------------------------


def test_migration_creates_a_v2_bot_with_alerts(v1, make_client, wire):
    make_bot(v1)
    v1.put_bot_alias(name="prod", botName="PizzaBot", botVersion="1")
    started = v1.start_migration(v1BotName="PizzaBot", v1BotVersion="1", v2BotName="PizzaBotV2",
                                 v2BotRole=V2_ROLE, migrationStrategy="CREATE_NEW")
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (started["v1BotLocale"], started["migrationStrategy"]) == ("en-US", "CREATE_NEW")
    migration = v1.get_migration(migrationId=started["migrationId"])
    assert migration["migrationStatus"] == "COMPLETED" and migration["v2BotId"] == started["v2BotId"]
    alerts = {a["message"].split(".")[0]: a for a in migration["alerts"]}
    assert all(a["type"] == "WARN" for a in migration["alerts"])
    assert alerts["The following prompts and statements weren't migrated"]["details"] == [
        "Clarification prompt", "Hang-up phrases"]
    assert alerts["The following Lex features can't be migrated"]["details"] == ["Bot alias"]

    lex = make_client("lexv2-models")
    bot_id = started["v2BotId"]
    bot = lex.describe_bot(botId=bot_id)
    assert (bot["botName"], bot["roleArn"], bot["dataPrivacy"], bot["idleSessionTTLInSeconds"]) == (
        "PizzaBotV2", V2_ROLE, {"childDirected": False}, 300)
    assert [a["botAliasId"] for a in lex.list_bot_aliases(botId=bot_id)["botAliasSummaries"]] == ["TSTALIASID"]
    where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    locale = lex.describe_bot_locale(**where)
    assert (locale["voiceSettings"]["voiceId"], locale["nluIntentConfidenceThreshold"]) == ("Salli", 0.4)
    intents = {i["intentName"]: i["intentId"] for i in lex.list_intents(**where)["intentSummaries"]}
    assert set(intents) == {"OrderPizza", "FallbackIntent"} and intents["FallbackIntent"] == "FALLBCKINT"
    order = lex.describe_intent(**where, intentId=intents["OrderPizza"])
    assert order["sampleUtterances"] == [{"utterance": "I want a {size} pizza"}]
    confirmation = order["intentConfirmationSetting"]
    assert confirmation["promptSpecification"]["messageGroups"] == [
        {"message": {"plainTextMessage": {"value": "Which size?"}}}]
    assert confirmation["promptSpecification"]["maxRetries"] == 1  # V1's maxAttempts 2
    (slot,) = lex.list_slots(**where, intentId=intents["OrderPizza"])["slotSummaries"]
    slot = lex.describe_slot(**where, intentId=intents["OrderPizza"], slotId=slot["slotId"])
    assert slot["slotName"] == "size" and slot["valueElicitationSetting"]["slotConstraint"] == "Required"
    (size_type,) = lex.list_slot_types(**where)["slotTypeSummaries"]
    assert slot["slotTypeId"] == size_type["slotTypeId"]
    values = lex.describe_slot_type(**where, slotTypeId=size_type["slotTypeId"])
    assert values["slotTypeValues"][0] == {"sampleValue": {"value": "small"}, "synonyms": [{"value": "tiny"}]}
    assert values["valueSelectionSetting"]["resolutionStrategy"] == "TopResolution"
    assert order["slotPriorities"] == [{"priority": 1, "slotId": slot["slotId"]}]
    # the migrated bot builds, versions and exports like any V2 bot
    lex.build_bot_locale(**where)
    assert lex.describe_bot_locale(**where)["botLocaleStatus"] == "Built"
    from lexv2_helpers import export_and_download, read_zip

    _, data = export_and_download(lex, wire.get, {"botExportSpecification": {"botId": bot_id, "botVersion": "DRAFT"}})
    files = read_zip(data)
    assert "PizzaBotV2/BotLocales/en_US/Intents/OrderPizza/Slots/size/Slot.json" in files
    summaries = v1.get_migrations(v1BotNameContains="Pizza", migrationStatusEquals="COMPLETED")["migrationSummaries"]
    assert [s["migrationId"] for s in summaries] == [started["migrationId"]]


def test_migration_into_an_existing_bot_replaces_its_locale(v1, make_client):
    make_bot(v1)
    lex = make_client("lexv2-models")
    from lexv2_helpers import simple_bot

    existing = simple_bot(lex, "Target", build=False)
    lex.create_bot_locale(botId=existing["botId"], botVersion="DRAFT", localeId="fr_FR",
                          nluIntentConfidenceThreshold=0.5)
    started = v1.start_migration(v1BotName="PizzaBot", v1BotVersion="$LATEST", v2BotName="Target",
                                 v2BotRole=V2_ROLE, migrationStrategy="UPDATE_EXISTING")
    assert started["v2BotId"] == existing["botId"]
    assert v1.get_migration(migrationId=started["migrationId"])["migrationStatus"] == "COMPLETED"
    where = existing["where"]
    names = {i["intentName"] for i in lex.list_intents(**where)["intentSummaries"]}
    assert names == {"OrderPizza", "FallbackIntent"}  # the en_US locale is the V1 bot's now
    assert lex.describe_bot(botId=existing["botId"])["roleArn"] == V2_ROLE
    assert lex.describe_bot_locale(botId=existing["botId"], botVersion="DRAFT", localeId="fr_FR")  # kept


def test_migration_errors(v1, make_client, local):
    make_bot(v1)
    base = {"v1BotName": "PizzaBot", "v1BotVersion": "1", "v2BotName": "V2Bot", "v2BotRole": V2_ROLE}
    cases = [
        ({**base, "v1BotVersion": "9", "migrationStrategy": "CREATE_NEW"}, "NotFoundException", 404),
        ({**base, "v1BotName": "NoSuchBot", "migrationStrategy": "CREATE_NEW"}, "NotFoundException", 404),
        ({**base, "migrationStrategy": "UPDATE_EXISTING"}, "BadRequestException", 400),
        ({**base, "v2BotRole": "role/LexV2Bot-not-an-arn", "migrationStrategy": "CREATE_NEW"}, "BadRequestException", 400),
    ]
    for params, code, status in cases:
        assert error_of(v1.start_migration, **params)[:2] == (code, status), params
    assert v1.get_migrations()["migrationSummaries"] == []
    assert error_of(v1.get_migration, migrationId="ABCDEFGHIJ")[:2] == ("NotFoundException", 404)
    lex = make_client("lexv2-models")
    local.controls.fail_next(["Injected migration failure"], "lexv1.migration")
    failed = v1.start_migration(**base, migrationStrategy="CREATE_NEW")
    migration = v1.get_migration(migrationId=failed["migrationId"])
    assert migration["migrationStatus"] == "FAILED" and migration["alerts"][0]["type"] == "ERROR"
    assert "Injected migration failure" in migration["alerts"][0]["details"]
    assert lex.list_bots()["botSummaries"] == []  # a failed migration leaves nothing behind
    lex.create_bot(botName="V2Bot", roleArn=V2_ROLE, dataPrivacy={"childDirected": False},
                   idleSessionTTLInSeconds=300)
    assert error_of(v1.start_migration, **base, migrationStrategy="CREATE_NEW")[0] == "BadRequestException"


def test_migration_warns_of_what_v2_lacks(v1, make_client):
    v1.put_intent(name="Greet", sampleUtterances=["hello"], fulfillmentActivity={
        "type": "CodeHook", "codeHook": {"uri": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", "messageVersion": "1.0"}},
        followUpPrompt={"prompt": PROMPT, "rejectionStatement": {"messages": PROMPT["messages"]}},
        slots=[{"name": "city", "slotConstraint": "Optional", "slotType": "AMAZON.US_CITY", "priority": 2},
               {"name": "when", "slotConstraint": "Optional", "slotType": "AMAZON.DATE", "priority": 1},
               {"name": "airport", "slotConstraint": "Optional", "slotType": "AMAZON.Airport", "priority": 3}])
    v1.put_intent(name="Yes", parentIntentSignature="AMAZON.YesIntent")
    refs = [{"intentName": n, "intentVersion": v1.create_intent_version(name=n)["version"]} for n in ("Greet", "Yes")]
    v1.put_bot(name="HelloBot", locale="en-GB", childDirected=True, intents=refs, detectSentiment=True,
               abortStatement={"messages": PROMPT["messages"]})
    started = v1.start_migration(v1BotName="HelloBot", v1BotVersion="$LATEST", v2BotName="HelloV2",
                                 v2BotRole=V2_ROLE, migrationStrategy="CREATE_NEW")
    migration = v1.get_migration(migrationId=started["migrationId"])
    assert migration["migrationStatus"] == "COMPLETED"
    details = [d for a in migration["alerts"] for d in a["details"]]
    for expected in ("Follow-up prompt of intent Greet", "Lambda function of intent Greet", "AMAZON.Airport",
                     "AMAZON.YesIntent", "Sentiment analysis", "Hang-up phrases"):
        assert any(expected in d for d in details), (expected, details)
    assert not any("US_CITY" in d or "AMAZON.DATE" in d for d in details)  # both exist in V2
    lex = make_client("lexv2-models")
    where = {"botId": started["v2BotId"], "botVersion": "DRAFT", "localeId": "en_GB"}
    assert lex.describe_bot(botId=started["v2BotId"])["dataPrivacy"] == {"childDirected": True}
    intents = {i["intentName"]: i["intentId"] for i in lex.list_intents(**where)["intentSummaries"]}
    greet = lex.describe_intent(**where, intentId=intents["Greet"])
    assert greet["fulfillmentCodeHook"] == {"enabled": True}
    slots = {s["slotName"]: s for s in lex.list_slots(**where, intentId=intents["Greet"])["slotSummaries"]}
    assert [p["slotId"] for p in greet["slotPriorities"]] == [slots[n]["slotId"] for n in ("when", "city", "airport")]
    types = {n: lex.describe_slot(**where, intentId=intents["Greet"], slotId=s["slotId"]).get("slotTypeId")
             for n, s in slots.items()}
    assert types == {"city": "AMAZON.City", "when": "AMAZON.Date", "airport": None}
    assert "parentIntentSignature" not in lex.describe_intent(**where, intentId=intents["Yes"])
