"""Resource statuses that settle by themselves (Creating -> Available, Building -> Built).

A transition is stored with the document as (final status, time), so a status
needs no thread to move: it is read as final once the clock passes that time.
"""

from __future__ import annotations

from typing import Any

_KEY = "_settles"


def begin(body: dict[str, Any], field: str, transitional: str, final: str, at: float) -> None:
    body[field] = transitional
    body.setdefault(_KEY, {})[field] = [final, at]


def settle(body: dict[str, Any], now: float) -> dict[str, Any]:
    """The document with every transition that is due applied (a copy if anything moved)."""
    pending = body.get(_KEY)
    if not pending:
        return body
    due = {f: final for f, (final, at) in pending.items() if at <= now}
    if not due:
        return body
    out = {**body, **due, _KEY: {f: v for f, v in pending.items() if f not in due}}
    return out


def is_settling(body: dict[str, Any], now: float) -> bool:
    return any(at > now for _, at in (body.get(_KEY) or {}).values())
