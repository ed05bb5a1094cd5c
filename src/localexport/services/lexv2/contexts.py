"""Active contexts of a runtime session (context-mgmt-active-context.html).

"An output context becomes active when an associated intent is fulfilled ... After a context is activated,
it stays active for the number of turns or time limit configured"; "An intent can only be recognized during a
conversation when all of its input contexts are active. An intent with no input contexts is always eligible."
A client may also set ``sessionState.activeContexts`` itself (RecognizeText, PutSession); an empty list clears
them.

Lifetimes, where the guide leaves the counting open: a context is active in the turns after the one whose
response first carries it; each such turn takes one from its ``turnsToLive`` (the response shows what is
left) and it is gone when none is left or when ``timeToLiveInSeconds`` have passed since it was first sent,
on the server clock.  The time each context expires is kept beside the session (``Session.expiries``): the
wire shape has no room for it.
"""

from __future__ import annotations

from typing import Any


def begin_turn(state: dict[str, Any], expiries: dict[str, float], now: float) -> set[str]:
    """The names of the contexts active in this turn.  Each takes one of its turns; those whose time or turns
    ran out are dropped (from the response too).  A context the client set (no expiry kept) starts its time
    now."""
    names, alive = set(), []
    for context in state.get("activeContexts") or []:
        ttl = context.get("timeToLive") or {}
        name = context.get("name", "")
        expiries.setdefault(name, now + float(ttl.get("timeToLiveInSeconds") or 0))
        turns = int(ttl.get("turnsToLive") or 0)
        if expiries[name] <= now or turns <= 0:
            continue
        names.add(name)
        if turns > 1:
            alive.append({**context, "timeToLive": {**ttl, "turnsToLive": turns - 1}})
    for name in set(expiries) - {c["name"] for c in alive}:
        del expiries[name]
    if "activeContexts" in state:
        state["activeContexts"] = alive
    return names


def activate(state: dict[str, Any], expiries: dict[str, float], outputs: list[dict[str, Any]] | None,
             now: float) -> None:
    """Set the output contexts of an intent just fulfilled (one already active starts its life again)."""
    if not outputs:
        return
    names = {o["name"] for o in outputs}
    kept = [c for c in state.get("activeContexts") or [] if c.get("name") not in names]
    for output in outputs:
        kept.append({"name": output["name"], "contextAttributes": {},
                     "timeToLive": {"timeToLiveInSeconds": output["timeToLiveInSeconds"],
                                    "turnsToLive": output["turnsToLive"]}})
        expiries[output["name"]] = now + float(output["timeToLiveInSeconds"])
    state["activeContexts"] = kept


def eligible(intent: dict[str, Any], names: set[str]) -> bool:
    return all(c.get("name") in names for c in intent.get("inputContexts") or [])
