"""Amazon Lex V2 runtime (lexv2-runtime): RecognizeText, RecognizeUtterance (text), PutSession, GetSession,
DeleteSession on a built alias.

Text only: RecognizeUtterance takes ``text/plain; charset=utf-8`` input and answers text (no speech is
recognised or synthesised here), and StartConversation (an HTTP/2 event stream) is not served.  The
headers RecognizeUtterance and PutSession answer with (messages, interpretations, session state, request
attributes, input transcript) are JSON compressed with gzip and then base64 encoded, as the API reference
says; the session state and request attributes a client sends in headers are base64 JSON, gzip or not.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from ...aws.errors import AWSError
from ...core.runtime import Operations, RequestContext
from . import code_hooks, sessions
from .built_locales import Built, bot_and_alias, resolve
from .dialog import Dialog, Session
from .runtime_input import header_json, input_text, now, session_state, string_map

op = Operations("lexv2-runtime")

TEXT = "text/plain; charset=utf-8"


def _built(ctx: RequestContext, params: dict[str, Any]) -> Built:
    hook = code_hooks.find(ctx, params["botId"], params["botAliasId"], params["localeId"])
    return resolve(ctx, params["botId"], params["botAliasId"], params["localeId"], hook)


def _key(params: dict[str, Any]) -> str:
    return sessions.key(params["botId"], params["botAliasId"], params["localeId"], params["sessionId"])


def _turn(ctx: RequestContext, params: dict[str, Any], text: str, given_state: dict[str, Any] | None,
          request_attributes: dict[str, str] | None) -> tuple[Session, list[dict[str, Any]]]:
    """One turn of the conversation; the session after it (saved) and the messages it answers."""
    built = _built(ctx, params)
    key = _key(params)
    session, stored = sessions.load(ctx, key, built.idle_ttl)
    session = session or Session()
    if given_state is not None:  # the client's state replaces the stored one (as a code hook's would)
        session = Session(_copy(given_state), {}, session.interpretations, session.messages, session.expiries)
    session.state.pop("originatingRequestId", None)
    messages = Dialog(built.locale, session, now(ctx), request_attributes, params["sessionId"]).recognize(text)
    session.state["originatingRequestId"] = ctx.request_id
    sessions.save(ctx, key, session, stored)
    return session, messages


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


@op("RecognizeText")
def recognize_text(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    session, messages = _turn(ctx, params, params["text"], params.get("sessionState"), params.get("requestAttributes"))
    return {"messages": messages or None, "sessionState": session.state,
            "interpretations": session.interpretations, "requestAttributes": params.get("requestAttributes"),
            "sessionId": params["sessionId"]}


@op("RecognizeUtterance")
def recognize_utterance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    content_type = params["requestContentType"]
    if not content_type.lower().startswith("text/plain"):
        raise AWSError("ValidationException", f"Content type {content_type} is not supported here: this local "
                       "runtime recognises no speech; send text with requestContentType 'text/plain; charset=utf-8'.")
    _check_response_type(params.get("responseContentType"))
    text = input_text(params.get("inputStream"))
    if not text:
        raise AWSError("ValidationException", "The input stream is empty: send the user's text.")
    given = session_state(header_json(params.get("sessionState"), "sessionState"))
    attributes = string_map(header_json(params.get("requestAttributes"), "requestAttributes"), "requestAttributes")
    session, messages = _turn(ctx, params, text, given, attributes)
    return {"inputMode": "Text", "contentType": TEXT, "messages": _encode(messages) if messages else None,
            "interpretations": _encode(session.interpretations), "sessionState": _encode(session.state),
            "requestAttributes": _encode(attributes) if attributes else None, "sessionId": params["sessionId"],
            "inputTranscript": _encode(text), "audioStream": b""}


@op("PutSession")
def put_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_response_type(params.get("responseContentType"))
    built = _built(ctx, params)
    state = _copy(params["sessionState"])
    intent = state.get("intent")
    if intent and intent.get("name") not in built.locale.intents:
        raise AWSError("ValidationException", f"Intent {intent.get('name')} does not exist in locale "
                       f"{params['localeId']} of bot {params['botId']}.")
    if intent is not None:
        declared = built.locale.slots.get(intent["name"], {})
        intent["slots"] = {s: (intent.get("slots") or {}).get(s) for s in declared}
        intent.setdefault("state", "InProgress")
        intent.setdefault("confirmationState", "None")
    state["originatingRequestId"] = ctx.request_id
    messages = params.get("messages") or []
    key = _key(params)
    _, stored = sessions.load(ctx, key, built.idle_ttl)
    sessions.save(ctx, key, Session(state, {}, [], messages), stored)
    return {"contentType": TEXT, "messages": _encode(messages) if messages else None,
            "sessionState": _encode(state), "requestAttributes": _encode(params["requestAttributes"])
            if params.get("requestAttributes") else None, "sessionId": params["sessionId"], "audioStream": b""}


@op("GetSession")
def get_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    built = _built(ctx, params)
    session, _ = sessions.load(ctx, _key(params), built.idle_ttl)
    if session is None:
        raise AWSError("ResourceNotFoundException", f"Session {params['sessionId']} does not exist.")
    return {"sessionId": params["sessionId"], "messages": session.messages or None,
            "interpretations": session.interpretations or None, "sessionState": session.state}


@op("DeleteSession")
def delete_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    built = _built(ctx, params)
    key = _key(params)
    session, _ = sessions.load(ctx, key, built.idle_ttl)
    if session is None:
        raise AWSError("ResourceNotFoundException", f"Session {params['sessionId']} does not exist.")
    sessions.delete(ctx, key)
    return {k: params[k] for k in ("botId", "botAliasId", "localeId", "sessionId")}


@op.console("PutCodeHook")
def put_code_hook(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Make an HTTP endpoint answer the code hooks of a bot alias's locale (``url``; none removes it): what
    the alias's Lambda function is on AWS (code_hooks.py)."""
    ids = {k: params.get(k) for k in ("botId", "botAliasId", "localeId")}
    missing = [k for k, v in ids.items() if not isinstance(v, str) or not v]
    if missing:
        raise AWSError("ValidationException", f"PutCodeHook needs {', '.join(missing)}.")
    url = params.get("url")
    if url is not None and not isinstance(url, str):
        raise AWSError("ValidationException", "url must be a string (or absent, to remove the code hook).")
    bot_and_alias(ctx, ids["botId"], ids["botAliasId"])
    code_hooks.put_endpoint(ctx, ids["botId"], ids["botAliasId"], ids["localeId"], url)
    return {**ids, "url": url}


def _check_response_type(value: str | None) -> None:
    if value and not value.lower().startswith("text/plain"):
        raise AWSError("ValidationException", f"Response content type {value} is not supported here: this local "
                       "runtime synthesises no speech; ask for 'text/plain; charset=utf-8'.")


def _encode(value: Any) -> str:
    """JSON, compressed with gzip, then base64 (the runtime's header encoding)."""
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(gzip.compress(raw, mtime=0)).decode()


