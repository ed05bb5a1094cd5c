"""The Lex V2 runtime's NLU on its own: intent matching, slot filling, built-in slot types (no server)."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import botocore.session
import pytest
from conftest import FIXTURES

from localexport.services.lexv2 import lexjson
from localexport.services.lexv2.builtin_values import Context, example, is_latin, key, resolve_builtin
from localexport.services.lexv2.nlu import DEFAULT_THRESHOLD, LocaleModel
from localexport.services.lexv2.slot_values import SlotType

NOW = datetime(2020, 11, 25, 10, 0)  # a Wednesday: the date of the examples of built-in-slot-date.html


def hotel_bot(threshold: float | None = 0.4, locale_id: str = "en_US") -> LocaleModel:
    locale = {"localeId": locale_id, **({"nluIntentConfidenceThreshold": threshold} if threshold is not None else {})}
    intents = [
        {"intentId": "BOOK", "intentName": "BookHotel",
         "sampleUtterances": [{"utterance": "book a {RoomType} room in {Location}"},
                              {"utterance": "I want to book a hotel"}],
         "slotPriorities": [{"priority": 2, "slotId": "LOC"}, {"priority": 1, "slotId": "ROOM"},
                            {"priority": 3, "slotId": "DATE"}]},
        {"intentId": "PIZZA", "intentName": "OrderPizza",
         "sampleUtterances": [{"utterance": "I want a pizza"}, {"utterance": "order {Count} pizzas with {Toppings}"}]},
        {"intentId": "CODE", "intentName": "CheckAirport", "sampleUtterances": [{"utterance": "is {Code} open"}]},
        {"intentId": "FALLBCKINT", "intentName": "FallbackIntent", "parentIntentSignature": "AMAZON.FallbackIntent"},
        {"intentId": "CANCEL", "intentName": "Cancel", "parentIntentSignature": "AMAZON.CancelIntent"},
    ]
    slots = [
        {"intentId": "BOOK", "slotId": "ROOM", "slotName": "RoomType", "slotTypeId": "ROOMTYPE",
         "valueElicitationSetting": {"slotConstraint": "Required"}},
        {"intentId": "BOOK", "slotId": "LOC", "slotName": "Location", "slotTypeId": "AMAZON.City",
         "valueElicitationSetting": {"slotConstraint": "Required", "sampleUtterances": [
             {"utterance": "{Location} please"}, {"utterance": "I want {Location}"}]}},
        {"intentId": "BOOK", "slotId": "DATE", "slotName": "CheckIn", "slotTypeId": "AMAZON.Date",
         "valueElicitationSetting": {"slotConstraint": "Optional"}},
        {"intentId": "PIZZA", "slotId": "COUNT", "slotName": "Count", "slotTypeId": "AMAZON.Number",
         "valueElicitationSetting": {"slotConstraint": "Required"}},
        {"intentId": "PIZZA", "slotId": "TOP", "slotName": "Toppings", "slotTypeId": "TOPPINGS",
         "valueElicitationSetting": {"slotConstraint": "Optional"}, "multipleValuesSetting": {"allowMultipleValues": True}},
        {"intentId": "CODE", "slotId": "CODE", "slotName": "Code", "slotTypeId": "AIRPORT",
         "valueElicitationSetting": {"slotConstraint": "Required"}},
    ]
    types = [
        {"slotTypeId": "ROOMTYPE", "slotTypeName": "RoomType", "valueSelectionSetting": {"resolutionStrategy": "TopResolution"},
         "slotTypeValues": [{"sampleValue": {"value": "king"}, "synonyms": [{"value": "large"}]},
                            {"sampleValue": {"value": "queen"}, "synonyms": None}]},
        {"slotTypeId": "TOPPINGS", "slotTypeName": "Toppings", "valueSelectionSetting": {"resolutionStrategy": "OriginalValue"},
         "slotTypeValues": [{"sampleValue": {"value": v}} for v in ("pepperoni", "pineapple", "extra cheese")]},
        {"slotTypeId": "AIRPORT", "slotTypeName": "Airport", "parentSlotTypeSignature": "AMAZON.AlphaNumeric",
         "valueSelectionSetting": {"resolutionStrategy": "OriginalValue", "regexFilter": {"pattern": "[A-Z]{3}"}}},
    ]
    return LocaleModel.from_documents(locale, intents, slots, types)


def value(slot: dict | None) -> dict | None:
    return slot["value"] if slot else None


# -- intents ---------------------------------------------------------------------


def test_an_exact_sample_utterance_scores_one_and_the_fallback_intent_comes_last_without_a_score():
    result = hotel_bot().interpret("I want to book a hotel!", NOW)
    assert result[0].intent_name == "BookHotel" and result[0].score == 1.0
    assert result[0].slots == {"RoomType": None, "Location": None, "CheckIn": None}
    assert result[-1].intent_name == "FallbackIntent" and result[-1].score is None
    assert len(result) <= 5
    scores = [i.score for i in result if i.score is not None]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 and round(s, 2) == s for s in scores)


@pytest.mark.parametrize("text", ["i want to bok a hotl", "I want to book hotel", "want to book a hotel please"])
def test_a_near_miss_is_recognised_with_a_score_below_an_exact_match(text):
    best = hotel_bot().interpret(text, NOW)[0]
    assert best.intent_name == "BookHotel"
    assert 0.4 <= best.score < 1.0


def test_under_the_threshold_the_fallback_intent_comes_first():
    result = hotel_bot().interpret("what is the weather like", NOW)
    assert result[0].intent_name == "FallbackIntent" and result[0].score is None
    assert all(i.score < 0.4 for i in result[1:])
    # the same near miss that passes the default threshold is under a strict one
    assert hotel_bot(threshold=0.99).interpret("I want to book hotel", NOW)[0].intent_name == "FallbackIntent"


def test_a_locale_without_a_threshold_takes_the_default():
    assert hotel_bot(threshold=None).threshold == DEFAULT_THRESHOLD == 0.4


def test_built_in_intents_get_their_common_utterances():
    for text in ("cancel", "Never mind.", "forget it"):
        best = hotel_bot().interpret(text, NOW)[0]
        assert (best.intent_name, best.score) == ("Cancel", 1.0)
    assert hotel_bot(locale_id="es_US").interpret("cancelar", NOW)[0].intent_name == "Cancel"


def test_interpretations_are_at_most_five_ranked_by_score_then_name():
    intents = [{"intentId": f"I{n}", "intentName": f"Order{n}", "sampleUtterances": [{"utterance": f"order item {n}"}]}
               for n in range(8)] + [{"intentId": "F", "intentName": "FallbackIntent",
                                      "parentIntentSignature": "AMAZON.FallbackIntent"}]
    model = LocaleModel.from_documents({"localeId": "en_US", "nluIntentConfidenceThreshold": 0.4}, intents, [], [])
    result = model.interpret("order item 3", NOW)
    assert result[0].intent_name == "Order3" and len(result) == 5
    ranked = [(i.score, i.intent_name) for i in result[1:-1]]
    assert ranked == sorted(ranked, key=lambda r: (-r[0], r[1]))
    assert result[-1].intent_name == "FallbackIntent"
    no_fallback = LocaleModel.from_documents({"localeId": "en_US"}, intents[:-1], [], [])
    assert len(no_fallback.interpret("order item 3", NOW)) == 5


def test_intent_slots_follow_the_slot_priorities_with_the_required_flag():
    specs = hotel_bot().intent_slots("BookHotel")
    assert [(s.name, s.required, s.priority) for s in specs] == [
        ("RoomType", True, 1), ("Location", True, 2), ("CheckIn", False, 3)]
    assert specs[1].elicitation_utterances == ("{Location} please", "I want {Location}")


# -- slots in utterances -----------------------------------------------------------


def test_a_template_fills_its_slots_and_a_synonym_resolves_to_its_sample_value():
    best = hotel_bot().interpret("Book a LARGE room in New York", NOW)[0]
    assert (best.intent_name, best.score) == ("BookHotel", 1.0)
    assert value(best.slots["RoomType"]) == {"originalValue": "LARGE", "interpretedValue": "king",
                                             "resolvedValues": ["king"]}
    assert value(best.slots["Location"])["interpretedValue"] == "New York"
    assert best.slots["CheckIn"] is None


def test_a_template_whose_value_does_not_resolve_scores_below_an_exact_match():
    best = hotel_bot().interpret("book a huge room in Paris", NOW)[0]
    assert best.intent_name == "BookHotel" and 0.8 <= best.score < 1.0
    assert best.slots["RoomType"] is None  # TopResolution: "huge" is no value nor synonym
    assert value(best.slots["Location"])["interpretedValue"] == "Paris"


def test_a_template_with_extra_words_still_fills_its_slots():
    best = hotel_bot().interpret("please book a queen room in Rome", NOW)[0]
    assert best.intent_name == "BookHotel" and best.score < 1.0
    assert value(best.slots["RoomType"])["interpretedValue"] == "queen"
    assert value(best.slots["Location"])["interpretedValue"] == "Rome"


def test_numbers_in_words_and_multiple_values():
    best = hotel_bot().interpret("order two pizzas with pepperoni and pineapple", NOW)[0]
    assert (best.intent_name, best.score) == ("OrderPizza", 1.0)
    assert value(best.slots["Count"])["interpretedValue"] == "2"
    toppings = best.slots["Toppings"]
    assert toppings["shape"] == "List"
    assert toppings["value"]["originalValue"] == "pepperoni and pineapple"
    assert [v["value"]["interpretedValue"] for v in toppings["values"]] == ["pepperoni", "pineapple"]
    assert all(v["shape"] == "Scalar" for v in toppings["values"])
    spaced = hotel_bot().interpret("order 3 pizzas with pepperoni, pineapple extra cheese", NOW)[0].slots["Toppings"]
    assert [v["value"]["interpretedValue"] for v in spaced["values"]] == ["pepperoni", "pineapple", "extra cheese"]


def test_a_regex_slot_type_takes_only_what_its_pattern_matches_whole():
    best = hotel_bot().interpret("is jfk open", NOW)[0]
    assert (best.intent_name, best.score) == ("CheckAirport", 1.0)
    assert value(best.slots["Code"])["interpretedValue"] == "JFK"
    partial = hotel_bot().interpret("is jfkx open", NOW)[0]
    assert partial.intent_name == "CheckAirport" and partial.score < 1.0 and partial.slots["Code"] is None


def test_wire_slots_use_only_members_of_the_runtime_slot_shape():
    model = botocore.session.get_session().get_service_model("lexv2-runtime")

    def check(value, shape):
        if shape.type_name == "structure":
            assert set(value) <= set(shape.members), (set(value), shape.name)
            assert set(shape.required_members) <= set(value) or shape.name == "Value"
            for name, item in value.items():
                check(item, shape.members[name])
        elif shape.type_name == "list":
            for item in value:
                check(item, shape.member)
        elif shape.type_name == "map":
            for item in value.values():
                check(item, shape.value)
        elif shape.enum:
            assert value in shape.enum

    slot_shape = model.shape_for("Slot")
    for text in ("book a large room in Paris", "order two pizzas with pepperoni and pineapple", "is jfk open"):
        for slot in hotel_bot().interpret(text, NOW)[0].slots.values():
            if slot is not None:
                check(slot, slot_shape)


# -- slot elicitation ------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Paris please", "Paris"),  # the slot's own sample utterance "{Location} please"
    ("I want London", "London"),
    ("Lisbon", "Lisbon"),
    ("I'm flying to New York", "New York"),
])
def test_slot_value_reads_the_answer_to_an_elicitation(text, expected):
    assert value(hotel_bot().slot_value("BookHotel", "Location", text, NOW))["interpretedValue"] == expected


def test_slot_value_resolution_strategies():
    model = hotel_bot()
    assert value(model.slot_value("BookHotel", "RoomType", "large", NOW))["interpretedValue"] == "king"
    assert value(model.slot_value("BookHotel", "RoomType", "the queen one please", NOW))["interpretedValue"] == "queen"
    assert model.slot_value("BookHotel", "RoomType", "a twin", NOW) is None  # TopResolution: not listed
    # OriginalValue keeps what was said, and lists the similar sample values as resolutions
    close = model.slot_value("OrderPizza", "Toppings", "peperoni", NOW)
    assert close["shape"] == "List"
    assert close["values"][0]["value"] == {"originalValue": "peperoni", "interpretedValue": "peperoni",
                                           "resolvedValues": ["pepperoni"]}
    assert value(model.slot_value("BookHotel", "CheckIn", "I arrive tomorrow", NOW))["interpretedValue"] == "2020-11-26"
    assert model.slot_value("BookHotel", "CheckIn", "hmm", NOW) is None
    assert model.slot_value("BookHotel", "NoSuchSlot", "x", NOW) is None


def test_a_composite_slot_type_fills_its_sub_slots():
    model = LocaleModel.from_documents(
        {"localeId": "en_US"},
        [{"intentId": "PAY", "intentName": "Pay", "sampleUtterances": [{"utterance": "pay with {Card}"}]}],
        [{"intentId": "PAY", "slotId": "CARD", "slotName": "Card", "slotTypeId": "CARDTYPE"}],
        [{"slotTypeId": "CARDTYPE", "slotTypeName": "Card", "compositeSlotTypeSetting": {"subSlots": [
            {"name": "Last4", "slotTypeId": "AMAZON.Number"}, {"name": "Expiry", "slotTypeId": "AMAZON.Date"}]}}])
    card = model.slot_value("Pay", "Card", "card ending 5678, expiring next month", NOW)
    assert card["shape"] == "Composite"
    assert value(card["subSlots"]["Last4"])["interpretedValue"] == "5678"
    assert value(card["subSlots"]["Expiry"])["interpretedValue"] == "2020-12-31"


# -- built-in slot types ---------------------------------------------------------------


def builtin(signature: str, text: str, locale_id: str = "en_US", eliciting: bool = True):
    found = resolve_builtin(signature, text, Context(locale_id, NOW, eliciting))
    return None if found is None else (found.interpreted, list(found.resolved))


@pytest.mark.parametrize("text, expected", [  # built-in-slot-number.html's table, and more
    ("one hundred twenty three point four five", "123.45"), ("one hundred twenty three dot four five", "123.45"),
    ("point four two", "0.42"), ("point forty two", "0.42"), ("232.998", "232.998"), ("50", "50"), ("-15", "-15"),
    ("minus 15", "-15"), ("minus fifteen point two four five", "-15.245"), ("five", "5"), ("twenty-one", "21"),
])
def test_amazon_number(text, expected):
    assert builtin("AMAZON.Number", text) == (expected, [expected])


@pytest.mark.parametrize("locale_id, text, expected", [
    ("it_IT", "ventuno", "21"), ("fr_CA", "quarante deux", "42"), ("es_US", "dos", "2"), ("pt_BR", "três", "3"),
    ("fr_CA", "3,5", "3.5"), ("de_DE", "zwei", "2"),
])
def test_amazon_number_in_other_languages(locale_id, text, expected):
    assert builtin("AMAZON.Number", text, locale_id)[0] == expected


@pytest.mark.parametrize("text, expected", [  # relative to Wednesday 2020-11-25, as built-in-slot-date.html
    ("today", "2020-11-25"), ("now", "2020-11-25"), ("November twenty-fifth", "2020-11-25"),
    ("tomorrow", "2020-11-26"), ("friday", "2020-11-27"), ("december 5th", "2020-12-05"), ("the 5th", "2020-12-05"),
    ("2021-03-04", "2021-03-04"), ("next week", "2020-11-29"), ("this week", "2020-11-23"),
    ("last week", "2020-11-16"), ("next month", "2020-12-31"), ("this month", "2020-11-01"),
    ("december", "2020-12-31"), ("next year", "2021-12-31"), ("last year", "2019-01-01"),
])
def test_amazon_date(text, expected):
    assert builtin("AMAZON.Date", text) == (expected, [expected])


@pytest.mark.parametrize("locale_id, text, expected", [
    ("it_IT", "domani", "2020-11-26"), ("fr_CA", "demain", "2020-11-26"), ("es_US", "mañana", "2020-11-26"),
    ("pt_BR", "amanha", "2020-11-26"), ("fr_CA", "la semaine prochaine", "2020-11-29"),
    ("en_US", "12/05/2020", "2020-12-05"), ("en_GB", "12/05/2020", "2020-05-12"),
])
def test_amazon_date_by_locale(locale_id, text, expected):
    assert builtin("AMAZON.Date", text, locale_id)[0] == expected


@pytest.mark.parametrize("text", ["5", "hello", "3 pm"])
def test_amazon_date_refuses_what_is_no_date(text):
    assert builtin("AMAZON.Date", text) is None


@pytest.mark.parametrize("text, expected", [  # built-in-slot-time.html
    ("3 pm", ("15:00", ["15:00"])), ("3:30pm", ("15:30", ["15:30"])), ("15:00", ("15:00", ["15:00"])),
    ("10 AM", ("10:00", ["10:00"])), ("noon", ("12:00", ["12:00"])), ("midnight", ("00:00", ["00:00"])),
    ("10 o'clock", (None, ["10:00", "22:00"])), ("in the morning", ("MO", ["MO"])), ("evening", ("EV", ["EV"])),
    ("three thirty pm", ("15:30", ["15:30"])), ("7 in the evening", ("19:00", ["19:00"])),
])
def test_amazon_time(text, expected):
    assert builtin("AMAZON.Time", text) == expected


def test_an_ambiguous_time_has_no_interpreted_value_on_the_wire():
    found = resolve_builtin("AMAZON.Time", "10 o'clock", Context("en_US", NOW))
    assert found.slot() == {"value": {"originalValue": "10 o'clock", "resolvedValues": ["10:00", "22:00"]}}


@pytest.mark.parametrize("locale_id, text, expected", [
    ("en_US", "Yeah!", "Yes"), ("en_US", "sure", "Yes"), ("en_US", "nope", "No"), ("en_US", "I'll decline", "No"),
    ("en_US", "perhaps", "Maybe"), ("en_US", "dunno", "Don't know"), ("en_US", "no idea", "Don't know"),
    ("es_US", "sí", "Yes"), ("fr_CA", "non", "No"), ("it_IT", "forse", "Maybe"), ("pt_BR", "não sei", "Don't know"),
])
def test_amazon_confirmation(locale_id, text, expected):
    assert builtin("AMAZON.Confirmation", text, locale_id) == (expected, [expected])


@pytest.mark.parametrize("signature, text, expected", [
    ("AMAZON.EmailAddress", "jane.doe+lex@example.com", "jane.doe+lex@example.com"),
    ("AMAZON.EmailAddress", "jane at example dot com", "jane@example.com"),
    ("AMAZON.PhoneNumber", "+1 (555) 123-4567", "+15551234567"),
    ("AMAZON.PhoneNumber", "five five five one two three four", "5551234"),
    ("AMAZON.UKPostalCode", "sw1a1aa", "SW1A 1AA"), ("AMAZON.UKPostalCode", "ec1a 1bb", "EC1A 1BB"),
    ("AMAZON.AlphaNumeric", "APQ123", "APQ123"), ("AMAZON.AlphaNumeric", "a p q 1 2 3", "apq123"),
    ("AMAZON.FirstName", "Anil Kumar", "Anil Kumar"), ("AMAZON.City", "Rio de Janeiro", "Rio de Janeiro"),
    ("AMAZON.FreeFormInput", "I got the answers, thanks!", "I got the answers, thanks!"),
    ("AMAZON.Percentage", "twenty five percent", "25%"), ("AMAZON.Duration", "five minutes", "PT5M"),
])
def test_other_built_ins(signature, text, expected):
    assert builtin(signature, text)[0] == expected


@pytest.mark.parametrize("signature, text", [
    ("AMAZON.EmailAddress", "jane"), ("AMAZON.PhoneNumber", "12"), ("AMAZON.UKPostalCode", "12345"),
    ("AMAZON.AlphaNumeric", "two words"), ("AMAZON.FirstName", "my name is Ann"), ("AMAZON.Confirmation", "blue"),
])
def test_built_ins_refuse_what_they_do_not_recognise(signature, text):
    assert builtin(signature, text) is None


def test_free_form_input_is_only_recognised_when_elicited():
    assert builtin("AMAZON.FreeFormInput", "anything", eliciting=False) is None


def test_custom_slot_type_folding_and_strategies():
    doc = {"slotTypeId": "T", "slotTypeName": "Genre", "slotTypeValues": [
        {"sampleValue": {"value": "comedy"}, "synonyms": [{"value": "funny"}, {"value": "humorous"}]}]}
    ctx = Context("en_US", NOW)
    expand = SlotType.from_document(doc)
    assert expand.resolve("Funny!", ctx).value() == {"originalValue": "Funny!", "interpretedValue": "Funny!",
                                                     "resolvedValues": ["comedy"]}
    restrict = SlotType.from_document({**doc, "valueSelectionSetting": {"resolutionStrategy": "TopResolution"}})
    assert restrict.resolve("funny", ctx).value()["interpretedValue"] == "comedy"
    assert restrict.resolve("drama", ctx) is None
    accents = SlotType.from_document({"slotTypeId": "S", "slotTypeName": "Sim", "slotTypeValues": [
        {"sampleValue": {"value": "não"}}], "valueSelectionSetting": {"resolutionStrategy": "TopResolution"}}, "pt_BR")
    assert accents.resolve("NAO", Context("pt_BR", NOW)).interpreted == "não"


# -- scale and laziness ------------------------------------------------------------------


def synthetic_locale(n_intents: int = 1000, per_intent: int = 10) -> tuple[dict, list, list, list]:
    rng = random.Random(7)
    syllables = [a + b for a in ("ka", "lo", "mi", "su", "ne", "ra", "to", "vi", "pe", "do", "fa", "gu")
                 for b in ("ran", "mel", "tis", "bor", "cun", "dax", "fen", "gol", "hup", "jin", "kor", "lam")]
    common = ["i", "want", "to", "please", "can", "you", "the", "a", "my", "for", "me", "book", "order", "show", "get"]
    intents, slots = [], []
    for n in range(n_intents):
        topic = rng.sample(syllables, 3)
        utterances = []
        for k in range(per_intent):
            words = rng.sample(common, 3) + rng.sample(topic, 2) + [rng.choice(syllables)]
            rng.shuffle(words)
            if k % 3 == 0:
                words.insert(rng.randrange(len(words)), "{Color}")
            utterances.append({"utterance": " ".join(words)})
        intents.append({"intentId": f"I{n}", "intentName": f"Intent{n}", "sampleUtterances": utterances})
        slots.append({"intentId": f"I{n}", "slotId": f"S{n}", "slotName": "Color", "slotTypeId": "COLOR"})
    intents.append({"intentId": "FB", "intentName": "FallbackIntent", "parentIntentSignature": "AMAZON.FallbackIntent"})
    types = [{"slotTypeId": "COLOR", "slotTypeName": "Color", "valueSelectionSetting": {"resolutionStrategy": "TopResolution"},
              "slotTypeValues": [{"sampleValue": {"value": c}} for c in ("red", "green", "blue")]}]
    return {"localeId": "en_US", "nluIntentConfidenceThreshold": 0.4}, intents, slots, types


def test_a_thousand_intent_locale_recognises_its_utterances():
    locale, intents, slots, types = synthetic_locale()
    model = LocaleModel.from_documents(locale, intents, slots, types)
    rng = random.Random(1)
    for intent in rng.sample(intents[:-1], 150):
        utterance = rng.choice(intent["sampleUtterances"])["utterance"]
        exact = model.interpret(utterance.replace("{Color}", "green"), NOW)[0]
        assert (exact.intent_name, exact.score) == (intent["intentName"], 1.0)
        if "{Color}" in utterance:
            assert value(exact.slots["Color"])["interpretedValue"] == "green"
        words = utterance.replace("{Color}", "red").split()
        del words[rng.randrange(len(words))]
        near = model.interpret(" ".join(words), NOW)[0]
        assert near.intent_name == intent["intentName"] and near.score < 1.0
    assert model.interpret("what is the weather in paris", NOW)[0].intent_name == "FallbackIntent"


def test_the_heavy_libraries_load_only_when_used():
    code = ("import sys, localexport.services.lexv2.nlu; "
            "print(sorted(m for m in ('rapidfuzz', 'dateparser', 'text_to_num') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- real exports ------------------------------------------------------------------------


def real_exports() -> list:
    root = FIXTURES / "lexv2"
    if not root.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"real fixtures not found at {root} (set LOCALEXPORT_FIXTURES)"))]
    trees = {p.parent for p in root.rglob("Manifest.json")}
    return [pytest.param(p, id=str(p.relative_to(root))) for p in sorted(trees | set(root.rglob("*.zip")))]


def archive_files(path: Path) -> dict[str, bytes]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def describe_shaped(content: lexjson.LocaleContent) -> tuple[dict, list, list, list]:
    """An archive's locale as Describe* documents: archives name slot types and slots where the API has ids."""
    types = [{**t, "slotTypeId": t.get("slotTypeId") or t["slotTypeName"]} for t in content.slot_types]
    type_ids = {t["slotTypeName"]: t["slotTypeId"] for t in types}
    intents, slots = [], []
    for intent in content.intents:
        intent_id = intent.get("intentId") or intent["intentName"]
        folder = intent["_path"].split("/Intents/")[1].split("/")[0]
        slot_ids = {}
        for slot in content.slots.get(folder, []):
            slot_ids[slot["slotName"]] = slot.get("slotId") or slot["slotName"]
            slots.append({**slot, "intentId": intent_id, "slotId": slot_ids[slot["slotName"]],
                          "slotTypeId": type_ids.get(slot.get("slotTypeName"), slot.get("slotTypeName"))})
        priorities = [{"priority": p["priority"], "slotId": slot_ids.get(p["slotName"], p["slotName"])}
                      for p in intent.get("_slotPriorities") or []]
        intents.append({**intent, "intentId": intent_id, "slotPriorities": priorities})
    return content.locale, intents, slots, types


