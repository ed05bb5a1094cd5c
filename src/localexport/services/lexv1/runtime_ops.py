"""Amazon Lex V1 runtime (lex-runtime): PostText, PostContent (text), PutSession, GetSession, DeleteSession.

A turn is the Lex V2 dialog's (lexv2/dialog.py) on the bot version converted by runtime_bots.py, with V1's
rules laid over it:

- an intent whose ``fulfillmentActivity`` is ``ReturnIntent`` ends ``ReadyForFulfillment`` (no Lambda is
  called); a ``CodeHook`` one is fulfilled (no Lambda runs here) and says its ``conclusionStatement``;
- text no intent matches is answered with the bot's ``clarificationPrompt`` (dialogState ElicitIntent), up to
  its ``maxAttempts`` times in a row; the next miss, like a slot prompt or a confirmation asked its
  ``maxAttempts`` times without an answer, says the ``abortStatement`` (dialogState Failed), or goes to the
  bot's AMAZON.FallbackIntent intent when it has one;
- a ``rejectionStatement`` answers "no" to the ``confirmationPrompt`` (dialogState Failed).

Sessions are keyed ``BOTNAME/ALIAS/USERID`` in the runtime's own scope and expire after the bot's
``idleSessionTTLInSeconds``.  PostContent takes ``text/plain`` input only (no speech is recognised or
synthesised here); its JSON headers, and PutSession's, are base64 JSON as botocore's ``jsonvalue`` reads them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ...aws.errors import AWSError
from ...core.runtime import Operations, RequestContext
from ..lexv2 import prompts, sessions
from ..lexv2.dialog import Dialog, Session
from ..lexv2.runtime_input import active_contexts, header_json, input_text, now, string_map
from .errors import bad_request, not_found
from .runtime_bots import V1Bot, resolve

op = Operations("lex-runtime")

TEXT = "text/plain; charset=utf-8"
V1 = "_v1"  # the V1 bookkeeping kept in the session state: sessionId, last message, recent intents
MAX_RECENT = 3  # GetSession's recentIntentSummaryView holds the last three intents
CLOSED = {"Fulfilled": "Fulfilled", "ReadyForFulfillment": "ReadyForFulfillment"}  # else Failed


def _key(params: dict[str, Any]) -> str:
    return f"{params['botName']}/{params['botAlias']}/{params['userId']}"


def _open(ctx: RequestContext, params: dict[str, Any]) -> tuple[V1Bot, Session, bool]:
    bot = resolve(ctx, params["botName"], params["botAlias"])
    session, stored = sessions.load(ctx, _key(params), bot.idle_ttl)
    session = session or Session()
    session.state.setdefault(V1, {"sessionId": f"{now(ctx).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z-"
                                               f"{ctx.ids.short()}", "recent": []})
    return bot, session, stored


# -- a turn ---------------------------------------------------------------------------------------


def _turn(ctx: RequestContext, params: dict[str, Any], text: str, attributes: dict | None,
          request_attributes: dict | None, active_contexts: list | None) -> tuple[V1Bot, Session]:
    bot, session, stored = _open(ctx, params)
    state = session.state
    if attributes is not None:  # the client's attributes replace the session's
        state["sessionAttributes"] = dict(attributes)
    if active_contexts is not None:  # an empty list clears them
        state["activeContexts"] = _v2_contexts(active_contexts)
    before = dict(state.get("intent") or {}), (state.get("dialogAction") or {}).get("type")
    messages = Dialog(bot.locale, session, now(ctx), request_attributes, params["userId"],
                      return_intent=True).recognize(text)
    if (state.get("dialogAction") or {}).get("type") == "ElicitIntent" and not state.get("intent"):
        messages = _not_understood(bot, session, *before)
    _remember(state, messages, before)
    sessions.save(ctx, _key(params), session, stored)
    return bot, session


def _v2_contexts(contexts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """V1 active contexts (``parameters``) as the V2 session state holds them (``contextAttributes``)."""
    return [{"name": c["name"], "timeToLive": c["timeToLive"], "contextAttributes": c.get("parameters") or {}}
            for c in contexts]


def _not_understood(bot: V1Bot, session: Session, intent: dict[str, Any], action: str | None) -> list[dict]:
    """The clarification prompt, or the abort statement once it (or a slot or confirmation prompt) is spent."""
    attributes = session.state.get("sessionAttributes") or {}
    if intent and action in ("ElicitSlot", "ConfirmIntent"):  # the V2 dialog gave up on the prompt
        return _abort(bot, session, {**intent, "state": "Failed"})
    if bot.clarification is None:  # nothing to clarify with: the fallback intent at once, if there is one
        return _abort(bot, session, None) if bot.fallback is not None else []
    tries = session.attempts.get("clarification", 0) + 1
    if tries > bot.bot["clarificationPrompt"].get("maxAttempts", 1):
        return _abort(bot, session, None)
    session.attempts["clarification"] = tries
    return prompts.render(bot.clarification, {}, attributes)


def _abort(bot: V1Bot, session: Session, intent: dict[str, Any] | None) -> list[dict]:
    """The abort statement (dialogState Failed) or, in its place, the bot's fallback intent (AMAZON.FallbackIntent:
    "If you have defined a fallback intent the abort statement will not be sent to the user")."""
    session.attempts = {}
    if bot.fallback is not None:
        hooked = (bot.fallback.get("fulfillmentCodeHook") or {}).get("enabled")
        session.state["intent"] = {"name": bot.fallback["intentName"], "slots": {}, "confirmationState": "None",
                                   "state": "Fulfilled" if hooked else "ReadyForFulfillment"}
        session.state["dialogAction"] = {"type": "Close"}
        closing = (bot.fallback.get("intentClosingSetting") or {}).get("closingResponse")
        return prompts.render(closing, {}, session.state.get("sessionAttributes") or {}) if hooked else []
    session.state["dialogAction"] = {"type": "Close"}
    if intent:
        session.state["intent"] = intent
    else:
        session.state.pop("intent", None)
    return prompts.render(bot.abort, (intent or {}).get("slots") or {}, session.state.get("sessionAttributes") or {})


def _remember(state: dict[str, Any], messages: list[dict], before: tuple[dict, str | None]) -> None:
    """Keep what GetSession and the response read: the message, whether the intent was chosen this turn, and
    the intent's summary at the head of the recent intents."""
    v1 = state[V1]
    v1["message"], v1["messageFormat"] = _message(messages)
    intent = state.get("intent")
    v1["chosen"] = bool(intent) and (intent.get("name") != before[0].get("name")
                                     or before[1] not in ("ElicitSlot", "ConfirmIntent"))
    if intent:
        summary = {"intentName": intent["name"], "slots": _slots(intent), "confirmationStatus":
                   intent.get("confirmationState") or "None", **_action(state)}
        v1["recent"] = [summary, *[s for s in v1["recent"] if s.get("intentName") != intent["name"]]][:MAX_RECENT]


