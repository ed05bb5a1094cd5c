"""Runtime sessions: the conversation state of one user (sessionId) with one bot alias and locale.

Kept in the store under the runtime's own scope (lexv2-runtime), keyed ``BOTID/ALIASID/LOCALE/SESSIONID``:
a session outlives the process and any server of a shared instance answers it.  A session idle for longer
than the bot's ``idleSessionTTLInSeconds`` (on the server's clock) is gone: the next turn starts afresh.
"""

from __future__ import annotations

from ...core.runtime import RequestContext
from ...core.store import AlreadyExists, Doc
from .dialog import Session

KIND = "lex_session"


def key(bot_id: str, alias_id: str, locale_id: str, session_id: str) -> str:
    return f"{bot_id}/{alias_id}/{locale_id}/{session_id}"


def load(ctx: RequestContext, session_key: str, idle_ttl: int) -> tuple[Session | None, bool]:
    """The live session (None: none, or idle past its TTL), and whether a document of it is stored."""
    doc = ctx.store.get(ctx.scope, KIND, session_key)
    if doc is None:
        return None, False
    if ctx.clock.now() - doc.updated_at > idle_ttl:
        return None, True
    body = doc.body
    return Session(body.get("sessionState") or {}, body.get("attempts") or {}, body.get("interpretations") or [],
                   body.get("messages") or [], body.get("expiries") or {}), True


def save(ctx: RequestContext, session_key: str, session: Session, stored: bool) -> None:
    """Write ``session`` (``stored``: a document of it exists, live or expired)."""
    now = ctx.clock.now()
    body = {"sessionState": session.state, "attempts": session.attempts,
            "interpretations": session.interpretations, "messages": session.messages, "expiries": session.expiries}
    parent, _, name = session_key.rpartition("/")
    doc = Doc(KIND, session_key, parent, name, body, now, now)
    if stored:
        ctx.store.replace(ctx.scope, doc)
        return
    try:
        ctx.store.put(ctx.scope, doc)
    except AlreadyExists:  # another server's first turn of the same session came first
        ctx.store.replace(ctx.scope, doc)


def delete(ctx: RequestContext, session_key: str) -> None:
    ctx.store.remove(ctx.scope, KIND, session_key)
