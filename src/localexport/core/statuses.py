"""Resource statuses that settle by themselves (Creating -> Available, Building -> Built).

A transition is stored with the document as (final status, time), so a status
needs no thread to move: it is read as final once the clock passes that time.
"""

from __future__ import annotations

from typing import Any

_KEY = "_settles"


def begin(body: dict[str, Any], field: str, transitional: str, final: str, at: float,
          via: tuple[str, float] | None = None) -> None:
    """``field`` is ``transitional`` now, ``final`` from ``at`` (and ``via[0]`` from ``via[1]`` until then)."""
    body[field] = transitional
    body.setdefault(_KEY, {})[field] = [final, at, *(via or ())]


def settled_now(body: dict[str, Any], given: dict[str, Any]) -> None:
    """The fields ``given`` set without a transition of their own now hold their values: transitions an
    earlier write left pending for them are dropped."""
    pending = body.get(_KEY)
    fixed = {f for f in given if not f.startswith("_")} - set(given.get(_KEY) or {})
    if pending and fixed & set(pending):
        body[_KEY] = {f: v for f, v in pending.items() if f not in fixed}


def settle(body: dict[str, Any], now: float) -> dict[str, Any]:
    """The document with every transition that is due applied (a copy if anything moved)."""
    pending = body.get(_KEY)
    if not pending:
        return body
    due: dict[str, Any] = {}
    midway: dict[str, Any] = {}
    for field, step in pending.items():  # (one pass: every read of every document comes here)
        if step[1] <= now:
            due[field] = step[0]
        elif len(step) > 2 and step[3] <= now:
            midway[field] = step[2]
    if not due and not midway:
        return body
    return {**body, **midway, **due, _KEY: {f: v for f, v in pending.items() if f not in due}}


def is_settling(body: dict[str, Any], now: float) -> bool:
    return any(step[1] > now for step in (body.get(_KEY) or {}).values())
