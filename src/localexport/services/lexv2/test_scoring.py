"""Scoring a test execution: each conversation of a test set played turn by turn through the dialog,
expected against actual output, and the aggregates ListTestExecutionResultItems serves.

A turn's score is kept as its UtteranceLevelTestResultItem plus what the aggregates need (``slots``: each
expected slot's match status; ``multi``: whether it belongs to a multi-turn conversation).  Agent turns are
reported (expected and actual prompt) but not scored: AgentTurnResult carries no match status, and the
end-to-end result is that of the user turns (intent and slots).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...aws.errors import AWSError
from .dialog import Dialog, Locale, Session

MATCHED, MISMATCHED, ERROR = "Matched", "Mismatched", "ExecutionError"
STATUSES = (MATCHED, MISMATCHED, ERROR)


def conversations(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Records grouped as they are played: one group per conversation id (in turn order), one per
    record without a conversation id (a single-turn test)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    order: list[list[dict[str, Any]]] = []
    for record in records:
        conversation = record.get("conversationId")
        if conversation is None:
            order.append([record])
        elif conversation in groups:
            groups[conversation].append(record)
        else:
            groups[conversation] = [record]
            order.append(groups[conversation])
    for group in order:
        group.sort(key=lambda r: r.get("turnNumber") or 0)
    return order


def play(locale: Locale, group: list[dict[str, Any]], now: datetime, session_id: str) -> list[dict[str, Any]]:
    """Scores of one conversation's turns, played in one fresh session."""
    session = Session()
    multi = group[0].get("conversationId") is not None
    scores: list[dict[str, Any]] = []
    last_messages: list[dict[str, Any]] = []
    for record in group:
        turn = record["turnSpecification"]
        where = {"recordNumber": record["recordNumber"],
                 **({"conversationId": record["conversationId"]} if multi else {})}
        if "agentTurn" in turn:
            prompt = " ".join(m.get("content", "") for m in last_messages).strip()
            intent = (session.state.get("intent") or {}).get("name")
            elicited = (session.state.get("dialogAction") or {}).get("slotToElicit")
            agent = {"expectedAgentPrompt": turn["agentTurn"]["agentPrompt"],
                     **({"actualAgentPrompt": prompt} if prompt else {}),
                     **({"actualIntent": intent} if intent else {}),
                     **({"actualElicitedSlot": elicited} if elicited else {})}
            scores.append({"item": {**where, "turnResult": {"agent": agent}}, "multi": multi, "slots": {}})
            continue
        user = turn["userTurn"]
        score, last_messages = _user_turn(locale, session, user, now, session_id)
        scores.append({"item": {**where, "turnResult": {"user": score.pop("user")}}, "multi": multi, **score})
    if multi:
        overall = _worst([s["item"]["turnResult"]["user"]["endToEndResult"] for s in scores
                          if "user" in s["item"]["turnResult"]])
        for s in scores:
            if "user" in s["item"]["turnResult"]:
                s["item"]["turnResult"]["user"]["conversationLevelResult"] = {"endToEndResult": overall}
    return scores


