"""A bot pipeline against a real ``localexport serve`` process: a real export imported, built, versioned,
aliased, then talked to through lexv2-runtime, and scored by a test execution."""

from __future__ import annotations

import time

import pytest
import requests
from conftest import FIXTURES, client
from lexv2_helpers import ROLE, bot_spec, import_archive

PIZZA = FIXTURES / "lexv2" / "manicachetty__PizzaDeliveryBot" / "PizzaDelivery-DRAFT-AY2WR0FGHA-LexJson (1).zip"
WAIT = {"Delay": 0.1, "MaxAttempts": 100}
TEST_SET = (  # the test workbench's CSV: single utterances, and a conversation whose agent turns are prompts
    b"Line #,Conversation #,Source,Input,Expected Output Intent,Expected Output Slot 1,Expected Output Slot 2\n"
    b"1,,User,I want to order pizza,PizzaOrdering,,\n"
    b"2,,User,Hello,Greetings,,\n"
    b"3,,User,Can I order a drink,Drinkordering,,\n"
    b"4,,User,Hello,PizzaOrdering,,\n"
    b"5,1,User,order pizza,PizzaOrdering,,\n"
    b"6,1,User,large,PizzaOrdering,PizzaSize = large,\n"  # the intent's slot priorities: size, then type
    b"7,1,User,Chicken,PizzaOrdering,PizzaSize = large,PizzaType = Chicken\n"
)


@pytest.fixture
def pizza_archive() -> bytes:
    if not PIZZA.is_file():
        pytest.skip(f"real fixture not found at {PIZZA} (set LOCALEXPORT_FIXTURES)")
    return PIZZA.read_bytes()


