"""The AWS SDK for JavaScript v3 against a real server: Lex V2 bots and the three-step import,
Lex V1 resources, import and tags, and a 204 answer that leaves its keep-alive connection usable.

The JS SDK sends paths without the trailing slash Lex V2 models have (``GET /imports/{id}/``,
``DELETE /bots/{id}/``), so these requests look like Lex V1's and must still reach Lex V2."""

from __future__ import annotations

import pytest
from conftest import client
from js_sdk import Client, JsSdk, fetch, ref, require
from lexv2_helpers import ROLE, zip_bytes

V2 = Client("LexModelsV2")
V1 = Client("LexModelBuildingService")
BOT = ref("bot.botId")
WHERE = {"botId": BOT, "botVersion": "DRAFT", "localeId": "en_US"}


@pytest.fixture
def js(server_factory):
    require()
    return JsSdk(server_factory(LOCALEXPORT_JOB_MODE="immediate").url)


def create_bot(name: str = "PizzaBot") -> dict:
    """Steps: a bot, available, with an en_US locale, created."""
    return {
        "bot": V2("CreateBot", botName=name, roleArn=ROLE, dataPrivacy={"childDirected": False},
                  idleSessionTTLInSeconds=300),
        "available": V2.wait("BotAvailable", botId=BOT),
        "locale": V2("CreateBotLocale", **WHERE, nluIntentConfidenceThreshold=0.4, voiceSettings={"voiceId": "Ivy"}),
        "locale_created": V2.wait("BotLocaleCreated", **WHERE),
    }


def bot_archive(name: str = "Imported") -> bytes:
    locale = f"{name}/BotLocales/en_US"
    return zip_bytes({
        "Manifest.json": {"metaData": {"schemaVersion": "1", "fileFormat": "LexJson", "resourceType": "BOT"}},
        f"{name}/Bot.json": {"name": name, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300},
        f"{locale}/BotLocale.json": {"identifier": "en_US", "nluConfidenceThreshold": 0.4},
        f"{locale}/Intents/Hello/Intent.json": {"name": "Hello", "sampleUtterances": [{"utterance": "hi"}]},
    })


def test_lexv2_bot_and_locale(js):
    out = js.run(**create_bot(), described=V2("DescribeBot", botId=BOT),
                 described_locale=V2("DescribeBotLocale", **WHERE))
    assert out["bot"]["httpStatusCode"] == 202 and out["bot"]["botStatus"] == "Creating"
    assert out["available"]["state"] == "SUCCESS"
    assert out["described"]["botName"] == "PizzaBot" and out["described"]["botStatus"] == "Available"
    assert out["described"]["creationDateTime"].endswith("Z")
    assert out["locale"]["httpStatusCode"] == 202 and out["locale"]["botLocaleStatus"] == "Creating"
    assert out["locale_created"]["state"] == "SUCCESS"
    assert out["described_locale"]["voiceSettings"]["voiceId"] == "Ivy"
    assert out.connections == 1


def test_lexv2_import_through_an_upload_url(js):
    spec = {"botImportSpecification": {"botName": "Imported", "roleArn": ROLE, "dataPrivacy": {"childDirected": False},
                                       "idleSessionTTLInSeconds": 600}}
    import_id = ref("upload.importId")
    out = js.run(
        upload=V2("CreateUploadUrl"),
        put=fetch(ref("upload.uploadUrl"), "PUT", bot_archive()),
        started=V2("StartImport", importId=import_id, resourceSpecification=spec, mergeStrategy="FailOnConflict"),
        described=V2("DescribeImport", importId=import_id),  # GET /imports/{id} without the model's slash
        completed=V2.wait("BotImportCompleted", importId=import_id),
        listed=V2("ListImports"),
        deleted=V2("DeleteImport", importId=import_id),
        gone=V2("DescribeImport", importId=import_id),
    )
    assert out["put"]["httpStatusCode"] == 200
    assert out["started"]["importStatus"] == "InProgress" and out["started"]["mergeStrategy"] == "FailOnConflict"
    assert out["described"].get("importStatus") == "Completed", out["described"]
    assert out["described"]["importedResourceName"] == "Imported"
    assert out["completed"]["state"] == "SUCCESS", out["completed"]
    assert [s["importId"] for s in out["listed"]["importSummaries"]] == [out["upload"]["importId"]]
    assert out["deleted"]["importStatus"] == "Deleting"
    assert out["gone"]["error"]["name"] == "ResourceNotFoundException", out["gone"]
    assert out.connections == 1


