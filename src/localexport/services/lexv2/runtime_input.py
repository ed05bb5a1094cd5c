"""What the Lex runtimes (lexv2-runtime, and Lex V1's lex-runtime) read from a request beyond its modelled
members: the text of a ``text/plain`` input stream, and JSON headers, which botocore sends as base64 JSON
(``jsonvalue``, gzip-compressed or not) without checking them against any shape.  Each runtime says which
error a bad one is (``error``: message -> AWSError)."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ...aws.errors import AWSError
from ...core.runtime import RequestContext
from . import contexts

Error = Callable[[str], AWSError]


def validation(message: str) -> AWSError:
    return AWSError("ValidationException", message)


def now(ctx: RequestContext) -> datetime:
    return datetime.fromtimestamp(ctx.clock.now(), UTC)


def input_text(stream: bytes | str | None) -> str:
    """The user's text sent as a ``text/plain`` input stream (RecognizeUtterance, PostContent)."""
    body = stream or b""
    return (body if isinstance(body, bytes) else str(body).encode()).decode("utf-8", "replace").strip()


def header_json(value: str | None, name: str, error: Error = validation) -> Any:
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (binascii.Error, OSError, EOFError, ValueError):
        raise error(f"{name} must be base64-encoded JSON (gzip-compressed or not).") from None


def string_map(value: Any, name: str, error: Error = validation) -> dict[str, str] | None:
    """A header's JSON that must be a map of strings (session and request attributes)."""
    if value is not None and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        raise error(f"{name} must be a JSON object whose values are strings.")
    return value


def active_contexts(value: Any, name: str, attributes: str, error: Error = validation) -> list | None:
    if value is None:
        return None
    try:
        return contexts.checked(value, attributes)
    except ValueError as wrong:
        raise error(f"{name}: {wrong}.") from None


def session_state(value: Any, error: Error = validation) -> dict[str, Any] | None:
    """RecognizeUtterance's sessionState header: an object whose attributes and contexts have their shapes."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise error("sessionState must be a JSON object.")
    string_map(value.get("sessionAttributes"), "sessionState.sessionAttributes", error)
    active_contexts(value.get("activeContexts"), "sessionState.activeContexts", "contextAttributes", error)
    if value.get("intent") is not None and not (isinstance(value["intent"], dict)
                                                and isinstance(value["intent"].get("name"), str)):
        raise error("sessionState.intent must be an object with a name.")
    return value
