"""Talking to a built Lex V1 bot through boto3's lex-runtime: PostText, PostContent, sessions, errors."""

from __future__ import annotations

import json
import re

import pytest
from conftest import FIXTURES
from lexv2_helpers import zip_bytes
from test_lexv1 import _lex_files, _read
from test_wire import error_of

SIZE_PROMPT = {"messages": [{"contentType": "PlainText", "content": "Which size?"}], "maxAttempts": 2}
CONFIRM = {"messages": [{"contentType": "PlainText", "content": "A {size} pizza, right?"}], "maxAttempts": 2}
CLARIFY = {"messages": [{"contentType": "PlainText", "content": "Sorry, what would you like?"}], "maxAttempts": 2}


def statement(text: str) -> dict:
    return {"messages": [{"contentType": "PlainText", "content": text}]}


@pytest.fixture
def v1(make_client):
    return make_client("lex-models")


@pytest.fixture
def talk(make_client):
    return make_client("lex-runtime")


def make_bot(v1, confirm: bool = True, name: str = "PizzaBot") -> None:
    """OrderPizza (a required size, confirmation, ReturnIntent) and Hello (a code hook with a conclusion)."""
    v1.put_slot_type(name="Sizes", enumerationValues=[{"value": "small", "synonyms": ["tiny"]},
                                                      {"value": "large", "synonyms": ["big"]}],
                     valueSelectionStrategy="TOP_RESOLUTION")
    sizes = v1.create_slot_type_version(name="Sizes")["version"]
    extra = {"confirmationPrompt": CONFIRM, "rejectionStatement": statement("Okay, no pizza.")} if confirm else {}
    v1.put_intent(name="OrderPizza", sampleUtterances=["I want a pizza", "order a {size} pizza"],
                  slots=[{"name": "size", "slotConstraint": "Required", "slotType": "Sizes", "slotTypeVersion": sizes,
                          "valueElicitationPrompt": SIZE_PROMPT, "priority": 1}],
                  fulfillmentActivity={"type": "ReturnIntent"}, **extra)
    v1.put_intent(name="Hello", sampleUtterances=["hello there", "good morning"],
                  conclusionStatement=statement("Hello to you too."),
                  fulfillmentActivity={"type": "CodeHook", "codeHook": {
                      "uri": "arn:aws:lambda:us-east-1:123456789012:function:hello", "messageVersion": "1.0"}})
    versions = {i: v1.create_intent_version(name=i)["version"] for i in ("OrderPizza", "Hello")}
    v1.put_bot(name=name, locale="en-US", childDirected=False, processBehavior="BUILD",
               intents=[{"intentName": i, "intentVersion": v} for i, v in versions.items()],
               clarificationPrompt=CLARIFY, abortStatement=statement("I give up."), idleSessionTTLInSeconds=300)


def say(talk, text, user="u1", alias="$LATEST", bot="PizzaBot", **kw):
    return talk.post_text(botName=bot, botAlias=alias, userId=user, inputText=text, **kw)


def test_a_slot_is_elicited_then_confirmed_then_ready_for_fulfillment(v1, talk):
    make_bot(v1)
    first = say(talk, "I want a pizza")
    assert (first["dialogState"], first["intentName"], first["slotToElicit"]) == ("ElicitSlot", "OrderPizza", "size")
    assert first["message"] == "Which size?" and first["messageFormat"] == "PlainText"
    assert first["nluIntentConfidence"] == {"score": 1.0}
    assert first["botVersion"] == "$LATEST" and first["sessionId"]
    second = say(talk, "big")  # a synonym: TOP_RESOLUTION answers its value
    assert second["dialogState"] == "ConfirmIntent" and second["slots"] == {"size": "large"}
    assert second["message"] == "A large pizza, right?"
    third = say(talk, "yes")
    assert third["dialogState"] == "ReadyForFulfillment" and third["intentName"] == "OrderPizza"
    assert third["slots"] == {"size": "large"} and "message" not in third
    assert third["sessionId"] == first["sessionId"]


def test_a_template_fills_the_slot_and_without_confirmation_it_is_ready_at_once(v1, talk):
    make_bot(v1, confirm=False)
    answer = say(talk, "order a tiny pizza")
    assert answer["dialogState"] == "ReadyForFulfillment" and answer["slots"] == {"size": "small"}


def test_a_code_hook_intent_is_fulfilled_with_its_conclusion_statement(v1, talk):
    make_bot(v1)
    answer = say(talk, "hello there")
    assert (answer["dialogState"], answer["intentName"], answer["message"]) == ("Fulfilled", "Hello",
                                                                                 "Hello to you too.")