def release(lex, archive: bytes) -> tuple[str, str]:
    """Import, build, version 1, alias ``live`` on it: (bot id, alias id)."""
    imported = import_archive(lex, requests.put, archive, bot_spec("PizzaDelivery"))
    assert imported["importStatus"] == "Completed", imported.get("failureReasons")
    bot = imported["importedResourceId"]
    where = {"botId": bot, "botVersion": "DRAFT", "localeId": "en_US"}
    lex.build_bot_locale(**where)
    lex.get_waiter("bot_locale_built").wait(**where, WaiterConfig=WAIT)
    version = lex.create_bot_version(botId=bot, botVersionLocaleSpecification={
        "en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]
    lex.get_waiter("bot_version_available").wait(botId=bot, botVersion=version, WaiterConfig=WAIT)
    alias = lex.create_bot_alias(botId=bot, botAliasName="live", botVersion=version,
                                 botAliasLocaleSettings={"en_US": {"enabled": True}})["botAliasId"]
    lex.get_waiter("bot_alias_available").wait(botId=bot, botAliasId=alias, WaiterConfig=WAIT)
    return bot, alias


def test_a_real_bot_imported_released_and_talked_to_on_a_real_server(server_factory, pizza_archive):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")  # realistic mode: every step waits for its job
    lex = client("lexv2-models", server.url)
    talk = client("lexv2-runtime", server.url)
    bot, alias = release(lex, pizza_archive)
    ids = {"botId": bot, "botAliasId": alias, "localeId": "en_US", "sessionId": "customer-1"}

    def say(text: str) -> dict:
        return talk.recognize_text(**ids, text=text)

    first = say("I want pizza")
    assert first["interpretations"][0]["intent"]["name"] == "PizzaOrdering"
    assert first["interpretations"][0]["nluConfidence"]["score"] == 1.0
    asked = first["sessionState"]["dialogAction"]
    assert asked["type"] == "ElicitSlot"
    answers = {"PizzaType": "Chicken", "PizzaSize": "large"}
    turn = say(answers[asked["slotToElicit"]])
    turn = say(answers[turn["sessionState"]["dialogAction"]["slotToElicit"]])
    assert turn["sessionState"]["dialogAction"]["type"] == "ConfirmIntent"
    assert [m["content"] for m in turn["messages"]] == ["Alright? Can I go ahead with your order large Chicken"]
    done = say("yes")
    intent = done["sessionState"]["intent"]
    assert (intent["state"], intent["confirmationState"]) == ("Fulfilled", "Confirmed")
    assert {k: v["value"]["interpretedValue"] for k, v in intent["slots"].items()} == answers
    stored = talk.get_session(**ids)
    assert stored["sessionState"]["intent"]["state"] == "Fulfilled"
    # a finished intent: the next text starts another
    assert say("Hello")["interpretations"][0]["intent"]["name"] == "Greetings"


def test_a_test_set_runs_against_the_released_alias_on_a_real_server(server_factory, pizza_archive):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    lex = client("lexv2-models", server.url)
    bot, alias = release(lex, pizza_archive)
    imported = import_archive(lex, requests.put, TEST_SET, {"testSetImportResourceSpecification": {
        "testSetName": "PizzaSmoke", "roleArn": ROLE, "modality": "Text",
        "storageLocation": {"s3BucketName": "test-sets", "s3Path": "pizza/"},
        "importInputLocation": {"s3BucketName": "test-sets", "s3Path": "pizza.csv"}}})
    assert imported["importStatus"] == "Completed", imported.get("failureReasons")
    started = lex.start_test_execution(testSetId=imported["importedResourceId"], apiMode="NonStreaming", target={
        "botAliasTarget": {"botId": bot, "botAliasId": alias, "localeId": "en_US"}})
    execution = started["testExecutionId"]
    assert lex.describe_test_execution(testExecutionId=execution)["testExecutionStatus"] in ("Pending", "InProgress")
    for _ in range(100):
        described = lex.describe_test_execution(testExecutionId=execution)
        if described["testExecutionStatus"] not in ("Pending", "InProgress"):
            break
        time.sleep(0.1)
    assert described["testExecutionStatus"] == "Completed", described.get("failureReasons")
    assert described["target"]["botAliasTarget"]["botAliasId"] == alias

    def items(view: str) -> list[dict]:
        answer = lex.list_test_execution_result_items(testExecutionId=execution,
                                                      resultFilterBy={"resultTypeFilter": view})
        return next(iter(answer["testExecutionResults"].values()))["items"]

    overall = {i["multiTurnConversation"]: i for i in items("OverallTestResults")}
    single, conversation = overall[False], overall[True]
    assert (single["totalResultCount"], single["endToEndResultCounts"]) == (
        4, {"Matched": 3, "Mismatched": 1, "ExecutionError": 0})  # line 4 expects the wrong intent
    assert conversation["endToEndResultCounts"] == {"Matched": 1, "Mismatched": 0, "ExecutionError": 0}
    by_line = {i["recordNumber"]: i["turnResult"]["user"] for i in items("UtteranceLevelResults")}
    assert {n: u["intentMatchResult"] for n, u in by_line.items()} == {
        1: "Matched", 2: "Matched", 3: "Matched", 4: "Mismatched", 5: "Matched", 6: "Matched", 7: "Matched"}
    assert by_line[4]["actualOutput"]["intent"]["name"] == "Greetings"
    artifacts = requests.get(lex.get_test_execution_artifacts_url(testExecutionId=execution)["downloadArtifactsUrl"],
                             timeout=10)
    assert artifacts.status_code == 200 and artifacts.content[:2] == b"PK"


def test_a_lex_v1_bot_answers_lex_runtime_on_a_real_server(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    models, talk = client("lex-models", server.url), client("lex-runtime", server.url)
    prompt = {"messages": [{"contentType": "PlainText", "content": "Which size?"}], "maxAttempts": 2}
    models.put_slot_type(name="Sizes", enumerationValues=[{"value": "small"}, {"value": "large"}],
                         valueSelectionStrategy="TOP_RESOLUTION")
    models.put_intent(name="OrderPizza", sampleUtterances=["I want a pizza"], fulfillmentActivity={
        "type": "ReturnIntent"}, slots=[{"name": "size", "slotConstraint": "Required", "slotType": "Sizes",
                                         "slotTypeVersion": "$LATEST", "valueElicitationPrompt": prompt}])
    models.put_bot(name="PizzaBot", locale="en-US", childDirected=False, processBehavior="BUILD",
                   intents=[{"intentName": "OrderPizza", "intentVersion": "$LATEST"}],
                   abortStatement={"messages": prompt["messages"]})
    for _ in range(50):  # realistic timing: BUILDING, then READY
        if models.get_bot(name="PizzaBot", versionOrAlias="$LATEST")["status"] == "READY":
            break
        time.sleep(0.1)
    where = {"botName": "PizzaBot", "botAlias": "$LATEST", "userId": "customer-1"}
    asked = talk.post_text(**where, inputText="I want a pizza")
    assert (asked["dialogState"], asked["slotToElicit"], asked["message"]) == ("ElicitSlot", "size", "Which size?")
    done = talk.post_text(**where, inputText="large")
    assert (done["dialogState"], done["slots"]) == ("ReadyForFulfillment", {"size": "large"})
    assert talk.get_session(**where)["recentIntentSummaryView"][0]["intentName"] == "OrderPizza"
