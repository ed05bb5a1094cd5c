"""Talking to a built Lex V2 bot through boto3's lexv2-runtime: recognition, dialog, sessions, errors."""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import FIXTURES
from lexv2_helpers import load_export, real_exports, rebuild, simple_bot
from test_wire import error_of

from localexport.aws.errors import AWSError
from localexport.services.lexv2 import code_hooks

ALIAS = "TSTALIASID"


@pytest.fixture
def talk(make_client):
    return make_client("lexv2-runtime")


def _say(talk, bot, text, session="s1", **kw):
    return talk.recognize_text(botId=bot["botId"], botAliasId=kw.pop("alias", ALIAS), localeId="en_US",
                               sessionId=session, text=text, **kw)


def _texts(answer):
    return [m["content"] for m in answer.get("messages", [])]


def test_a_slot_is_elicited_then_the_intent_is_fulfilled(lex, talk):
    bot = simple_bot(lex)
    first = _say(talk, bot, "I want a pizza")
    assert first["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "size"}
    assert first["sessionState"]["intent"]["name"] == "OrderPizza"
    assert first["sessionState"]["intent"]["state"] == "InProgress"
    assert first["sessionState"]["intent"]["slots"].get("size") is None
    assert _texts(first) == ["Which size?"]
    assert first["interpretations"][0]["nluConfidence"]["score"] == 1.0
    second = _say(talk, bot, "big")  # a synonym: TopResolution answers its value
    slot = second["sessionState"]["intent"]["slots"]["size"]
    assert slot["value"] == {"originalValue": "big", "interpretedValue": "large", "resolvedValues": ["large"]}
    assert second["sessionState"]["intent"]["state"] == "Fulfilled"
    assert second["sessionState"]["dialogAction"]["type"] == "Close"
    assert second["sessionId"] == "s1"


def test_a_template_fills_its_slot_at_once(lex, talk):
    bot = simple_bot(lex)
    answer = _say(talk, bot, "Order a LARGE pizza!")
    assert answer["sessionState"]["intent"]["slots"]["size"]["value"]["interpretedValue"] == "large"
    assert answer["sessionState"]["intent"]["state"] == "Fulfilled"
    assert answer["interpretations"][0]["intent"]["name"] == "OrderPizza"


def test_unknown_text_is_the_fallback_intent_and_a_near_one_scores_under_one(lex, talk):
    bot = simple_bot(lex)
    answer = _say(talk, bot, "what is the weather on mars")
    assert answer["interpretations"][0]["intent"]["name"] == "FallbackIntent"
    assert "nluConfidence" not in answer["interpretations"][0]
    assert answer["sessionState"]["intent"]["name"] == "FallbackIntent"
    near = _say(talk, bot, "i want pizza please", session="s2")
    top = near["interpretations"][0]
    assert top["intent"]["name"] == "OrderPizza" and 0.4 <= top["nluConfidence"]["score"] < 1.0


def test_an_unanswered_slot_is_asked_again_then_falls_back(lex, talk):
    bot = simple_bot(lex)  # maxRetries 2
    _say(talk, bot, "I want a pizza")
    for _ in range(2):
        again = _say(talk, bot, "purple")
        assert again["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "size"}
        assert _texts(again) == ["Which size?"]
    given_up = _say(talk, bot, "purple")
    assert given_up["sessionState"]["intent"]["name"] == "FallbackIntent"


def _with_confirmation(lex, bot):
    intent = lex.describe_intent(**bot["where"], intentId=bot["intentId"])
    keep = {k: intent[k] for k in ("intentName", "sampleUtterances", "slotPriorities")}
    msg = lambda text: {"messageGroups": [{"message": {"plainTextMessage": {"value": text}}}]}
    lex.update_intent(**bot["where"], intentId=bot["intentId"], **keep,
                      intentConfirmationSetting={"promptSpecification": {**msg("A {size} pizza, right?"),
                                                                         "maxRetries": 1},
                                                 "declinationResponse": msg("Order cancelled.")},
                      intentClosingSetting={"closingResponse": msg("Your {size} pizza is on its way.")})
    lex.build_bot_locale(**bot["where"])


def test_confirmation_fulfils_on_yes_and_fails_on_no(lex, talk):
    bot = simple_bot(lex)
    _with_confirmation(lex, bot)
    asked = _say(talk, bot, "order a small pizza")
    assert asked["sessionState"]["dialogAction"]["type"] == "ConfirmIntent"
    assert _texts(asked) == ["A small pizza, right?"]
    done = _say(talk, bot, "yes")
    assert done["sessionState"]["intent"]["confirmationState"] == "Confirmed"
    assert done["sessionState"]["intent"]["state"] == "Fulfilled"
    assert _texts(done) == ["Your small pizza is on its way."]
    _say(talk, bot, "order a small pizza", session="s2")
    declined = _say(talk, bot, "no", session="s2")
    assert declined["sessionState"]["intent"]["confirmationState"] == "Denied"
    assert declined["sessionState"]["intent"]["state"] == "Failed"
    assert _texts(declined) == ["Order cancelled."]


def test_sessions_are_kept_read_replaced_and_deleted(lex, talk):
    bot = simple_bot(lex)
    ids = {"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US", "sessionId": "s1"}
    _say(talk, bot, "I want a pizza", sessionState={"sessionAttributes": {"table": "7"}})
    got = talk.get_session(**ids)
    assert got["sessionState"]["sessionAttributes"] == {"table": "7"}
    assert got["sessionState"]["dialogAction"]["slotToElicit"] == "size"
    assert got["messages"][0]["content"] == "Which size?"
    put = talk.put_session(**ids, sessionState={"sessionAttributes": {"table": "9"},
                                                "dialogAction": {"type": "ElicitSlot", "slotToElicit": "size"},
                                                "intent": {"name": "OrderPizza"}})
    state = json.loads(gzip.decompress(base64.b64decode(put["sessionState"])))
    assert state["intent"]["slots"] == {"size": None} and state["sessionAttributes"] == {"table": "9"}
    answer = _say(talk, bot, "small")
    assert answer["sessionState"]["intent"]["state"] == "Fulfilled"
    assert answer["sessionState"]["sessionAttributes"] == {"table": "9"}
    talk.delete_session(**ids)
    assert error_of(talk.get_session, **ids)[0] == "ResourceNotFoundException"


def test_a_session_expires_after_the_bots_idle_ttl(lex, talk, local):
    bot = simple_bot(lex)  # idleSessionTTLInSeconds 300
    _say(talk, bot, "I want a pizza")
    local.runtime.clock.advance(301)
    fresh = _say(talk, bot, "small")  # no slot is being elicited any more: "small" is not an intent
    assert fresh["sessionState"]["intent"]["name"] == "FallbackIntent"


def test_sessions_of_one_account_are_not_anothers(lex, talk, make_client):
    bot = simple_bot(lex)
    _say(talk, bot, "I want a pizza")
    other = make_client("lexv2-runtime", account="210987654321")
    code, status, _ = error_of(other.get_session, botId=bot["botId"], botAliasId=ALIAS, localeId="en_US",
                               sessionId="s1")
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_errors_for_a_missing_alias_locale_or_an_unbuilt_locale(lex, talk):
    bot = simple_bot(lex, build=False)
    code, status, message = error_of(talk.recognize_text, botId=bot["botId"], botAliasId=ALIAS, localeId="en_US",
                                     sessionId="s0", text="I want a pizza")
    assert (code, status) == ("ResourceNotFoundException", 404) and "build" in message
    code, _, _ = error_of(talk.recognize_text, botId=bot["botId"], botAliasId="NOSUCHALIA", localeId="en_US",
                          sessionId="s0", text="hi")
    assert code == "ResourceNotFoundException"
    code, _, _ = error_of(talk.recognize_text, botId=bot["botId"], botAliasId=ALIAS, localeId="fr_FR",
                          sessionId="s0", text="hi")
    assert code == "ResourceNotFoundException"
    code, _, _ = error_of(talk.recognize_text, botId="NOSUCHBOT1", botAliasId=ALIAS, localeId="en_US",
                          sessionId="s0", text="hi")
    assert code == "ResourceNotFoundException"


def test_an_alias_answers_with_its_version(lex, talk):
    bot = simple_bot(lex)
    version = lex.create_bot_version(botId=bot["botId"], botVersionLocaleSpecification={
        "en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]
    lex.get_waiter("bot_version_available").wait(botId=bot["botId"], botVersion=version,
                                                 WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    alias = lex.create_bot_alias(botId=bot["botId"], botAliasName="live", botVersion=version)["botAliasId"]
    # DRAFT changes after the version: the alias keeps answering as the version does
    lex.update_intent(**bot["where"], intentId=bot["intentId"], intentName="OrderPizza",
                      sampleUtterances=[{"utterance": "pie me"}])
    lex.build_bot_locale(**bot["where"])
    assert _say(talk, bot, "I want a pizza", alias=alias)["sessionState"]["intent"]["name"] == "OrderPizza"
    assert _say(talk, bot, "I want a pizza", session="dd")["sessionState"]["intent"]["name"] == "FallbackIntent"


def test_recognize_utterance_answers_text_and_refuses_audio(lex, talk):
    bot = simple_bot(lex)
    ids = {"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US", "sessionId": "u1"}
    answer = talk.recognize_utterance(**ids, requestContentType="text/plain; charset=utf-8",
                                      inputStream=b"order a big pizza")
    state = json.loads(gzip.decompress(base64.b64decode(answer["sessionState"])))
    assert state["intent"]["slots"]["size"]["value"]["interpretedValue"] == "large"
    assert json.loads(gzip.decompress(base64.b64decode(answer["inputTranscript"]))) == "order a big pizza"
    assert answer["inputMode"] == "Text"
    code, status, message = error_of(talk.recognize_utterance, **ids, requestContentType="audio/l16; rate=16000",
                                     inputStream=b"\x00\x01")
    assert (code, status) == ("ValidationException", 400) and "text/plain" in message


def test_a_registered_fulfillment_hook_gets_the_lambda_event_and_decides(lex, talk, local):
    bot = simple_bot(lex)
    intent = lex.describe_intent(**bot["where"], intentId=bot["intentId"])
    lex.update_intent(**bot["where"], intentId=bot["intentId"],
                      **{k: intent[k] for k in ("intentName", "sampleUtterances", "slotPriorities")},
                      fulfillmentCodeHook={"enabled": True})
    lex.build_bot_locale(**bot["where"])
    events = []

    def hook(event):
        events.append(event)
        state = event["sessionState"]
        state["intent"]["state"] = "Fulfilled"
        state["dialogAction"] = {"type": "Close"}
        return {"sessionState": state, "messages": [{"contentType": "PlainText", "content": "Baked."}]}

    code_hooks.register(local.runtime, "123456789012", "us-east-1", bot["botId"], ALIAS, "en_US", hook)
    answer = _say(talk, bot, "order a big pizza")
    assert _texts(answer) == ["Baked."]
    assert events[0]["invocationSource"] == "FulfillmentCodeHook"
    assert events[0]["inputTranscript"] == "order a big pizza"
    assert events[0]["bot"]["id"] == bot["botId"] and events[0]["bot"]["localeId"] == "en_US"


def test_an_intent_with_an_input_context_is_recognised_only_while_an_output_context_lives(lex, talk, local):
    bot = simple_bot(lex, build=False)
    intent = lex.describe_intent(**bot["where"], intentId=bot["intentId"])
    lex.update_intent(**bot["where"], intentId=bot["intentId"],
                      **{k: intent[k] for k in ("intentName", "sampleUtterances", "slotPriorities")},
                      outputContexts=[{"name": "ordered", "timeToLiveInSeconds": 60, "turnsToLive": 2}])
    lex.create_intent(**bot["where"], intentName="AddDrink", sampleUtterances=[{"utterance": "add a drink"}],
                      inputContexts=[{"name": "ordered"}])
    lex.build_bot_locale(**bot["where"])
    assert _say(talk, bot, "add a drink")["interpretations"][0]["intent"]["name"] == "FallbackIntent"
    done = _say(talk, bot, "order a big pizza", session="s2")
    assert done["sessionState"]["intent"]["state"] == "Fulfilled"
    assert done["sessionState"]["activeContexts"] == [
        {"name": "ordered", "timeToLive": {"timeToLiveInSeconds": 60, "turnsToLive": 2}, "contextAttributes": {}}]
    first = _say(talk, bot, "add a drink", session="s2")
    assert first["interpretations"][0]["intent"]["name"] == "AddDrink"
    assert first["sessionState"]["activeContexts"][0]["timeToLive"]["turnsToLive"] == 1
    second = _say(talk, bot, "add a drink", session="s2")
    assert second["interpretations"][0]["intent"]["name"] == "AddDrink"
    assert not second["sessionState"].get("activeContexts")
    assert _say(talk, bot, "add a drink", session="s2")["interpretations"][0]["intent"]["name"] == "FallbackIntent"
    # by time: fulfilled again, then 61 s pass on the server clock
    _say(talk, bot, "order a big pizza", session="s3")
    local.controls.advance_clock(61)
    assert _say(talk, bot, "add a drink", session="s3")["interpretations"][0]["intent"]["name"] == "FallbackIntent"
    # a context the client sets is active at once; an empty list clears them
    given = {"activeContexts": [{"name": "ordered", "timeToLive": {"timeToLiveInSeconds": 30, "turnsToLive": 5},
                                 "contextAttributes": {"table": "4"}}]}
    set_by_client = _say(talk, bot, "add a drink", session="s4", sessionState=given)
    assert set_by_client["interpretations"][0]["intent"]["name"] == "AddDrink"
    assert set_by_client["sessionState"]["activeContexts"][0]["contextAttributes"] == {"table": "4"}
    cleared = _say(talk, bot, "add a drink", session="s4", sessionState={"activeContexts": []})
    assert cleared["interpretations"][0]["intent"]["name"] == "FallbackIntent"


class _LambdaEndpoint(BaseHTTPRequestHandler):
    """A code hook on loopback: answers each event with ``server.answer(event)`` (a status and a JSON body)."""

    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.events.append(event)
        status, body = self.server.answer(event)
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LambdaEndpoint)
    server.events = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _with_hooks(lex, bot):
    intent = lex.describe_intent(**bot["where"], intentId=bot["intentId"])
    lex.update_intent(**bot["where"], intentId=bot["intentId"],
                      **{k: intent[k] for k in ("intentName", "sampleUtterances", "slotPriorities")},
                      fulfillmentCodeHook={"enabled": True})
    lex.build_bot_locale(**bot["where"])


def _closed(event: dict) -> dict:
    """A hook's answer state: the event's intent fulfilled and the dialog closed."""
    state = event["sessionState"]
    state["intent"]["state"] = "Fulfilled"
    state["dialogAction"] = {"type": "Close"}
    return state


def test_a_code_hook_endpoint_registered_through_the_controls_gets_the_event_and_decides(lex, talk, local,
                                                                                         endpoint, make_client):
    bot = simple_bot(lex)
    _with_hooks(lex, bot)

    def close(event):
        return 200, {"sessionState": _closed(event),
                     "messages": [{"contentType": "PlainText", "content": "Baked remotely."}]}

    endpoint.answer = close
    url = f"http://127.0.0.1:{endpoint.server_address[1]}/hook"
    ids = {"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US"}
    assert local.controls.console("lexv2-runtime", "PutCodeHook", "123456789012", "us-east-1",
                                  {**ids, "url": url}) == {**ids, "url": url}
    answer = _say(talk, bot, "order a big pizza")
    assert _texts(answer) == ["Baked remotely."]
    assert answer["sessionState"]["intent"]["state"] == "Fulfilled"
    assert [e["invocationSource"] for e in endpoint.events] == ["FulfillmentCodeHook"]
    assert endpoint.events[0]["sessionState"]["intent"]["slots"]["size"]["value"]["interpretedValue"] == "large"
    # another account's bot of the same id is not answered by this endpoint (nor can it register one here)
    other = make_client("lexv2-runtime", account="210987654321")
    assert error_of(other.recognize_text, **ids, sessionId="s1", text="order a big pizza")[0] == \
        "ResourceNotFoundException"
    # failing endpoints are a Lambda failing: DependencyFailedException, and the session is not advanced
    for status, body in ((500, {"errorMessage": "boom"}), (200, b"not json")):
        endpoint.answer = lambda event, s=status, b=body: (s, b)
        code, http_status, message = error_of(talk.recognize_text, **ids, sessionId="s2", text="order a big pizza")
        assert (code, http_status) == ("DependencyFailedException", 424) and "Invalid Lambda Response" in message
        assert error_of(talk.get_session, **ids, sessionId="s2")[0] == "ResourceNotFoundException"
    # removed: the bot behaves as if no code hook were enabled
    local.controls.console("lexv2-runtime", "PutCodeHook", "123456789012", "us-east-1", ids)
    assert _say(talk, bot, "order a big pizza", session="s3")["sessionState"]["intent"]["state"] == "Fulfilled"
    assert len(endpoint.events) == 3


def test_a_hook_answering_malformed_contexts_fails_the_turn_and_hides_the_urls_secrets(lex, talk, local,
                                                                                       endpoint):
    bot = simple_bot(lex)
    _with_hooks(lex, bot)

    def bad_contexts(event):
        return 200, {"sessionState": {**_closed(event), "activeContexts": [{"name": "x"}]}}

    endpoint.answer = bad_contexts
    ids = {"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US"}
    url = f"http://hook:s3cret@127.0.0.1:{endpoint.server_address[1]}/hook?token=t0ken"
    local.controls.console("lexv2-runtime", "PutCodeHook", "123456789012", "us-east-1", {**ids, "url": url})
    code, status, message = error_of(talk.recognize_text, **ids, sessionId="s1", text="order a big pizza")
    assert (code, status) == ("DependencyFailedException", 424) and "timeToLive" in message
    assert error_of(talk.get_session, **ids, sessionId="s1")[0] == "ResourceNotFoundException"  # nothing kept
    endpoint.answer = lambda event: (503, {})
    message = error_of(talk.recognize_text, **ids, sessionId="s1", text="order a big pizza")[2]
    assert "503" in message and "s3cret" not in message and "t0ken" not in message


def test_a_context_sent_back_with_another_lifetime_starts_it_again(lex, talk, local):
    bot = simple_bot(lex, build=False)
    lex.create_intent(**bot["where"], intentName="AddDrink", sampleUtterances=[{"utterance": "add a drink"}],
                      inputContexts=[{"name": "ordered"}])
    lex.build_bot_locale(**bot["where"])
    context = {"name": "ordered", "timeToLive": {"timeToLiveInSeconds": 10, "turnsToLive": 5},
               "contextAttributes": {}}
    first = _say(talk, bot, "add a drink", sessionState={"activeContexts": [context]})
    assert first["interpretations"][0]["intent"]["name"] == "AddDrink"
    local.controls.advance_clock(8)
    longer = {**context, "timeToLive": {"timeToLiveInSeconds": 60, "turnsToLive": 5}}
    _say(talk, bot, "add a drink", sessionState={"activeContexts": [longer]})
    local.controls.advance_clock(8)  # 16 s after the first: the first lifetime would be over
    assert _say(talk, bot, "add a drink")["interpretations"][0]["intent"]["name"] == "AddDrink"


def test_recognize_utterance_refuses_a_session_state_header_of_the_wrong_shape(lex, talk):
    bot = simple_bot(lex)
    ids = {"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US", "sessionId": "s1"}
    for state in ([1], {"sessionAttributes": {"a": 1}}, {"activeContexts": [{"name": "x"}]}, {"intent": "x"}):
        header = base64.b64encode(json.dumps(state).encode()).decode()
        code, status, _ = error_of(talk.recognize_utterance, **ids, requestContentType="text/plain; charset=utf-8",
                                   inputStream=b"order a big pizza", sessionState=header)
        assert (code, status) == ("ValidationException", 400), state


def test_put_code_hook_refuses_a_missing_bot_or_alias_and_a_url_that_is_not_http(lex, local):
    bot = simple_bot(lex, build=False)
    put = lambda **p: local.controls.console("lexv2-runtime", "PutCodeHook", "123456789012", "us-east-1", p)
    for params, code in (({"botId": "NOSUCHBOT1", "botAliasId": ALIAS, "localeId": "en_US", "url": "http://x/"},
                          "ResourceNotFoundException"),
                         ({"botId": bot["botId"], "botAliasId": "NOSUCHALIA", "localeId": "en_US", "url": "http://x/"},
                          "ResourceNotFoundException"),
                         ({"botId": bot["botId"], "botAliasId": ALIAS, "localeId": "en_US", "url": "file:///etc/passwd"},
                          "ValidationException"),
                         ({"botId": bot["botId"], "localeId": "en_US"}, "ValidationException")):
        with pytest.raises(AWSError) as raised:
            put(**params)
        assert raised.value.code == code


def _filled(utterance: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), "1"), utterance)


@pytest.mark.parametrize("name", real_exports())
def test_a_real_bot_recognises_its_own_sample_utterances(lex, talk, name):
    tree = load_export(FIXTURES / "lexv2" / name)
    bot_id = rebuild(lex, tree)
    locales = sorted({k.split("/")[2] for k in tree if "/BotLocales/" in k})
    said = right = 0
    for locale in locales:
        where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": locale}
        lex.build_bot_locale(**where)
        utterances: dict[str, set[str]] = {}
        for path, doc in tree.items():
            if path.endswith("/Intent.json") and f"/BotLocales/{locale}/" in path:
                for u in doc.get("sampleUtterances") or []:
                    if "{" not in u["utterance"]:
                        utterances.setdefault(" ".join(u["utterance"].casefold().split()), set()).add(doc["name"])
        for text, intents in sorted(utterances.items()):
            if len(intents) > 1:
                continue  # the same utterance in two intents: either is right
            answer = talk.recognize_text(botId=bot_id, botAliasId=ALIAS, localeId=locale, sessionId=f"t{said}",
                                         text=text)
            said += 1
            right += answer["interpretations"][0]["intent"]["name"] in intents
    assert right == said, f"{right} of {said} sample utterances recognised as their own intent"


EXAMPLES = {"AMAZON.Number": "5", "AMAZON.Date": "tomorrow", "AMAZON.Time": "3 pm", "AMAZON.AlphaNumeric": "A1B2",
            "AMAZON.City": "Paris", "AMAZON.FirstName": "Ana", "AMAZON.EmailAddress": "ana@example.com",
            "AMAZON.PhoneNumber": "5551234567", "AMAZON.UKPostalCode": "SW1A 1AA", "AMAZON.Confirmation": "yes"}


def _slot_examples(tree: dict, intent_path: str) -> dict[str, str]:
    """A value for each slot of an intent: its custom type's first sample value, or a built-in's example."""
    folder = intent_path.rsplit("/", 1)[0]
    locale_root = folder.split("/Intents/")[0]
    types = {doc["name"]: doc for path, doc in tree.items()
             if path.startswith(locale_root + "/SlotTypes/") and path.endswith("SlotType.json")}
    values = {}
    for path, slot in tree.items():
        if path.startswith(folder + "/Slots/") and path.endswith("Slot.json"):
            own = types.get(slot["slotTypeName"])
            samples = [v["sampleValue"]["value"] for v in (own or {}).get("slotTypeValues") or []]
            values[slot["name"]] = samples[0] if samples else EXAMPLES.get(
                (own or {}).get("parentSlotTypeSignature") or slot["slotTypeName"], "something")
    return values


@pytest.mark.parametrize("name", real_exports())
def test_a_real_bot_recognises_its_sample_utterances_with_slots(lex, talk, name):
    tree = load_export(FIXTURES / "lexv2" / name)
    bot_id = rebuild(lex, tree)
    said = right = 0
    for locale in sorted({k.split("/")[2] for k in tree if "/BotLocales/" in k}):
        lex.build_bot_locale(botId=bot_id, botVersion="DRAFT", localeId=locale)
        for path, doc in sorted(tree.items()):
            if not (path.endswith("/Intent.json") and f"/BotLocales/{locale}/" in path):
                continue
            examples = _slot_examples(tree, path)
            for u in doc.get("sampleUtterances") or []:
                if "{" in u["utterance"]:
                    answer = talk.recognize_text(botId=bot_id, botAliasId=ALIAS, localeId=locale,
                                                 sessionId=f"t{said}", text=_filled(u["utterance"], examples))
                    said += 1
                    right += answer["interpretations"][0]["intent"]["name"] == doc["name"]
    if said == 0:
        pytest.skip(f"{name} has no sample utterance with a slot")
    assert right >= 0.95 * said, f"{right} of {said} slotted sample utterances recognised as their own intent"