def test_no_to_the_confirmation_says_the_rejection_statement_and_fails(v1, talk):
    make_bot(v1)
    say(talk, "order a large pizza")
    answer = say(talk, "no")
    assert (answer["dialogState"], answer["message"]) == ("Failed", "Okay, no pizza.")
    again = say(talk, "hello there")  # a new conversation starts after the failure
    assert again["dialogState"] == "Fulfilled"


def test_unknown_text_is_clarified_then_aborted_after_max_attempts(v1, talk):
    make_bot(v1)
    for _ in range(2):
        answer = say(talk, "what is the weather on mars")
        assert (answer["dialogState"], answer["message"]) == ("ElicitIntent", "Sorry, what would you like?")
        assert "intentName" not in answer
    aborted = say(talk, "what is the weather on mars")
    assert (aborted["dialogState"], aborted["message"]) == ("Failed", "I give up.")
    fresh = say(talk, "what is the weather on mars")  # the count starts again
    assert fresh["dialogState"] == "ElicitIntent"


def test_a_fallback_intent_answers_in_place_of_the_abort_statement(v1, talk):
    make_bot(v1)
    v1.put_intent(name="Fallback", parentIntentSignature="AMAZON.FallbackIntent")
    bot = v1.get_bot(name="PizzaBot", versionOrAlias="$LATEST")
    v1.put_bot(name="PizzaBot", locale="en-US", childDirected=False, checksum=bot["checksum"],
               intents=[*bot["intents"], {"intentName": "Fallback", "intentVersion": "$LATEST"}],
               clarificationPrompt=CLARIFY, abortStatement=statement("I give up."))
    for _ in range(2):
        assert say(talk, "what is the weather on mars")["dialogState"] == "ElicitIntent"
    answer = say(talk, "what is the weather on mars")
    assert (answer["dialogState"], answer["intentName"]) == ("ReadyForFulfillment", "Fallback")


def test_a_slot_prompt_asked_max_attempts_times_aborts(v1, talk):
    make_bot(v1)
    say(talk, "I want a pizza")  # the prompt, first time
    again = say(talk, "purple")
    assert (again["dialogState"], again["message"]) == ("ElicitSlot", "Which size?")
    aborted = say(talk, "purple")
    assert (aborted["dialogState"], aborted["intentName"], aborted["message"]) == ("Failed", "OrderPizza",
                                                                                   "I give up.")


def test_a_prompt_of_two_message_groups_is_a_composite_message(v1, talk):
    v1.put_intent(name="Book", sampleUtterances=["book a table"], fulfillmentActivity={"type": "ReturnIntent"},
                  slots=[{"name": "guests", "slotConstraint": "Required", "slotType": "AMAZON.NUMBER", "priority": 1,
                          "valueElicitationPrompt": {"maxAttempts": 2, "messages": [
                              {"contentType": "PlainText", "content": "Sure.", "groupNumber": 1},
                              {"contentType": "PlainText", "content": "For how many, [name]?", "groupNumber": 2}]}}])
    v1.put_bot(name="TableBot", locale="en-US", childDirected=False,
               intents=[{"intentName": "Book", "intentVersion": "$LATEST"}])
    answer = say(talk, "book a table", bot="TableBot", sessionAttributes={"name": "Ana"})
    assert answer["messageFormat"] == "Composite"
    assert json.loads(answer["message"]) == {"messages": [{"type": "PlainText", "group": 1, "value": "Sure."},
                                                          {"type": "PlainText", "group": 2,
                                                           "value": "For how many, Ana?"}]}
    assert say(talk, "four", bot="TableBot")["slots"] == {"guests": "4"}


def test_output_contexts_become_active_and_gate_input_contexts(v1, talk):
    v1.put_intent(name="Greet", sampleUtterances=["hello there"], fulfillmentActivity={"type": "ReturnIntent"},
                  outputContexts=[{"name": "greeted", "timeToLiveInSeconds": 60, "turnsToLive": 2}])
    v1.put_intent(name="Thanks", sampleUtterances=["thank you"], fulfillmentActivity={"type": "ReturnIntent"},
                  inputContexts=[{"name": "greeted"}])
    v1.put_bot(name="ContextBot", locale="en-US", childDirected=False, clarificationPrompt=CLARIFY,
               abortStatement=statement("I give up."),
               intents=[{"intentName": i, "intentVersion": "$LATEST"} for i in ("Greet", "Thanks")])
    assert say(talk, "thank you", bot="ContextBot")["dialogState"] == "ElicitIntent"  # not greeted yet
    greeted = say(talk, "hello there", bot="ContextBot")
    assert greeted["dialogState"] == "ReadyForFulfillment"
    assert greeted["activeContexts"] == [{"name": "greeted", "timeToLive": {"timeToLiveInSeconds": 60,
                                                                            "turnsToLive": 2}, "parameters": {}}]
    assert say(talk, "thank you", bot="ContextBot")["intentName"] == "Thanks"


