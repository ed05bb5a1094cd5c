"""A bot's responses (``messageGroups``) as the runtime sends them (``messages``).

Each message group gives one message. AWS picks the group's message or one of its ``variations`` at
random; here it is always the group's own ``message`` (deterministic; a test reads what it wrote).
References are replaced as the developer guide's "Using slot values in prompts and responses" describes:
``{SlotName}`` by the slot's interpreted value (a multi-valued slot's values joined with ", ") and
``[attribute]`` / ``((attribute))`` by a session attribute; a reference to something not set stays as written.
"""

from __future__ import annotations

import re
from typing import Any

_REFERENCE = re.compile(r"\{([A-Za-z0-9_.-]+)\}|\[([A-Za-z0-9_.:-]+)\]|\(\(([A-Za-z0-9_.:-]+)\)\)")
_TEXT_KINDS = (("plainTextMessage", "PlainText"), ("ssmlMessage", "SSML"), ("customPayload", "CustomPayload"))


def slot_text(slot: dict[str, Any] | None) -> str | None:
    """What a filled slot reads as in a prompt or a condition (None: not filled)."""
    if not slot:
        return None
    if slot.get("values"):
        texts = [slot_text(v) for v in slot["values"]]
        return ", ".join(t for t in texts if t)
    value = slot.get("value") or {}
    return value.get("interpretedValue") or value.get("originalValue")


def substitute(text: str, slots: dict[str, Any], attributes: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        if m.group(1):
            found = slot_text(slots.get(m.group(1)))
        else:
            found = attributes.get(m.group(2) or m.group(3))
        return m.group(0) if found is None else found

    return _REFERENCE.sub(one, text)


def render(response: dict[str, Any] | None, slots: dict[str, Any], attributes: dict[str, str]) -> list[dict[str, Any]]:
    """The messages of a response setting (``{messageGroups: [...]}``); none for an inactive one."""
    if not response or response.get("active") is False:
        return []
    return [m for g in response.get("messageGroups") or [] if (m := _message(g.get("message") or {}, slots, attributes))]


def _message(message: dict[str, Any], slots: dict[str, Any], attributes: dict[str, str]) -> dict[str, Any] | None:
    for member, content_type in _TEXT_KINDS:
        if message.get(member):
            return {"content": substitute(message[member]["value"], slots, attributes), "contentType": content_type}
    card = message.get("imageResponseCard")
    if card:
        card = {**card, "title": substitute(card["title"], slots, attributes)}
        return {"contentType": "ImageResponseCard", "imageResponseCard": card}
    return None
