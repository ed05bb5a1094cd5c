"""Lex V2 test workbench: test executions of an imported test set against a built bot alias,
their results per view (overall, conversation, intent, slot, utterance), listing and errors."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from botocore.exceptions import ClientError
from lexv2_helpers import ROLE, import_archive, simple_bot

ALIAS = "TSTALIASID"
HEADER = b"Line #,Conversation #,Source,Input,Expected Output Intent,Expected Output Slot 1\n"
RIGHT = HEADER + (
    b"1,,User,order a large pizza,OrderPizza,size = large\n"
    b"2,,User,I want a pizza,OrderPizza,\n"
    b"3,1,User,I want a pizza,OrderPizza,\n"
    b"4,1,Agent,Which size?,OrderPizza,\n"
    b"5,1,User,small,OrderPizza,size = small\n"
)
WRONG = HEADER + (
    b"1,,User,order a big pizza,OrderPizza,size = small\n"
    b"2,,User,I want a pizza,BookHotel,\n"
    b"3,1,User,I want a pizza,OrderPizza,\n"
    b"4,1,User,large,OrderPizza,size = small\n"
    b"5,2,User,I want a pizza,OrderPizza,\n"
    b"6,2,User,big,OrderPizza,size = large\n"
)


def import_test_set(lex, wire, data: bytes, name: str) -> str:
    spec = {"testSetImportResourceSpecification": {
        "testSetName": name, "roleArn": ROLE, "storageLocation": {"s3BucketName": "sets", "s3Path": "store/"},
        "importInputLocation": {"s3BucketName": "sets", "s3Path": f"{name}.csv"}, "modality": "Text"}}
    described = import_archive(lex, wire.http.put, data, spec)
    assert described["importStatus"] == "Completed", described.get("failureReasons")
    return described["importedResourceId"]


def target(bot: dict) -> dict:
    return {"botAliasTarget": {"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US"}}


def run(lex, test_set_id: str, bot: dict, api_mode: str = "NonStreaming") -> dict:
    started = lex.start_test_execution(testSetId=test_set_id, target=target(bot), apiMode=api_mode)
    for _ in range(200):
        described = lex.describe_test_execution(testExecutionId=started["testExecutionId"])
        if described["testExecutionStatus"] in ("Completed", "Failed"):
            return described
        time.sleep(0.02)
    raise AssertionError("the test execution did not finish")


def results(lex, execution_id: str, view: str, **extra) -> list[dict]:
    out = lex.list_test_execution_result_items(testExecutionId=execution_id,
                                               resultFilterBy={"resultTypeFilter": view, **extra})
    return next(iter(out["testExecutionResults"].values()))["items"]


def error_of(call, **kw) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call(**kw)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


ALL_MATCHED = {"Matched": 1, "Mismatched": 0, "ExecutionError": 0}


def test_a_test_set_the_bot_gets_right_matches_everywhere(lex, wire):
    bot = simple_bot(lex)
    test_set_id = import_test_set(lex, wire, RIGHT, "Right")
    started = lex.start_test_execution(testSetId=test_set_id, target=target(bot), apiMode="Streaming")
    assert started["testSetId"] == test_set_id and started["testExecutionModality"] == "Text"
    assert started["apiMode"] == "Streaming" and started["target"] == target(bot)
    described = run(lex, test_set_id, bot)
    assert described["testExecutionStatus"] == "Completed", described.get("failureReasons")
    assert (described["testSetName"], described["apiMode"]) == ("Right", "NonStreaming")
    execution_id = described["testExecutionId"]

    assert results(lex, execution_id, "OverallTestResults") == [
        {"multiTurnConversation": False, "totalResultCount": 2,
         "endToEndResultCounts": {"Matched": 2, "Mismatched": 0, "ExecutionError": 0}},
        {"multiTurnConversation": True, "totalResultCount": 1, "endToEndResultCounts": ALL_MATCHED}]
    assert results(lex, execution_id, "ConversationLevelTestResults") == [
        {"conversationId": "1", "endToEndResult": "Matched",
         "intentClassificationResults": [{"intentName": "OrderPizza", "matchResult": "Matched"}],
         "slotResolutionResults": [{"intentName": "OrderPizza", "slotName": "size", "matchResult": "Matched"}]}]
    intents = results(lex, execution_id, "IntentClassificationTestResults")
    assert [(i["intentName"], i["multiTurnConversation"], i["resultCounts"]["totalResultCount"],
             i["resultCounts"]["intentMatchResultCounts"]["Matched"]) for i in intents] == [
        ("OrderPizza", False, 2, 2), ("OrderPizza", True, 2, 2)]
    slots = results(lex, execution_id, "SlotResolutionTestResults")
    assert [(s["multiTurnConversation"], s["slotResolutionResults"]) for s in slots] == [
        (False, [{"slotName": "size", "resultCounts": {"totalResultCount": 1, "slotMatchResultCounts": ALL_MATCHED}}]),
        (True, [{"slotName": "size", "resultCounts": {"totalResultCount": 1, "slotMatchResultCounts": ALL_MATCHED}}])]

    turns = results(lex, execution_id, "UtteranceLevelResults")
    assert [t["recordNumber"] for t in turns] == [1, 2, 3, 4, 5]
    first = turns[0]["turnResult"]["user"]
    assert first["actualOutput"]["intent"] == {"name": "OrderPizza", "slots": {"size": {"value": "large"}}}
    assert (first["intentMatchResult"], first["slotMatchResult"], first["endToEndResult"]) == ("Matched",) * 3
    assert "conversationLevelResult" not in first and "conversationId" not in turns[0]
    agent = turns[3]["turnResult"]["agent"]
    assert agent == {"expectedAgentPrompt": "Which size?", "actualAgentPrompt": "Which size?",
                     "actualIntent": "OrderPizza", "actualElicitedSlot": "size"}
    assert turns[4]["conversationId"] == "1"
    assert turns[4]["turnResult"]["user"]["conversationLevelResult"] == {"endToEndResult": "Matched"}

    url = lex.get_test_execution_artifacts_url(testExecutionId=execution_id)["downloadArtifactsUrl"]
    with zipfile.ZipFile(io.BytesIO(wire.get(url).content)) as archive:
        rows = archive.read("TestExecutionResults.csv").decode().splitlines()
    assert rows[1].startswith("1,,User,order a large pizza,OrderPizza,OrderPizza,size = large,size = large,Matched")


def test_mismatches_are_counted_and_filtered(lex, wire):
    bot = simple_bot(lex)
    described = run(lex, import_test_set(lex, wire, WRONG, "Wrong"), bot)
    assert described["testExecutionStatus"] == "Completed"
    execution_id = described["testExecutionId"]
    overall = results(lex, execution_id, "OverallTestResults")
    assert [o["endToEndResultCounts"] for o in overall] == [{"Matched": 0, "Mismatched": 2, "ExecutionError": 0},
                                                            {"Matched": 1, "Mismatched": 1, "ExecutionError": 0}]
    turns = results(lex, execution_id, "UtteranceLevelResults")
    single_slot, wrong_intent = turns[0]["turnResult"]["user"], turns[1]["turnResult"]["user"]
    assert (single_slot["intentMatchResult"], single_slot["slotMatchResult"]) == ("Matched", "Mismatched")
    assert (wrong_intent["intentMatchResult"], wrong_intent["endToEndResult"]) == ("Mismatched", "Mismatched")
    assert wrong_intent["actualOutput"]["intent"]["name"] == "OrderPizza"
    intents = {(i["intentName"], i["multiTurnConversation"]): i["resultCounts"]["intentMatchResultCounts"]
               for i in results(lex, execution_id, "IntentClassificationTestResults")}
    assert intents[("BookHotel", False)] == {"Matched": 0, "Mismatched": 1, "ExecutionError": 0}

    mismatched = results(lex, execution_id, "ConversationLevelTestResults",
                         conversationLevelTestResultsFilterBy={"endToEndResult": "Mismatched"})
    assert [(c["conversationId"], c["slotResolutionResults"][0]["matchResult"]) for c in mismatched] == [
        ("1", "Mismatched")]
    matched = results(lex, execution_id, "ConversationLevelTestResults",
                      conversationLevelTestResultsFilterBy={"endToEndResult": "Matched"})
    assert [c["conversationId"] for c in matched] == ["2"]

    first = lex.list_test_execution_result_items(testExecutionId=execution_id, maxResults=4,
                                                 resultFilterBy={"resultTypeFilter": "UtteranceLevelResults"})
    rest = lex.list_test_execution_result_items(testExecutionId=execution_id, nextToken=first["nextToken"],
                                                resultFilterBy={"resultTypeFilter": "UtteranceLevelResults"})
    items = first["testExecutionResults"]["utteranceLevelTestResults"]["items"]
    items += rest["testExecutionResults"]["utteranceLevelTestResults"]["items"]
    assert [t["recordNumber"] for t in items] == [1, 2, 3, 4, 5, 6] and "nextToken" not in rest
    code, _ = error_of(lex.list_test_execution_result_items, testExecutionId=execution_id,
                       nextToken=first["nextToken"], resultFilterBy={"resultTypeFilter": "OverallTestResults"})
    assert code == "ValidationException"


def test_list_test_executions_sorts_and_pages(lex, wire):
    bot = simple_bot(lex)
    zulu = run(lex, import_test_set(lex, wire, RIGHT, "Zulu"), bot)
    alpha = run(lex, import_test_set(lex, wire, RIGHT, "Alpha"), bot)
    listed = lex.list_test_executions()["testExecutions"]
    assert [e["testExecutionId"] for e in listed] == [alpha["testExecutionId"], zulu["testExecutionId"]]
    assert listed[0]["testExecutionStatus"] == "Completed" and listed[0]["testSetName"] == "Alpha"
    by_name = lex.list_test_executions(sortBy={"attribute": "TestSetName", "order": "Descending"}, maxResults=1)
    assert [e["testSetName"] for e in by_name["testExecutions"]] == ["Zulu"]
    after = lex.list_test_executions(sortBy={"attribute": "TestSetName", "order": "Descending"},
                                     nextToken=by_name["nextToken"])
    assert [e["testSetName"] for e in after["testExecutions"]] == ["Alpha"]


def test_errors(lex, wire, local):
    bot = simple_bot(lex)
    test_set_id = import_test_set(lex, wire, RIGHT, "Errors")
    start = lex.start_test_execution
    assert error_of(start, testSetId="NOSUCHSET1", target=target(bot), apiMode="Streaming")[0] == \
        "ResourceNotFoundException"
    missing_bot = {"botAliasTarget": {"botId": "NOSUCHBOT1", "botAliasId": ALIAS, "localeId": "en_US"}}
    assert error_of(start, testSetId=test_set_id, target=missing_bot, apiMode="Streaming") == (
        "ResourceNotFoundException", "Bot NOSUCHBOT1 does not exist.")
    missing_alias = {"botAliasTarget": {"botId": bot["botId"], "botAliasId": "NOSUCHALIA", "localeId": "en_US"}}
    assert error_of(start, testSetId=test_set_id, target=missing_alias, apiMode="Streaming")[0] == \
        "ResourceNotFoundException"
    code, message = error_of(start, testSetId=test_set_id, target={}, apiMode="Streaming")
    assert code == "ValidationException" and "botAliasTarget" in message
    code, message = error_of(start, testSetId=test_set_id, target=target(bot), apiMode="Streaming",
                             testExecutionModality="Audio")
    assert code == "ValidationException" and "Audio" in message
    unbuilt = simple_bot(lex, "Unbuilt", build=False)
    code, message = error_of(start, testSetId=test_set_id, target=target(unbuilt), apiMode="Streaming")
    assert code == "ResourceNotFoundException" and "build it" in message
    assert error_of(lex.describe_test_execution, testExecutionId="NOSUCHEXE1") == (
        "ResourceNotFoundException", "Test execution NOSUCHEXE1 does not exist.")

    local.runtime.engine.configure(mode="manual")
    started = start(testSetId=test_set_id, target=target(bot), apiMode="NonStreaming")
    execution_id = started["testExecutionId"]
    assert lex.describe_test_execution(testExecutionId=execution_id)["testExecutionStatus"] == "Pending"
    code, _ = error_of(lex.list_test_execution_result_items, testExecutionId=execution_id,
                       resultFilterBy={"resultTypeFilter": "OverallTestResults"})
    assert code == "ValidationException"
    assert error_of(lex.get_test_execution_artifacts_url, testExecutionId=execution_id)[0] == "ValidationException"
    lex.delete_test_set(testSetId=test_set_id)  # gone before the run: the execution fails and says why
    local.runtime.engine.advance(execution_id)
    failed = lex.describe_test_execution(testExecutionId=execution_id)
    assert failed["testExecutionStatus"] == "Failed"
    assert failed["failureReasons"] == [f"Test set {test_set_id} was deleted before the test execution ran."]


def test_test_set_generation_fails_without_conversation_logs(lex, wire):
    bot = simple_bot(lex)
    source = {"conversationLogsDataSource": {
        "botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US",
        "filter": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-02T00:00:00Z", "inputMode": "Text"}}}
    location = {"s3BucketName": "sets", "s3Path": "generated/"}
    started = lex.start_test_set_generation(testSetName="FromLogs", storageLocation=location,
                                            generationDataSource=source, roleArn=ROLE)
    assert (started["testSetGenerationStatus"], started["testSetName"]) == ("Pending", "FromLogs")
    described = lex.describe_test_set_generation(testSetGenerationId=started["testSetGenerationId"])
    assert described["testSetGenerationStatus"] == "Failed"
    reason = (f"Text conversation logs are not enabled for bot alias {ALIAS} of bot {bot['botId']}; enable them "
              "to generate a test set.")
    assert described["failureReasons"] == [reason]
    assert described["storageLocation"] == location and described["roleArn"] == ROLE
    missing = {"conversationLogsDataSource": {**source["conversationLogsDataSource"], "botId": "NOSUCHBOT1"}}
    assert error_of(lex.start_test_set_generation, testSetName="X", storageLocation=location,
                    generationDataSource=missing, roleArn=ROLE) == (
        "ResourceNotFoundException", "Bot NOSUCHBOT1 does not exist.")
    import_test_set(lex, wire, RIGHT, "Taken")
    assert error_of(lex.start_test_set_generation, testSetName="Taken", storageLocation=location,
                    generationDataSource=source, roleArn=ROLE)[0] == "ConflictException"
    assert error_of(lex.describe_test_set_generation, testSetGenerationId="NOSUCHGEN1")[0] == \
        "ResourceNotFoundException"


def test_test_set_generation_with_text_logs_finds_no_logged_conversation(lex):
    bot = simple_bot(lex)
    logs = {"textLogSettings": [{"enabled": True, "destination": {"cloudWatch": {
        "cloudWatchLogGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:lex", "logPrefix": "bot"}}}]}
    alias = lex.create_bot_alias(botId=bot["botId"], botAliasName="Logged", conversationLogSettings=logs)
    source = {"conversationLogsDataSource": {
        "botId": bot["botId"], "botAliasId": alias["botAliasId"], "localeId": "en_US",
        "filter": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-02T00:00:00Z", "inputMode": "Text"}}}
    started = lex.start_test_set_generation(testSetName="Logged", roleArn=ROLE, generationDataSource=source,
                                            storageLocation={"s3BucketName": "sets", "s3Path": "generated/"})
    described = lex.describe_test_set_generation(testSetGenerationId=started["testSetGenerationId"])
    assert described["testSetGenerationStatus"] == "Failed"
    reason = (f"No conversation logs of locale en_US were found for bot alias {alias['botAliasId']} between "
              "2026-01-01T00:00:00Z and 2026-01-02T00:00:00Z.")
    assert described["failureReasons"] == [reason]