def test_session_attributes_are_kept_and_substituted(v1, talk):
    make_bot(v1)
    answer = say(talk, "I want a pizza", sessionAttributes={"table": "7"})
    assert answer["sessionAttributes"] == {"table": "7"}
    assert say(talk, "big")["sessionAttributes"] == {"table": "7"}


def test_put_get_and_delete_session(v1, talk):
    make_bot(v1)
    put = talk.put_session(botName="PizzaBot", botAlias="$LATEST", userId="u1", sessionAttributes={"a": "b"},
                           dialogAction={"type": "ElicitSlot", "intentName": "OrderPizza", "slotToElicit": "size"})
    assert (put["dialogState"], put["intentName"], put["slotToElicit"]) == ("ElicitSlot", "OrderPizza", "size")
    assert put["sessionAttributes"] == {"a": "b"} and put["message"] == "Which size?"  # decoded by botocore
    got = talk.get_session(botName="PizzaBot", botAlias="$LATEST", userId="u1")
    assert got["sessionAttributes"] == {"a": "b"} and got["sessionId"] == put["sessionId"]
    assert got["dialogAction"]["type"] == "ElicitSlot" and got["dialogAction"]["slotToElicit"] == "size"
    assert got["recentIntentSummaryView"][0]["intentName"] == "OrderPizza"
    assert say(talk, "small")["dialogState"] == "ConfirmIntent"  # the put session goes on
    deleted = talk.delete_session(botName="PizzaBot", botAlias="$LATEST", userId="u1")
    assert deleted["sessionId"] == put["sessionId"] and deleted["userId"] == "u1"
    code, status, _ = error_of(talk.get_session, botName="PizzaBot", botAlias="$LATEST", userId="u1")
    assert (code, status) == ("NotFoundException", 404)
    code, status, _ = error_of(talk.put_session, botName="PizzaBot", botAlias="$LATEST", userId="u1",
                               dialogAction={"type": "ElicitSlot", "intentName": "Nope", "slotToElicit": "size"})
    assert (code, status) == ("BadRequestException", 400)


def test_put_session_sets_each_dialog_action(v1, talk):
    make_bot(v1)
    where = {"botName": "PizzaBot", "botAlias": "$LATEST", "userId": "u1"}
    confirm = talk.put_session(**where, dialogAction={"type": "ConfirmIntent", "intentName": "OrderPizza",
                                                      "slots": {"size": "small"}})
    assert (confirm["dialogState"], confirm["slots"], confirm["message"]) == ("ConfirmIntent", {"size": "small"},
                                                                              "A small pizza, right?")
    assert say(talk, "yes")["dialogState"] == "ReadyForFulfillment"
    closed = talk.put_session(**where, dialogAction={"type": "Close", "intentName": "Hello",
                                                     "fulfillmentState": "Fulfilled", "message": "Bye."})
    assert (closed["dialogState"], closed["message"], closed["messageFormat"]) == ("Fulfilled", "Bye.", "PlainText")
    elicit = talk.put_session(**where, dialogAction={"type": "ElicitIntent"})
    assert (elicit["dialogState"], elicit["message"]) == ("ElicitIntent", "Sorry, what would you like?")
    got = talk.get_session(**where)
    assert [s["intentName"] for s in got["recentIntentSummaryView"]] == ["Hello", "OrderPizza"]
    for action in ({"type": "Delegate", "intentName": "OrderPizza"}, {"type": "Close", "intentName": "Hello"},
                   {"type": "ElicitSlot", "intentName": "OrderPizza", "slotToElicit": "colour"}):
        code, status, _ = error_of(talk.put_session, **where, dialogAction=action)
        assert (code, status) == ("BadRequestException", 400), action
    code, status, _ = error_of(talk.put_session, **where, accept="audio/mpeg")
    assert (code, status) == ("NotAcceptableException", 406)