def example_text(slot_type: dict | None, type_id: str, locale_id: str) -> str:
    """A value of the slot type: a custom type's first sample value, a text its pattern matches, a built-in's
    example."""
    if slot_type is None:
        return example(type_id, locale_id) or "something"
    values = slot_type.get("slotTypeValues") or []
    if values:
        return values[0]["sampleValue"]["value"]
    pattern = ((slot_type.get("valueSelectionSetting") or {}).get("regexFilter") or {}).get("pattern") or ""
    return next((c for c in ("ABC", "ABC123", "123456", "A1") if re.fullmatch(pattern, c)), "ABC")


def fill_slots(utterance: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}]*)\}", lambda m: values[m[1]], utterance)


@pytest.mark.parametrize("export", real_exports())
def test_real_exports_recognise_their_own_sample_utterances(export):
    archive = lexjson.read_archive(archive_files(export))
    plain = [0, 0]
    filled = [0, 0]
    slots_filled = [0, 0]
    misses = []
    for content in archive.locales:
        locale, intents, slots, types = describe_shaped(content)
        locale_id = locale["localeId"]
        model = LocaleModel.from_documents(locale, intents, slots, types)
        latin = is_latin(locale_id)
        owners = defaultdict(set)
        for intent in intents:
            for u in intent.get("sampleUtterances") or []:
                owners[key(re.sub(r"\{[^}]*\}", "{}", u["utterance"]), latin)].add(intent["intentName"])
        type_docs = {t["slotTypeId"]: t for t in types}
        type_of = {(s["intentId"], s["slotName"]): s["slotTypeId"] for s in slots}
        for intent in intents:
            for u in intent.get("sampleUtterances") or []:
                text = u["utterance"]
                if len(owners[key(re.sub(r"\{[^}]*\}", "{}", text), latin)]) > 1:
                    continue  # an utterance of several intents can be recognised as either
                if "{" not in text:
                    got = model.interpret(text, NOW)[0]
                    plain[0] += 1
                    plain[1] += got.intent_name == intent["intentName"]
                    if got.intent_name != intent["intentName"]:
                        misses.append((locale_id, intent["intentName"], text, got.intent_name))
                    continue
                type_ids = {name: type_of.get((intent["intentId"], name), "") for name in re.findall(r"\{([^}]*)\}", text)}
                filled_text = fill_slots(text, {n: example_text(type_docs.get(t), t, locale_id) for n, t in type_ids.items()})
                got = model.interpret(filled_text, NOW)[0]
                filled[0] += 1
                filled[1] += got.intent_name == intent["intentName"]
                if got.intent_name == intent["intentName"]:
                    slots_filled[0] += len(set(re.findall(r"\{([^}]*)\}", text)))
                    slots_filled[1] += sum(v is not None for v in got.slots.values())
                else:
                    misses.append((locale_id, intent["intentName"], text, got.intent_name))
    print(f"\n{export.name}: utterances without slots {plain[1]}/{plain[0]}, with slots {filled[1]}/{filled[0]}, "
          f"slot values filled {slots_filled[1]}/{slots_filled[0]}")
    assert plain[1] == plain[0], misses
    assert filled[1] >= 0.95 * filled[0], misses