def test_lexv2_delete_bot(js):
    out = js.run(
        **create_bot(),
        deleted=V2("DeleteBot", botId=BOT, skipResourceInUseCheck=True),  # DELETE /bots/{id} without the slash
        listed=V2("ListBots"),
    )
    assert out["deleted"].get("botStatus") == "Deleting", out["deleted"]
    assert out["deleted"]["botId"] == out["bot"]["botId"] and out["deleted"]["httpStatusCode"] == 202
    assert out["listed"]["botSummaries"] == []
    assert out.connections == 1


def test_lexv2_204_keeps_the_connection_usable(js):
    out = js.run(
        **create_bot(),
        intent=V2("CreateIntent", **WHERE, intentName="Hello", sampleUtterances=[{"utterance": "hi"}]),
        deleted=V2("DeleteIntent", **WHERE, intentId=ref("intent.intentId")),
        intents=V2("ListIntents", **WHERE),
        described=V2("DescribeBot", botId=BOT),
        again=V2("DeleteIntent", **WHERE, intentId=ref("intent.intentId")),
        after_error=V2("DescribeBotLocale", **WHERE),
    )
    assert out["deleted"] == {"httpStatusCode": 204}
    assert [i["intentName"] for i in out["intents"].get("intentSummaries", [])] == ["FallbackIntent"], out["intents"]
    assert out["described"].get("botStatus") == "Available", out["described"]
    assert out["again"]["error"]["name"] == "PreconditionFailedException", out["again"]  # it declares no not-found
    assert out["after_error"].get("localeId") == "en_US", out["after_error"]
    assert out.connections == 1  # every call, the 204 and an error included, on one keep-alive socket


PROMPT = {"messages": [{"contentType": "PlainText", "content": "Which size?"}], "maxAttempts": 2}


def test_lexv1_resources_and_import(js):
    colors = {"metadata": {"schemaVersion": "1.0", "importType": "LEX", "importFormat": "JSON"},
              "resource": {"name": "Colors", "version": "1", "enumerationValues": [{"value": "red"}, {"value": "blue"}],
                           "valueSelectionStrategy": "ORIGINAL_VALUE"}}
    out = js.run(
        sizes=V1("PutSlotType", name="Sizes", enumerationValues=[{"value": "small"}, {"value": "large"}],
                 valueSelectionStrategy="TOP_RESOLUTION"),
        intent=V1("PutIntent", name="OrderPizza", sampleUtterances=["I want a {size} pizza"],
                  slots=[{"name": "size", "slotConstraint": "Required", "slotType": "Sizes",
                          "slotTypeVersion": "$LATEST", "valueElicitationPrompt": PROMPT, "priority": 1}],
                  fulfillmentActivity={"type": "ReturnIntent"}),
        bot=V1("PutBot", name="PizzaBot", locale="en-US", childDirected=False,
               intents=[{"intentName": "OrderPizza", "intentVersion": "$LATEST"}],
               clarificationPrompt=PROMPT, abortStatement={"messages": PROMPT["messages"]}),
        got=V1("GetBot", name="PizzaBot", versionOrAlias="$LATEST"),
        started=V1("StartImport", payload=zip_bytes({"Colors_Export.json": colors}), resourceType="SLOT_TYPE",
                   mergeStrategy="FAIL_ON_CONFLICT"),  # POST /imports/
        imported=V1("GetImport", importId=ref("started.importId")),  # GET /imports/{id}
        colors=V1("GetSlotType", name="Colors", version="$LATEST"),
        deleted=V1("DeleteBot", name="PizzaBot"),  # DELETE /bots/{name}
        gone=V1("GetBot", name="PizzaBot", versionOrAlias="$LATEST"),
    )
    assert out["sizes"]["version"] == "$LATEST" and out["sizes"]["checksum"]
    assert out["intent"]["slots"][0]["slotType"] == "Sizes"
    assert out["bot"]["name"] == "PizzaBot" and out["bot"]["intents"] == [
        {"intentName": "OrderPizza", "intentVersion": "$LATEST"}]
    assert out["got"]["checksum"] == out["bot"]["checksum"]
    assert out["started"]["httpStatusCode"] == 201 and out["started"]["importStatus"] == "IN_PROGRESS"
    assert out["started"]["name"] == "Colors"
    assert out["imported"]["importStatus"] == "COMPLETE", out["imported"]
    assert [v["value"] for v in out["colors"]["enumerationValues"]] == ["red", "blue"]
    assert out["deleted"] == {"httpStatusCode": 204}
    assert out["gone"]["error"]["name"] == "NotFoundException", out["gone"]
    assert out.connections == 1