def test_a_session_expires_after_the_bots_idle_ttl(v1, talk, local):
    make_bot(v1)
    say(talk, "I want a pizza")
    local.runtime.clock.advance(301)
    code, _, _ = error_of(talk.get_session, botName="PizzaBot", botAlias="$LATEST", userId="u1")
    assert code == "NotFoundException"
    assert say(talk, "big")["dialogState"] == "ElicitIntent"  # "big" alone starts nothing


def test_sessions_of_one_account_are_not_anothers(v1, talk, make_client):
    make_bot(v1)
    say(talk, "I want a pizza")
    other = make_client("lex-runtime", account="210987654321")
    code, status, message = error_of(other.get_session, botName="PizzaBot", botAlias="$LATEST", userId="u1")
    assert (code, status) == ("NotFoundException", 404) and "bot" in message  # not even the bot is there
    make_bot(make_client("lex-models", account="210987654321"))  # the same bot, its own sessions
    code, status, message = error_of(other.get_session, botName="PizzaBot", botAlias="$LATEST", userId="u1")
    assert (code, status) == ("NotFoundException", 404) and "session" in message
    assert say(other, "big")["dialogState"] == "ElicitIntent"
    assert say(talk, "big")["dialogState"] == "ConfirmIntent"


def test_unknown_bot_alias_or_unbuilt_bot_is_not_found(v1, talk):
    make_bot(v1)
    for bot, alias in (("NoSuchBot", "$LATEST"), ("PizzaBot", "nosuch")):
        code, status, _ = error_of(talk.post_text, botName=bot, botAlias=alias, userId="u1", inputText="hi")
        assert (code, status) == ("NotFoundException", 404)
    intents = v1.get_bot(name="PizzaBot", versionOrAlias="$LATEST")["intents"]
    v1.put_bot(name="SavedBot", locale="en-US", childDirected=False, intents=intents, processBehavior="SAVE")
    code, status, message = error_of(talk.post_text, botName="SavedBot", botAlias="$LATEST", userId="u1",
                                     inputText="hi")
    assert (code, status) == ("NotFoundException", 404) and "build" in message


def test_post_content_takes_text_and_answers_in_headers(v1, talk):
    make_bot(v1)
    answer = talk.post_content(botName="PizzaBot", botAlias="$LATEST", userId="u1", contentType="text/plain; "
                               "charset=utf-8", accept="text/plain; charset=utf-8", inputStream=b"order a big pizza",
                               sessionAttributes={"table": "7"})
    assert answer["dialogState"] == "ConfirmIntent" and answer["intentName"] == "OrderPizza"
    assert answer["slots"] == {"size": "large"} and answer["sessionAttributes"] == {"table": "7"}
    assert answer["nluIntentConfidence"] == {"score": 1.0}
    assert answer["message"] == "A large pizza, right?" and answer["inputTranscript"] == "order a big pizza"
    assert answer["contentType"].startswith("text/plain") and answer["audioStream"].read() == b""
    code, status, message = error_of(talk.post_content, botName="PizzaBot", botAlias="$LATEST", userId="u1",
                                     contentType="audio/l16; rate=16000; channels=1", inputStream=b"\0\0")
    assert (code, status) == ("BadRequestException", 400) and "speech" in message


def test_an_alias_keeps_its_version_when_latest_changes(v1, talk):
    make_bot(v1)
    version = v1.create_bot_version(name="PizzaBot")["version"]
    v1.put_bot_alias(name="prod", botName="PizzaBot", botVersion=version)
    bot = v1.get_bot(name="PizzaBot", versionOrAlias="$LATEST")
    hello = [i for i in bot["intents"] if i["intentName"] == "Hello"]
    v1.put_bot(name="PizzaBot", locale="en-US", childDirected=False, intents=hello, checksum=bot["checksum"],
               clarificationPrompt=CLARIFY, abortStatement=statement("I give up."))
    on_alias = say(talk, "I want a pizza", alias="prod")
    assert on_alias["intentName"] == "OrderPizza" and on_alias["botVersion"] == version
    on_latest = say(talk, "I want a pizza", user="u2")
    assert on_latest["dialogState"] == "ElicitIntent"


# -- real V1 exports ----------------------------------------------------------------------------------


def _bot_files() -> list:
    """The real V1 bot exports (of the Lex files test_lexv1 imports)."""
    return [f for f in _lex_files() if not isinstance(f, str) or '"intents"' in
            _read(FIXTURES / "lexv1" / f).decode("utf-8", "replace")]


EXAMPLES = {"AMAZON.NUMBER": "5", "AMAZON.DATE": "tomorrow", "AMAZON.TIME": "3 pm", "AMAZON.US_FIRST_NAME": "Ana",
            "AMAZON.US_CITY": "Seattle", "AMAZON.PhoneNumber": "5551234567"}