# -- V2 state -> V1 wire ----------------------------------------------------------------------------


def _dialog_state(state: dict[str, Any]) -> str:
    action = (state.get("dialogAction") or {}).get("type")
    if action in ("ElicitIntent", "ConfirmIntent", "ElicitSlot"):
        return action
    return CLOSED.get((state.get("intent") or {}).get("state"), "Failed")


def _action(state: dict[str, Any]) -> dict[str, Any]:
    """The V1 dialog action type, slot to elicit and fulfillment state of the session."""
    action = state.get("dialogAction") or {}
    kind = action.get("type") or "ElicitIntent"
    found: dict[str, Any] = {"dialogActionType": kind}
    if action.get("slotToElicit"):
        found["slotToElicit"] = action["slotToElicit"]
    if kind == "Close":
        found["fulfillmentState"] = _dialog_state(state)
    return found


def _slots(intent: dict[str, Any] | None) -> dict[str, str | None] | None:
    if not intent:
        return None
    return {name: prompts.slot_text(slot) for name, slot in (intent.get("slots") or {}).items()}


def _message(messages: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """V1's one ``message``: a group's message as it is, several as a Composite (msg-prompts-formats.html)."""
    texts = [m for m in messages if m.get("content") is not None]
    if not texts:
        return None, None
    if len(texts) == 1:
        return texts[0]["content"], texts[0]["contentType"]
    composite = [{"type": m["contentType"], "group": n, "value": m["content"]} for n, m in enumerate(texts, 1)]
    return json.dumps({"messages": composite}, ensure_ascii=False), "Composite"


def _confidence(session: Session, name: str) -> dict[str, float] | None:
    for entry in session.interpretations:
        if entry["intent"]["name"] == name and "nluConfidence" in entry:
            return {"score": entry["nluConfidence"]["score"]}
    return None


def _alternatives(bot: V1Bot, session: Session, chosen: str | None) -> list[dict[str, Any]] | None:
    """The other intents of the bot the text scored for (V1 answers up to four)."""
    found = []
    for entry in session.interpretations:
        name = entry["intent"]["name"]
        if name != chosen and name in bot.locale.intents and "nluConfidence" in entry:
            found.append({"intentName": name, "nluIntentConfidence": {"score": entry["nluConfidence"]["score"]},
                          "slots": {k: v for k, v in (_slots(entry["intent"]) or {}).items() if v is not None}})
    return found[:4] or None


def _contexts(state: dict[str, Any]) -> list[dict[str, Any]] | None:
    found = state.get("activeContexts")
    if found is None:
        return None
    return [{"name": c["name"], "timeToLive": c["timeToLive"], "parameters": c.get("contextAttributes") or {}}
            for c in found]


def _answer(bot: V1Bot, session: Session) -> dict[str, Any]:
    """The PostText response members of the session after a turn."""
    state = session.state
    v1 = state[V1]
    intent = state.get("intent")
    name = intent["name"] if intent else None
    return {"intentName": name, "slots": _slots(intent), "sessionAttributes": state.get("sessionAttributes") or {},
            "message": v1.get("message"), "messageFormat": v1.get("messageFormat"),
            "dialogState": _dialog_state(state),
            "slotToElicit": (state.get("dialogAction") or {}).get("slotToElicit"),
            "nluIntentConfidence": _confidence(session, name) if name and v1.get("chosen") else None,
            "alternativeIntents": _alternatives(bot, session, name), "sessionId": v1["sessionId"],
            "botVersion": bot.version, "activeContexts": _contexts(state)}


# -- operations ---------------------------------------------------------------------------------------


@op("PostText")
def post_text(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot, session = _turn(ctx, params, params["inputText"], params.get("sessionAttributes"),
                         params.get("requestAttributes"), params.get("activeContexts"))
    return _answer(bot, session)


@op("PostContent")
def post_content(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    content_type = params["contentType"]
    if content_type.lower().startswith("audio/"):
        raise bad_request(f"Content type {content_type} is not supported here: this local runtime recognises no "
                          "speech; send text with contentType 'text/plain; charset=utf-8'.")
    if not content_type.lower().startswith("text/plain"):
        raise AWSError("UnsupportedMediaTypeException", f"Content type {content_type} is not supported; send "
                       "'text/plain; charset=utf-8'.")
    _check_accept(params.get("accept"))
    text = input_text(params.get("inputStream"))
    if not text:
        raise bad_request("The input stream is empty: send the user's text.")
    bot, session = _turn(ctx, params, text, _header_map(params, "sessionAttributes"),
                         _header_map(params, "requestAttributes"),
                         active_contexts(header_json(params.get("activeContexts"), "activeContexts", bad_request),
                                         "activeContexts", "parameters", bad_request))
    answer = _answer(bot, session)
    return {**_headers(answer), "contentType": TEXT, "inputTranscript": _ascii(text),
            "encodedInputTranscript": _b64(text), "audioStream": b""}


@op("PutSession")
def put_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_accept(params.get("accept"))
    bot, session, stored = _open(ctx, params)
    state = session.state
    if params.get("sessionAttributes") is not None:
        state["sessionAttributes"] = dict(params["sessionAttributes"])
    if params.get("activeContexts") is not None:
        state["activeContexts"] = _v2_contexts(params["activeContexts"])
    if params.get("recentIntentSummaryView") is not None:
        state[V1]["recent"] = params["recentIntentSummaryView"][:MAX_RECENT]
    messages: list[dict] = []
    if params.get("dialogAction"):
        messages = _set_action(bot, session, params["dialogAction"])
    _remember(state, messages, ({}, None))
    if params.get("recentIntentSummaryView") is not None:  # the client's view replaces the session's, as given
        state[V1]["recent"] = params["recentIntentSummaryView"][:MAX_RECENT]
    state[V1]["chosen"] = False  # no text was interpreted
    sessions.save(ctx, _key(params), session, stored)
    # (the members PutSession's output lacks, botVersion and the NLU's, are not serialized)
    return {**_headers(_answer(bot, session)), "contentType": TEXT, "audioStream": b""}


def _set_action(bot: V1Bot, session: Session, action: dict[str, Any]) -> list[dict]:
    """PutSession's dialogAction as the session's state; the message it says (given, or the bot's own)."""
    state = session.state
    kind, name = action["type"], action.get("intentName")
    if kind == "Delegate":
        raise bad_request("PutSession with dialogAction type Delegate is not supported by this local runtime: "
                          "give ElicitIntent, ElicitSlot, ConfirmIntent or Close.")
    if kind != "ElicitIntent":
        if not name:
            raise bad_request(f"dialogAction of type {kind} needs an intentName.")
        if name not in bot.locale.intents:
            raise bad_request(f"The intent {name} is not an intent of bot {bot.bot['name']} version {bot.version}.")
    given = [{"content": action["message"], "contentType": action.get("messageFormat") or "PlainText"}] \
        if action.get("message") else []
    session.attempts = {}
    if kind == "ElicitIntent":
        state.pop("intent", None)
        state["dialogAction"] = {"type": "ElicitIntent"}
        if not given and bot.clarification is None:
            raise bad_request(f"The bot {bot.bot['name']} has no clarification prompt to elicit an intent with; "
                              "give the dialogAction a message.")
        return given or prompts.render(bot.clarification, {}, state.get("sessionAttributes") or {})
    declared = bot.locale.slots.get(name, {})
    values = action.get("slots") or {}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise bad_request(f"The intent {name} has no slot {unknown[0]}.")
    slots = {s: ({"value": {"originalValue": values[s], "interpretedValue": values[s], "resolvedValues": [values[s]]}}
                 if values.get(s) is not None else None) for s in declared}
    intent = {"name": name, "slots": slots, "state": "InProgress", "confirmationState": "None"}
    state["intent"] = intent
    attributes = state.get("sessionAttributes") or {}
    if kind == "ElicitSlot":
        slot = action.get("slotToElicit")
        if slot not in declared:
            raise bad_request(f"slotToElicit must name a slot of intent {name}.")
        state["dialogAction"] = {"type": "ElicitSlot", "slotToElicit": slot}
        prompt = (declared[slot].get("valueElicitationSetting") or {}).get("promptSpecification")
        return given or prompts.render(prompt, slots, attributes)
    if kind == "ConfirmIntent":
        state["dialogAction"] = {"type": "ConfirmIntent"}
        prompt = (bot.locale.intents[name].get("intentConfirmationSetting") or {}).get("promptSpecification")
        return given or prompts.render(prompt, slots, attributes)
    if not action.get("fulfillmentState"):
        raise bad_request("dialogAction of type Close needs a fulfillmentState.")
    intent["state"] = action["fulfillmentState"]
    state["dialogAction"] = {"type": "Close"}
    return given


def _live(ctx: RequestContext, params: dict[str, Any]) -> Session:
    """The user's session, or NotFoundException (none, or idle past the bot's TTL)."""
    bot = resolve(ctx, params["botName"], params["botAlias"])
    session, _ = sessions.load(ctx, _key(params), bot.idle_ttl)
    if session is None:
        raise not_found(f"The session of user {params['userId']} with bot {params['botName']} alias "
                        f"{params['botAlias']} does not exist.")
    return session


@op("GetSession")
def get_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    session = _live(ctx, params)
    state = session.state
    v1 = state[V1]
    recent = v1.get("recent") or []
    label = params.get("checkpointLabelFilter")
    if label:
        recent = [s for s in recent if s.get("checkpointLabel") == label]
    intent = state.get("intent")
    action = _action(state)
    dialog_action = {"type": action["dialogActionType"], "intentName": intent["name"] if intent else None,
                     "slots": _slots(intent), "slotToElicit": action.get("slotToElicit"),
                     "fulfillmentState": action.get("fulfillmentState"),
                     "message": v1.get("message"), "messageFormat": v1.get("messageFormat")}
    return {"recentIntentSummaryView": recent, "sessionAttributes": state.get("sessionAttributes") or {},
            "sessionId": v1["sessionId"], "dialogAction": {k: v for k, v in dialog_action.items() if v is not None},
            "activeContexts": _contexts(state)}


@op("DeleteSession")
def delete_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    session = _live(ctx, params)
    sessions.delete(ctx, _key(params))
    return {"botName": params["botName"], "botAlias": params["botAlias"], "userId": params["userId"],
            "sessionId": session.state[V1]["sessionId"]}


# -- headers ----------------------------------------------------------------------------------------------


def _check_accept(value: str | None) -> None:
    if value and value.lower().startswith("audio/"):  # (*/* is what an HTTP client sends by default)
        raise AWSError("NotAcceptableException", f"Accept {value} is not supported here: this local runtime "
                       "synthesises no speech; ask for 'text/plain; charset=utf-8'.")


def _headers(answer: dict[str, Any]) -> dict[str, Any]:
    """PostText's members as PostContent's headers: JSON ones base64 encoded, the message also encoded."""
    headers = dict(answer)
    for name in ("nluIntentConfidence", "alternativeIntents", "slots", "sessionAttributes", "activeContexts"):
        if headers.get(name) is not None:
            headers[name] = _b64(json.dumps(headers[name], separators=(",", ":"), ensure_ascii=False))
    message = headers.get("message")
    if message is not None:
        headers["encodedMessage"] = _b64(message)
        headers["message"] = _ascii(message)  # a header carries ASCII: encodedMessage carries any text
    return headers


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _ascii(text: str) -> str | None:
    return text if text.isascii() else None


def _header_map(params: dict[str, Any], name: str) -> dict[str, str] | None:
    return string_map(header_json(params.get(name), name, bad_request), name, bad_request)
