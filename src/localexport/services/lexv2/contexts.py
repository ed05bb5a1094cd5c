"""Active contexts of a runtime session (context-mgmt-active-context.html).

"An output context becomes active when an associated intent is fulfilled ... After a context is activated,
it stays active for the number of turns or time limit configured"; "An intent can only be recognized during a
conversation when all of its input contexts are active. An intent with no input contexts is always eligible."
A client may also set ``sessionState.activeContexts`` itself (RecognizeText, PutSession); an empty list clears
them.

Lifetimes, where the guide leaves the counting open: a context is active in the turns after the one whose
response first carries it; each such turn takes one from its ``turnsToLive`` (the response shows what is
left) and it is gone when none is left or when ``timeToLiveInSeconds`` have passed since it was first sent,
on the server clock.  The time each context expires is kept beside the session (``Session.expiries``, with
the timeToLive the last response carried, so that a client sending another one restarts it): the wire shape
has no room for it.
"""

from __future__ import annotations

from typing import Any


class InvalidContexts(ValueError):
    pass


def checked(value: Any, attributes: str = "contextAttributes") -> list[dict[str, Any]]:
    """``value`` as a list of ActiveContext (``attributes``: V2's ``contextAttributes``, V1's ``parameters``);
    InvalidContexts saying what is wrong.  For what reaches the runtime unchecked: JSON headers and code hooks."""
    if not isinstance(value, list):
        raise InvalidContexts("activeContexts must be a list")
    for context in value:
        ttl = context.get("timeToLive") if isinstance(context, dict) else None
        if not isinstance(context, dict) or not isinstance(context.get("name"), str) or not isinstance(ttl, dict):
            raise InvalidContexts("each active context needs a name and a timeToLive")
        if not all(isinstance(ttl.get(k), int) and not isinstance(ttl.get(k), bool)
                   for k in ("timeToLiveInSeconds", "turnsToLive")):
            raise InvalidContexts(f"the timeToLive of active context {context['name']} needs integer "
                             "timeToLiveInSeconds and turnsToLive")
        given = context.get(attributes) or {}
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise InvalidContexts(f"the {attributes} of active context {context['name']} must map names to strings")
    return value


def begin_turn(state: dict[str, Any], expiries: dict[str, list], now: float) -> set[str]:
    """The names of the contexts active in this turn.  Each takes one of its turns; those whose time or turns
    ran out are dropped (from the response too).  A context the client set, or sent back with another
    timeToLive than the last response carried, starts its time now."""
    names, alive = set(), []
    for context in state.get("activeContexts") or []:
        ttl = context["timeToLive"]
        name, seconds, turns = context["name"], int(ttl["timeToLiveInSeconds"]), int(ttl["turnsToLive"])
        kept = expiries.get(name)
        expiry = kept[0] if kept and kept[1:] == [seconds, turns] else now + seconds
        if expiry <= now or turns <= 0:
            continue
        names.add(name)
        if turns > 1:
            alive.append({**context, "timeToLive": {**ttl, "turnsToLive": turns - 1}})
            expiries[name] = [expiry, seconds, turns - 1]
    for name in set(expiries) - {c["name"] for c in alive}:
        del expiries[name]
    if "activeContexts" in state:
        state["activeContexts"] = alive
    return names


def activate(state: dict[str, Any], expiries: dict[str, list], outputs: list[dict[str, Any]] | None,
             now: float) -> None:
    """Set the output contexts of an intent just fulfilled (one already active starts its life again)."""
    if not outputs:
        return
    names = {o["name"] for o in outputs}
    kept = [c for c in state.get("activeContexts") or [] if c.get("name") not in names]
    for output in outputs:
        seconds, turns = int(output["timeToLiveInSeconds"]), int(output["turnsToLive"])
        kept.append({"name": output["name"], "contextAttributes": {},
                     "timeToLive": {"timeToLiveInSeconds": seconds, "turnsToLive": turns}})
        expiries[output["name"]] = [now + seconds, seconds, turns]
    state["activeContexts"] = kept


def eligible(intent: dict[str, Any], names: set[str]) -> bool:
    return all(c.get("name") in names for c in intent.get("inputContexts") or [])
