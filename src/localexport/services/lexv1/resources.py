"""Lex V1 resources: slot types, intents and bots, each with ``$LATEST`` and numbered versions.

A document's key is ``{name}/{version}``.  ``$LATEST`` is the only editable
version; Put* replaces it and needs the current ``checksum`` (none to create);
Create*Version snapshots it into the next number, or returns the last version
when ``$LATEST`` has not changed since (as the model documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core import statuses
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import Doc
from .errors import bad_request, not_found, precondition

LATEST = "$LATEST"


@dataclass(frozen=True)
class Resource:
    kind: str
    label: str  # for messages
    arn_type: str  # bot | intent | slottype


SLOT_TYPE = Resource("slot_type", "slot type", "slottype")
INTENT = Resource("intent", "intent", "intent")
BOT = Resource("bot", "bot", "bot")
ALIAS = Resource("bot_alias", "bot alias", "bot")  # key ``{bot}/{alias}``
CHANNEL = Resource("bot_channel", "bot channel association", "bot-channel")  # key ``{bot}/{alias}/{channel}``

# Members that are bookkeeping, not content: a version is new only when the content changed.
BOOKKEEPING = {"name", "version", "checksum", "createdDate", "lastUpdatedDate", "createVersion", "status",
               "failureReason", "tags", "processBehavior"}


def content(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in BOOKKEEPING and not k.startswith("_")}


def key(name: str, version: str) -> str:
    return f"{name}/{version}"


def find(ctx: RequestContext, res: Resource, name: str, version: str = LATEST) -> Doc | None:
    return ctx.store.get(ctx.scope, res.kind, key(name, version))


def load(ctx: RequestContext, res: Resource, name: str, version: str = LATEST) -> Doc:
    doc = find(ctx, res, name, version)
    if doc is None:
        raise not_found(f"The {res.label} {name} version {version} does not exist. Choose another {res.label} "
                        "and try your request again.")
    return doc


def versions(ctx: RequestContext, res: Resource, name: str) -> list[Doc]:
    docs = ctx.store.children(ctx.scope, res.kind, name)
    return sorted(docs, key=lambda d: (d.body["version"] != LATEST, int(d.body["version"]) if
                                       d.body["version"] != LATEST else 0))


def put(ctx: RequestContext, res: Resource, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Create or replace ``$LATEST`` (the checksum rules of PutBot/PutIntent/PutSlotType)."""
    name = params["name"]
    current = find(ctx, res, name)
    given = params.get("checksum")
    if current is None and given:
        raise bad_request(f"Checksum must not be set when creating the {res.label} {name}.")
    if current is not None and given != current.body["checksum"]:
        raise precondition(f"The checksum of {res.label} {name} does not match the $LATEST version; get the "
                           f"{res.label} again and pass its checksum.")
    now = ctx.clock.now()
    body = {**{k: v for k, v in params.items() if k not in ("checksum", "createVersion")}, **extra,
            "version": LATEST, "checksum": ctx.ids.uuid(), "lastUpdatedDate": now,
            "createdDate": current.body["createdDate"] if current else now}
    if current is not None:
        body = {**{k: v for k, v in current.body.items() if k.startswith("_")}, **body}
        # a status given now (PutBot SAVE's NOT_BUILT) ends an earlier build's pending READY
        statuses.settled_now(body, extra)
    doc = Doc(res.kind, key(name, LATEST), name, name, body, now, now)
    if current is None:
        ctx.store.put(ctx.scope, doc)
    else:
        ctx.store.replace(ctx.scope, doc)
    return body


def create_version(ctx: RequestContext, res: Resource, name: str, checksum: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    latest = load(ctx, res, name)
    if checksum is not None and checksum != latest.body["checksum"]:
        raise precondition(f"The checksum of {res.label} {name} does not match the $LATEST version.")
    numbered = [d for d in versions(ctx, res, name) if d.body["version"] != LATEST]
    if numbered and content(numbered[-1].body) == content(latest.body):
        return numbered[-1].body  # unchanged since the last version: no new one
    number = str(int(latest.body.get("_lastVersion", "0")) + 1)
    now = ctx.clock.now()
    body = {**latest.body, **extra, "version": number, "checksum": ctx.ids.uuid(), "createdDate": now,
            "lastUpdatedDate": now}
    body = {k: v for k, v in body.items() if k != "_lastVersion"}
    ctx.store.put(ctx.scope, Doc(res.kind, key(name, number), name, name, body, now, now))
    ctx.store.replace(ctx.scope, Doc(res.kind, latest.key, name, name, {**latest.body, "_lastVersion": number},
                                     latest.created_at, latest.updated_at))
    return body


def listing(items: list[dict[str, Any]], params: dict[str, Any]) -> tuple[list, str | None]:
    contains = params.get("nameContains")
    if contains:
        items = [i for i in items if contains in i["name"]]
    try:
        return page(items, params.get("maxResults", 10), params.get("nextToken"),
                    {k: v for k, v in params.items() if k not in ("maxResults", "nextToken")})
    except InvalidToken as error:
        raise bad_request(str(error)) from None


def latest_of_each(ctx: RequestContext, res: Resource) -> list[dict[str, Any]]:
    docs = [d.body for d in ctx.store.all(ctx.scope, res.kind) if d.body["version"] == LATEST]
    return sorted(docs, key=lambda b: b["name"])


def save(ctx: RequestContext, doc: Doc, body: dict[str, Any]) -> None:
    ctx.store.replace(ctx.scope, Doc(doc.kind, doc.key, doc.parent, doc.name, body, doc.created_at, ctx.clock.now()))


def alias_key(bot: str, alias: str) -> str:
    return f"{bot}/{alias}"


def find_alias(ctx: RequestContext, bot: str, alias: str) -> Doc | None:
    return ctx.store.get(ctx.scope, ALIAS.kind, alias_key(bot, alias))


def aliases_of(ctx: RequestContext, bot: str) -> list[Doc]:
    return sorted(ctx.store.children(ctx.scope, ALIAS.kind, bot), key=lambda d: d.body["name"])
