"""A bot pipeline against a real ``localexport serve`` process: a real export imported, built, versioned,
aliased, then talked to through lexv2-runtime, and scored by a test execution."""

from __future__ import annotations

import pytest
import requests
from conftest import FIXTURES, client
from lexv2_helpers import bot_spec, import_archive

PIZZA = FIXTURES / "lexv2" / "manicachetty__PizzaDeliveryBot" / "PizzaDelivery-DRAFT-AY2WR0FGHA-LexJson (1).zip"
WAIT = {"Delay": 0.1, "MaxAttempts": 100}


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