def _user_turn(locale: Locale, session: Session, user: dict[str, Any], now: datetime,
               session_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    expected = user["expected"]
    wanted_slots = (expected.get("intent") or {}).get("slots") or {}
    result: dict[str, Any] = {"input": user["input"], "expectedOutput": expected}
    text = user["input"]["utteranceInput"].get("textInput")
    try:
        if not text:
            raise AWSError("ValidationException", "This turn has no text input: audio input is not played in a "
                                                  "Text test execution.")
        messages = Dialog(locale, session, now, user["input"].get("requestAttributes"),
                          session_id).recognize(text)
    except AWSError as error:
        result.update(errorDetails={"errorCode": error.code, "errorMessage": error.message},
                      endToEndResult=ERROR, intentMatchResult=ERROR, slotMatchResult=ERROR)
        return {"user": result, "slots": {name: ERROR for name in wanted_slots}}, []
    intent = session.state.get("intent") or {}
    actual_slots = _actual_slots(intent.get("slots") or {})
    # no intent at all (a locale without FallbackIntent) is what Lex names it
    actual: dict[str, Any] = {"intent": {"name": intent.get("name") or "FallbackIntent",
                                         **({"slots": actual_slots} if actual_slots else {})}}
    contexts = [{"name": c["name"]} for c in session.state.get("activeContexts") or []]
    if contexts:
        actual["activeContexts"] = contexts
    intent_result = MATCHED if intent.get("name") == expected["intent"]["name"] else MISMATCHED
    slots = {name: _slot_match(spec, actual_slots.get(name)) for name, spec in wanted_slots.items()}
    slot_result = _worst(list(slots.values()))
    result.update(actualOutput=actual, intentMatchResult=intent_result, slotMatchResult=slot_result,
                  endToEndResult=_worst([intent_result, slot_result]))
    return {"user": result, "slots": slots}, messages


def _actual_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """The session's filled slots as UserTurnSlotOutput (the interpreted value, as the console shows)."""
    out = {}
    for name, slot in slots.items():
        if not slot:
            continue
        value = (slot.get("value") or {}).get("interpretedValue") or (slot.get("value") or {}).get("originalValue")
        many = [((v or {}).get("value") or {}).get("interpretedValue") for v in slot.get("values") or []]
        entry: dict[str, Any] = {}
        if value:
            entry["value"] = value
        if any(many):
            entry["values"] = [{"value": v} for v in many if v]
        if entry:
            out[name] = entry
    return out


def _slot_match(expected: dict[str, Any], actual: dict[str, Any] | None) -> str:
    """An expected slot matches when its value equals the actual one, ignoring case and outer spaces."""
    if actual is None:
        return MISMATCHED
    if "values" in expected:
        wanted = sorted(_norm(v.get("value")) for v in expected["values"])
        return MATCHED if wanted == sorted(_norm(v.get("value")) for v in actual.get("values") or []) else MISMATCHED
    return MATCHED if _norm(expected.get("value")) == _norm(actual.get("value")) else MISMATCHED


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def _worst(results: list[str]) -> str:
    """An error outranks a mismatch, a mismatch a match; nothing to compare is a match."""
    for status in (ERROR, MISMATCHED):
        if status in results:
            return status
    return MATCHED


# -- the aggregates -----------------------------------------------------------------------------


def _counts(results: list[str]) -> dict[str, int]:
    return {status: results.count(status) for status in STATUSES}


def _user_scores(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in scores if "user" in s["item"]["turnResult"]]


def _by_conversation(scores: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for s in _user_scores(scores):
        if s["multi"]:
            grouped.setdefault(s["item"]["conversationId"], []).append(s)
    return grouped


def overall(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item for single-turn tests (each counted once) and one for conversations (each counted once)."""
    singles = [s["item"]["turnResult"]["user"]["endToEndResult"] for s in _user_scores(scores) if not s["multi"]]
    multis = [_worst([s["item"]["turnResult"]["user"]["endToEndResult"] for s in turns])
              for turns in _by_conversation(scores).values()]
    return [{"multiTurnConversation": multi, "totalResultCount": len(results), "endToEndResultCounts": _counts(results)}
            for multi, results in ((False, singles), (True, multis)) if results]


def conversation_level(scores: list[dict[str, Any]], end_to_end: str | None) -> list[dict[str, Any]]:
    items = []
    for conversation, turns in _by_conversation(scores).items():
        users = [s["item"]["turnResult"]["user"] for s in turns]
        result = _worst([u["endToEndResult"] for u in users])
        if end_to_end is not None and result != end_to_end:
            continue
        intents: dict[str, list[str]] = {}
        slots: dict[tuple[str, str], list[str]] = {}
        for s, user in zip(turns, users):
            name = user["expectedOutput"]["intent"]["name"]
            intents.setdefault(name, []).append(user["intentMatchResult"])
            for slot, status in s["slots"].items():
                slots.setdefault((name, slot), []).append(status)
        items.append({"conversationId": conversation, "endToEndResult": result,
                      "intentClassificationResults": [{"intentName": n, "matchResult": _worst(r)}
                                                      for n, r in intents.items()],
                      "slotResolutionResults": [{"intentName": n, "slotName": slot, "matchResult": _worst(r)}
                                                for (n, slot), r in slots.items()]})
    return items


def _per_intent(scores: list[dict[str, Any]]) -> dict[tuple[str, bool], list[dict[str, Any]]]:
    grouped: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for s in _user_scores(scores):
        name = s["item"]["turnResult"]["user"]["expectedOutput"]["intent"]["name"]
        grouped.setdefault((name, s["multi"]), []).append(s)
    return grouped


def intent_classification(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"intentName": name, "multiTurnConversation": multi,
             "resultCounts": {"totalResultCount": len(turns), "intentMatchResultCounts": _counts(
                 [s["item"]["turnResult"]["user"]["intentMatchResult"] for s in turns])}}
            for (name, multi), turns in _per_intent(scores).items()]


def slot_resolution(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for (name, multi), turns in _per_intent(scores).items():
        per_slot: dict[str, list[str]] = {}
        for s in turns:
            for slot, status in s["slots"].items():
                per_slot.setdefault(slot, []).append(status)
        if per_slot:
            items.append({"intentName": name, "multiTurnConversation": multi, "slotResolutionResults": [
                {"slotName": slot, "resultCounts": {"totalResultCount": len(r), "slotMatchResultCounts": _counts(r)}}
                for slot, r in per_slot.items()]})
    return items


def utterance_level(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s["item"] for s in scores]


# resultTypeFilter -> (the TestExecutionResultItems member, the items it lists)
VIEWS: dict[str, tuple[str, Callable[..., list[dict[str, Any]]]]] = {
    "OverallTestResults": ("overallTestResults", overall),
    "ConversationLevelTestResults": ("conversationLevelTestResults", conversation_level),
    "IntentClassificationTestResults": ("intentClassificationTestResults", intent_classification),
    "SlotResolutionTestResults": ("intentLevelSlotResolutionTestResults", slot_resolution),
    "UtteranceLevelResults": ("utteranceLevelTestResults", utterance_level),
}