def test_lexv1_tags_in_the_account_and_region_of_the_credentials(js):
    account, region = "210987654321", "eu-west-2"
    arn = f"arn:aws:lex:{region}:{account}:bot:PizzaBot"
    out = JsSdk(js.endpoint, account, region).run(
        bot=V1("PutBot", name="PizzaBot", locale="en-US", childDirected=False),
        tagged=V1("TagResource", resourceArn=arn, tags=[{"key": "team", "value": "bots"}]),
        tags=V1("ListTagsForResource", resourceArn=arn),
        untagged=V1("UntagResource", resourceArn=arn, tagKeys=["team"]),
        no_tags=V1("ListTagsForResource", resourceArn=arn),
    )
    assert out["tagged"] == {"httpStatusCode": 204} and out["untagged"] == {"httpStatusCode": 204}
    assert out["tags"]["tags"] == [{"key": "team", "value": "bots"}]
    assert out["no_tags"]["tags"] == []
    assert out.connections == 1
    assert [b["name"] for b in client("lex-models", js.endpoint, account, region).get_bots()["bots"]] == ["PizzaBot"]
    assert client("lex-models", js.endpoint).get_bots()["bots"] == []  # another account sees nothing


def test_lexv2_alias_tags_and_policy(js):
    made = js.run(
        **create_bot(),
        intent=V2("CreateIntent", **WHERE, intentName="Hello", sampleUtterances=[{"utterance": "hi"}]),
        build=V2("BuildBotLocale", **WHERE),
        built=V2.wait("BotLocaleBuilt", **WHERE),
        version=V2("CreateBotVersion", botId=BOT, botVersionLocaleSpecification={
            "en_US": {"sourceBotVersion": "DRAFT"}}),
        alias=V2("CreateBotAlias", botId=BOT, botAliasName="live", botVersion=ref("version.botVersion"),
                 tags={"stage": "live"}),
        alias_available=V2.wait("BotAliasAvailable", botId=BOT, botAliasId=ref("alias.botAliasId")),
    )
    assert made["alias"]["botAliasStatus"] == "Creating" and made["alias_available"]["state"] == "SUCCESS"
    bot_id, alias_id = made["bot"]["botId"], made["alias"]["botAliasId"]
    bot_arn = f"arn:aws:lex:us-east-1:123456789012:bot/{bot_id}"
    alias_arn = f"arn:aws:lex:us-east-1:123456789012:bot-alias/{bot_id}/{alias_id}"
    policy = ('{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Principal":'
              '{"AWS":"arn:aws:iam::123456789012:root"},"Action":"lex:RecognizeText","Resource":"*"}]}')
    out = js.run(
        alias_tags=V2("ListTagsForResource", resourceARN=alias_arn),  # GET /tags/{arn}: V1's route too
        tagged=V2("TagResource", resourceARN=bot_arn, tags={"team": "bots"}),
        bot_tags=V2("ListTagsForResource", resourceARN=bot_arn),
        untagged=V2("UntagResource", resourceARN=bot_arn, tagKeys=["team"]),
        policy=V2("CreateResourcePolicy", resourceArn=alias_arn, policy=policy),
        policy_gone=V2("DeleteResourcePolicy", resourceArn=alias_arn, expectedRevisionId="1"),  # a 204
        listed=V2("ListBotAliases", botId=bot_id),
        in_use=V2("DeleteBot", botId=bot_id),  # DELETE /bots/{id}: V1's route too
        alias_gone=V2("DeleteBotAlias", botId=bot_id, botAliasId=alias_id),
        deleted=V2("DeleteBot", botId=bot_id),
        imports=V2("ListImports"),  # POST /imports: V1's StartImport route
    )
    assert out["alias_tags"]["tags"] == {"stage": "live"}
    assert out["tagged"]["httpStatusCode"] == 200 and out["bot_tags"]["tags"] == {"team": "bots"}
    assert out["untagged"]["httpStatusCode"] == 200
    assert out["policy"]["revisionId"] == "1" and out["policy_gone"] == {"httpStatusCode": 204}
    assert sorted(a["botAliasName"] for a in out["listed"]["botAliasSummaries"]) == ["TestBotAlias", "live"]
    assert out["in_use"]["error"]["name"] == "ResourceInUseException", out["in_use"]
    assert out["alias_gone"]["botAliasStatus"] == "Deleting"
    assert out["deleted"]["botStatus"] == "Deleting", out["deleted"]
    assert out["imports"]["importSummaries"] == []
    assert out.connections == 1