def _slot_examples(resource: dict, intent: dict) -> dict[str, str]:
    """A value for each slot of an intent: its custom type's first value, or a built-in's example."""
    types = {t["name"]: t for t in resource.get("slotTypes") or []}
    return {slot["name"]: (types[slot["slotType"]]["enumerationValues"][0]["value"]
                           if slot["slotType"] in types and types[slot["slotType"]].get("enumerationValues")
                           else EXAMPLES.get(slot["slotType"], "something"))
            for slot in intent.get("slots") or []}


@pytest.mark.parametrize("example", _bot_files())
def test_a_real_bot_recognises_its_own_sample_utterances(v1, talk, fixtures_dir, example):
    path = fixtures_dir / "lexv1" / example
    data = _read(path)
    resource = json.loads(data)["resource"]
    payload = path.read_bytes() if path.suffix == ".zip" else zip_bytes({f"{resource['name']}_Export.json": data})
    started = v1.start_import(payload=payload, resourceType="BOT", mergeStrategy="FAIL_ON_CONFLICT")
    assert v1.get_import(importId=started["importId"])["importStatus"] == "COMPLETE"
    if not re.fullmatch(r"[a-zA-Z_]+", resource["name"]):
        pytest.skip("the model's name patterns refuse this bot's name: every call naming it is refused")
    bot = v1.get_bot(name=resource["name"], versionOrAlias="$LATEST")
    if bot["status"] != "READY":  # an import saves the bot: build it
        v1.put_bot(**{k: bot[k] for k in ("name", "locale", "childDirected", "intents", "checksum") if k in bot},
                   **{k: bot[k] for k in ("clarificationPrompt", "abortStatement") if k in bot},
                   processBehavior="BUILD")
    utterances: dict[str, set[str]] = {}
    for intent in resource["intents"]:
        values = _slot_examples(resource, intent)
        for u in intent.get("sampleUtterances") or []:
            if not re.sub(r"\{[^}]+\}", "", u).strip():
                continue  # a slot alone: only its value could say which intent it is
            text = re.sub(r"\{([^}]+)\}", lambda m, v=values: v.get(m.group(1), "something"), u)
            utterances.setdefault(" ".join(text.casefold().split()), set()).add(intent["name"])
    said = right = 0
    for text, intents in sorted(utterances.items()):
        if len(intents) > 1:
            continue  # the same utterance in two intents: either is right
        answer = say(talk, text, user=f"t{said}", bot=resource["name"])
        said += 1
        right += answer.get("intentName") in intents
    assert right == said, f"{right} of {said} sample utterances recognised as their own intent"


def test_put_session_keeps_the_recent_intents_the_client_gives(v1, talk):
    make_bot(v1)
    say(talk, "order a big pizza")
    where = {"botName": "PizzaBot", "botAlias": "$LATEST", "userId": "u1"}
    view = [{"intentName": "Hello", "checkpointLabel": "cp", "dialogActionType": "Close",
             "fulfillmentState": "Fulfilled", "confirmationStatus": "None"},
            {"intentName": "OrderPizza", "checkpointLabel": "cp2", "dialogActionType": "ElicitSlot",
             "slotToElicit": "size", "slots": {}, "confirmationStatus": "None"}]
    talk.put_session(**where, recentIntentSummaryView=view)
    got = talk.get_session(**where, checkpointLabelFilter="cp2")["recentIntentSummaryView"]
    assert [(s["intentName"], s["checkpointLabel"], s["dialogActionType"]) for s in got] == [
        ("OrderPizza", "cp2", "ElicitSlot")]


@pytest.mark.parametrize("header, value", [
    ("sessionAttributes", ["x"]), ("sessionAttributes", {"a": {"b": 1}}), ("requestAttributes", "s"),
    ("activeContexts", [{"name": "x"}]), ("activeContexts", {"a": 1}), ("activeContexts", [1])])
def test_post_content_refuses_json_headers_of_the_wrong_shape(v1, talk, header, value):
    make_bot(v1)
    code, status, message = error_of(talk.post_content, botName="PizzaBot", botAlias="$LATEST", userId="u1",
                                     contentType="text/plain; charset=utf-8", inputStream=b"order a big pizza",
                                     **{header: value})
    assert (code, status) == ("BadRequestException", 400) and header in message
    assert error_of(talk.get_session, botName="PizzaBot", botAlias="$LATEST", userId="u1")[0] == "NotFoundException"
