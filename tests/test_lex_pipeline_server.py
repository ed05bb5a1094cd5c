"""Bot promotion pipelines end to end against a real ``localexport serve`` on loopback, with the
timing a real service has (statuses move; boto3's waiters wait for them)."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
import requests
from conftest import client
from test_lexv1 import PROMPT

ROLE = "arn:aws:iam::{account}:role/LexRole"
DEV, PROD = "111111111111", "222222222222"
FAST = {"Delay": 0.1, "MaxAttempts": 100}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from conftest import ServerProcess

    process = ServerProcess(tmp_path_factory.mktemp("pipeline"), LOCALEXPORT_JOB_MODE="realistic",
                            LOCALEXPORT_JOB_DELAY="0.3").start()
    yield process
    process.stop()


def test_lex_v2_promotion_from_dev_to_prod(server):
    dev, prod = client("lexv2-models", server.url, DEV), client("lexv2-models", server.url, PROD)
    # dev: a built bot, exported
    bot_id = dev.create_bot(botName="Orders", roleArn=ROLE.format(account=DEV), dataPrivacy={"childDirected": False},
                            idleSessionTTLInSeconds=300)["botId"]
    dev.get_waiter("bot_available").wait(botId=bot_id, WaiterConfig=FAST)
    where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    dev.create_bot_locale(**where, nluIntentConfidenceThreshold=0.4)
    dev.get_waiter("bot_locale_created").wait(**where, WaiterConfig=FAST)
    dev.create_intent(**where, intentName="TrackOrder", sampleUtterances=[{"utterance": "where is my order"}])
    dev.build_bot_locale(**where)
    dev.get_waiter("bot_locale_built").wait(**where, WaiterConfig=FAST)
    export = dev.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                "botVersion": "DRAFT"}},
                               fileFormat="LexJson")
    dev.get_waiter("bot_export_completed").wait(exportId=export["exportId"], WaiterConfig=FAST)
    archive = requests.get(dev.describe_export(exportId=export["exportId"])["downloadUrl"], timeout=10).content

    # prod: import, build, version, alias, tags, policy
    slot = prod.create_upload_url()
    assert requests.put(slot["uploadUrl"], data=archive, timeout=10).status_code == 200
    prod.start_import(importId=slot["importId"], mergeStrategy="FailOnConflict", resourceSpecification={
        "botImportSpecification": {"botName": "Orders", "roleArn": ROLE.format(account=PROD),
                                   "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300,
                                   "botTags": {"app": "orders"}}})
    prod.get_waiter("bot_import_completed").wait(importId=slot["importId"], WaiterConfig=FAST)
    prod_bot = prod.describe_import(importId=slot["importId"])["importedResourceId"]
    where = {**where, "botId": prod_bot}
    prod.build_bot_locale(**where)
    prod.get_waiter("bot_locale_built").wait(**where, WaiterConfig=FAST)
    version = prod.create_bot_version(botId=prod_bot, botVersionLocaleSpecification={
        "en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]
    prod.get_waiter("bot_version_available").wait(botId=prod_bot, botVersion=version, WaiterConfig=FAST)
    alias = prod.create_bot_alias(botId=prod_bot, botAliasName="live", botVersion=version,
                                  botAliasLocaleSettings={"en_US": {"enabled": True}})
    assert alias["botAliasStatus"] == "Creating"
    prod.get_waiter("bot_alias_available").wait(botId=prod_bot, botAliasId=alias["botAliasId"], WaiterConfig=FAST)
    alias_arn = f"arn:aws:lex:us-east-1:{PROD}:bot-alias/{prod_bot}/{alias['botAliasId']}"
    prod.tag_resource(resourceARN=alias_arn, tags={"stage": "live"})
    assert prod.list_tags_for_resource(resourceARN=alias_arn)["tags"] == {"stage": "live"}
    assert prod.list_tags_for_resource(resourceARN=f"arn:aws:lex:us-east-1:{PROD}:bot/{prod_bot}")["tags"] == {
        "app": "orders"}
    prod.create_resource_policy_statement(resourceArn=alias_arn, statementId="Connect", effect="Allow",
                                          principal=[{"service": "connect.amazonaws.com"}],
                                          action=["lex:RecognizeText"])
    statements = json.loads(prod.describe_resource_policy(resourceArn=alias_arn)["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["Connect"]
    # a second release moves the alias
    prod.update_intent(**where, intentId=next(i["intentId"] for i in prod.list_intents(**where)["intentSummaries"]
                                              if i["intentName"] == "TrackOrder"),
                       intentName="TrackOrder", sampleUtterances=[{"utterance": "where is my order"},
                                                                  {"utterance": "track my parcel"}])
    prod.build_bot_locale(**where)
    prod.get_waiter("bot_locale_built").wait(**where, WaiterConfig=FAST)
    second = prod.create_bot_version(botId=prod_bot, botVersionLocaleSpecification={
        "en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]
    prod.get_waiter("bot_version_available").wait(botId=prod_bot, botVersion=second, WaiterConfig=FAST)
    prod.update_bot_alias(botId=prod_bot, botAliasId=alias["botAliasId"], botAliasName="live", botVersion=second,
                          botAliasLocaleSettings={"en_US": {"enabled": True}})
    prod.get_waiter("bot_alias_available").wait(botId=prod_bot, botAliasId=alias["botAliasId"], WaiterConfig=FAST)
    history = prod.describe_bot_alias(botId=prod_bot, botAliasId=alias["botAliasId"])["botAliasHistoryEvents"]
    assert [e["botVersion"] for e in history] == [second, version]
    # dev is untouched by all of it
    assert [a["botAliasName"] for a in dev.list_bot_aliases(botId=bot_id)["botAliasSummaries"]] == ["TestBotAlias"]


def _until(call, done, **params) -> dict:
    for _ in range(100):
        answer = call(**params)
        if done(answer):
            return answer
        time.sleep(0.1)
    raise AssertionError(f"still {answer}")


def _ready(v1, name: str) -> dict:
    return _until(v1.get_bot, lambda b: b["status"] != "BUILDING", name=name, versionOrAlias="$LATEST")


def _v1_bot(v1) -> None:
    v1.put_intent(name="Greet", sampleUtterances=["hello", "hi there"], fulfillmentActivity={"type": "ReturnIntent"},
                  conclusionStatement={"messages": PROMPT["messages"]})
    v1.put_bot(name="Greeter", locale="en-US", childDirected=False, idleSessionTTLInSeconds=300,
               intents=[{"intentName": "Greet", "intentVersion": v1.create_intent_version(name="Greet")["version"]}],
               abortStatement={"messages": PROMPT["messages"]})


def test_lex_v1_promotion_and_migration(server):
    dev, prod = client("lex-models", server.url, DEV), client("lex-models", server.url, PROD)
    _v1_bot(dev)
    version = dev.create_bot_version(name="Greeter", checksum=_ready(dev, "Greeter")["checksum"])
    dev.put_bot_alias(name="live", botName="Greeter", botVersion=version["version"])
    exported = dev.get_export(name="Greeter", version=version["version"], resourceType="BOT", exportType="LEX")
    assert exported["exportStatus"] == "READY"  # a small bot: ready at the first call, as scripts expect
    payload = requests.get(exported["url"], timeout=10).content
    started = prod.start_import(payload=payload, resourceType="BOT", mergeStrategy="FAIL_ON_CONFLICT")
    imported = _until(prod.get_import, lambda i: i["importStatus"] != "IN_PROGRESS", importId=started["importId"])
    assert imported["importStatus"] == "COMPLETE", imported
    latest = _ready(prod, "Greeter")
    first = prod.create_bot_version(name="Greeter", checksum=latest["checksum"])["version"]
    alias = prod.put_bot_alias(name="live", botName="Greeter", botVersion=first)
    assert prod.get_bot(name="Greeter", versionOrAlias="live")["version"] == first
    zipped = zipfile.ZipFile(io.BytesIO(payload))
    document = json.loads(zipped.read(zipped.namelist()[0]))
    document["resource"]["intents"][0]["sampleUtterances"].append("good morning")
    intent = {k: v for k, v in document["resource"]["intents"][0].items() if k != "version"}
    current = prod.get_intent(name="Greet", version="$LATEST")
    prod.put_intent(**intent, checksum=current["checksum"])
    intent_version = prod.create_intent_version(name="Greet")["version"]
    bot = prod.get_bot(name="Greeter", versionOrAlias="$LATEST")
    prod.put_bot(name="Greeter", locale="en-US", childDirected=False, idleSessionTTLInSeconds=300,
                 intents=[{"intentName": "Greet", "intentVersion": intent_version}],
                 abortStatement={"messages": PROMPT["messages"]}, checksum=bot["checksum"])
    second = prod.create_bot_version(name="Greeter", checksum=_ready(prod, "Greeter")["checksum"])["version"]
    moved = prod.put_bot_alias(name="live", botName="Greeter", botVersion=second, checksum=alias["checksum"])
    assert moved["botVersion"] == second != first

    # V1 -> V2, then exported from V2
    migration = prod.start_migration(v1BotName="Greeter", v1BotVersion=second, v2BotName="GreeterV2",
                                     v2BotRole=ROLE.format(account=PROD), migrationStrategy="CREATE_NEW")
    result = _until(prod.get_migration, lambda m: m["migrationStatus"] != "IN_PROGRESS",
                    migrationId=migration["migrationId"])
    assert result["migrationStatus"] == "COMPLETED", result["alerts"]
    lex = client("lexv2-models", server.url, PROD)
    bot_id = migration["v2BotId"]
    lex.get_waiter("bot_available").wait(botId=bot_id, WaiterConfig=FAST)
    export = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                "botVersion": "DRAFT"}},
                               fileFormat="LexJson")
    lex.get_waiter("bot_export_completed").wait(exportId=export["exportId"], WaiterConfig=FAST)
    archive = requests.get(lex.describe_export(exportId=export["exportId"])["downloadUrl"], timeout=10).content
    files = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert "GreeterV2/BotLocales/en_US/Intents/Greet/Intent.json" in files
    greet = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("GreeterV2/BotLocales/en_US/Intents/Greet/Intent.json"))
    assert [u["utterance"] for u in greet["sampleUtterances"]] == ["hello", "hi there", "good morning"]