def test_lexv1_aliases_and_migration(js):
    out = js.run(
        intent=V1("PutIntent", name="Greet", sampleUtterances=["hello"], fulfillmentActivity={"type": "ReturnIntent"},
                  createVersion=True),
        bot=V1("PutBot", name="Greeter", locale="en-US", childDirected=False, processBehavior="SAVE",
               intents=[{"intentName": "Greet", "intentVersion": "1"}], abortStatement={"messages": PROMPT["messages"]},
               createVersion=True),
        alias=V1("PutBotAlias", name="live", botName="Greeter", botVersion="1"),
        got=V1("GetBotAlias", name="live", botName="Greeter"),
        aliases=V1("GetBotAliases", botName="Greeter"),
        in_use=V1("DeleteBot", name="Greeter"),
        migration=V1("StartMigration", v1BotName="Greeter", v1BotVersion="1", v2BotName="GreeterV2",
                     v2BotRole="arn:aws:iam::123456789012:role/LexV2Role", migrationStrategy="CREATE_NEW"),
        migrated=V1("GetMigration", migrationId=ref("migration.migrationId")),
        v2_bot=V2("DescribeBot", botId=ref("migration.v2BotId")),
        alias_gone=V1("DeleteBotAlias", name="live", botName="Greeter"),  # a 204
        deleted=V1("DeleteBot", name="Greeter"),
    )
    assert out["alias"]["checksum"] and out["got"]["botVersion"] == "1"
    assert [a["name"] for a in out["aliases"]["BotAliases"]] == ["live"]
    assert out["in_use"]["error"]["name"] == "ResourceInUseException", out["in_use"]
    assert out["migration"]["httpStatusCode"] == 202
    assert out["migrated"]["migrationStatus"] == "COMPLETED", out["migrated"]
    assert out["v2_bot"]["botName"] == "GreeterV2"
    assert out["alias_gone"] == {"httpStatusCode": 204} and out["deleted"] == {"httpStatusCode": 204}
    assert out.connections == 1
