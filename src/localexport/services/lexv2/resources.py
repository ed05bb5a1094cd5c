"""Lex V2 resources, each described once, and the generic create/describe/update/
list/delete that serves them.

A document's key is its parents' ids and its own id joined by ``/``
(``BOTID/DRAFT/en_US/INTENTID``), so a bot version or a whole bot is one key
prefix.  The stored body is the resource as Describe* returns it (the
serializer keeps only the members each output shape declares); fields starting
with ``_`` are internal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...core import statuses
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import AlreadyExists, Doc
from .errors import conflict, not_found, validation

DRAFT = "DRAFT"
CREATED, UPDATED = "creationDateTime", "lastUpdatedDateTime"


@dataclass(frozen=True)
class Resource:
    kind: str
    label: str
    id_field: str
    name_field: str
    parents: tuple[str, ...]
    sort_fields: dict[str, str] = field(default_factory=dict)
    filter_fields: dict[str, str] = field(default_factory=dict)
    default_sort: str = ""
    segment: str = ""  # a literal between the parents' ids and its own, where ids alone could collide

    def key(self, params: dict[str, Any], own_id: str | None = None) -> str:
        return "/".join([self.parent_key(params), own_id or str(params[self.id_field])]).lstrip("/")

    def parent_key(self, params: dict[str, Any]) -> str:
        return "/".join([*(str(params[p]) for p in self.parents), *((self.segment,) if self.segment else ())])


BOT = Resource("bot", "Bot", "botId", "botName", (), {"BotName": "botName"}, {"BotName": "botName"}, "botName")
BOT_VERSION = Resource("bot_version", "Bot version", "botVersion", "botVersion", ("botId",),
                       {"BotVersion": "botVersion"}, {}, "botVersion")
LOCALE = Resource("bot_locale", "Bot locale", "localeId", "localeId", ("botId", "botVersion"),
                  {"BotLocaleName": "localeName"}, {"BotLocaleName": "localeName"}, "localeName")
INTENT = Resource("intent", "Intent", "intentId", "intentName", ("botId", "botVersion", "localeId"),
                  {"IntentName": "intentName", "LastUpdatedDateTime": UPDATED}, {"IntentName": "intentName"},
                  "intentName")
SLOT_TYPE = Resource("slot_type", "Slot type", "slotTypeId", "slotTypeName", ("botId", "botVersion", "localeId"),
                     {"SlotTypeName": "slotTypeName", "LastUpdatedDateTime": UPDATED},
                     {"SlotTypeName": "slotTypeName"}, "slotTypeName")
SLOT = Resource("slot", "Slot", "slotId", "slotName", ("botId", "botVersion", "localeId", "intentId"),
                {"SlotName": "slotName", "LastUpdatedDateTime": UPDATED}, {"SlotName": "slotName"}, "slotName")
# ``BOTID/aliases/ALIASID``: under the bot (deleted with it), apart from its versions' trees
BOT_ALIAS = Resource("bot_alias", "Bot alias", "botAliasId", "botAliasName", ("botId",), {}, {}, "botAliasName",
                     segment="aliases")


def current(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    """A document's body with its settled statuses."""
    return statuses.settle(doc.body, ctx.clock.now())


def find(ctx: RequestContext, res: Resource, params: dict[str, Any]) -> Doc | None:
    return ctx.store.get(ctx.scope, res.kind, res.key(params))


def load(ctx: RequestContext, res: Resource, params: dict[str, Any]) -> Doc:
    doc = find(ctx, res, params)
    if doc is None:
        raise not_found(ctx.operation, missing_message(res, params))
    return doc


def missing_message(res: Resource, params: dict[str, Any]) -> str:
    where = ", ".join(f"{p} {params[p]}" for p in res.parents)
    return f"{res.label} {params[res.id_field]}{' (' + where + ')' if where else ''} does not exist."


def create(ctx: RequestContext, res: Resource, params: dict[str, Any], own_id: str, **extra: Any) -> dict[str, Any]:
    parent = res.parent_key(params) if res.parents else None
    name = params.get(res.name_field)
    if name is not None and ctx.store.find(ctx.scope, res.kind, parent, name):
        raise conflict(f"A {res.label.lower()} with the name {name} already exists.")
    now = ctx.clock.now()
    body = {**params, res.id_field: own_id, CREATED: now, UPDATED: now, **extra}
    try:
        ctx.store.put(ctx.scope, Doc(res.kind, res.key(params, own_id), parent, name, body, now, now))
    except AlreadyExists:
        raise conflict(f"{res.label} {own_id} already exists.") from None
    return body


def replace(ctx: RequestContext, res: Resource, doc: Doc, params: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Update* in Lex V2 replaces the resource: members left out are cleared."""
    name = params.get(res.name_field, doc.name)
    if name != doc.name:
        other = ctx.store.find(ctx.scope, res.kind, doc.parent, name)
        if other is not None and other.key != doc.key:
            raise conflict(f"A {res.label.lower()} with the name {name} already exists.")
    old = doc.body
    kept = {k: old[k] for k in (*keep, res.id_field, CREATED) if k in old}
    kept.update({k: v for k, v in old.items() if k.startswith("_")})
    now = ctx.clock.now()
    body = {**params, **kept, UPDATED: now}
    ctx.store.replace(ctx.scope, Doc(doc.kind, doc.key, doc.parent, name, body, doc.created_at, now))
    return body


def save(ctx: RequestContext, doc: Doc, body: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now()
    ctx.store.replace(ctx.scope, Doc(doc.kind, doc.key, doc.parent, doc.name, body, doc.created_at, now))
    return body


def remove(ctx: RequestContext, res: Resource, doc: Doc) -> None:
    with ctx.store.transaction():
        ctx.store.remove(ctx.scope, res.kind, doc.key)
        ctx.store.remove_tree(ctx.scope, doc.key + "/")


def listing(
    ctx: RequestContext,
    res: Resource,
    params: dict[str, Any],
    docs: list[dict[str, Any]],
    summary: Callable[[dict[str, Any]], dict[str, Any]] = lambda b: b,
) -> tuple[list[dict[str, Any]], str | None]:
    """Filter, sort and page ``docs`` the way List* operations do."""
    items = docs
    for flt in params.get("filters", []):
        fieldname = res.filter_fields.get(flt["name"])
        if fieldname is None:
            raise validation(f"Filter name {flt['name']} is not supported.")
        items = [b for b in items if _matches(str(b.get(fieldname, "")), flt["values"], flt["operator"])]
    sort = params.get("sortBy")
    attribute = res.sort_fields.get(sort["attribute"]) if sort else res.default_sort
    descending = bool(sort) and sort["order"] == "Descending"
    items = sorted(items, key=lambda b: _sort_key(b.get(attribute)), reverse=descending)
    try:
        chunk, token = page(items, params.get("maxResults", 100), params.get("nextToken"),
                            {k: v for k, v in params.items() if k not in ("maxResults", "nextToken")})
    except InvalidToken as error:
        raise validation(str(error)) from None
    return [summary(b) for b in chunk], token


def _sort_key(value: Any) -> tuple:
    if isinstance(value, str) and value.isdigit():
        return (0, int(value), "")
    return (1, 0, str(value).lower() if value is not None else "")


def _matches(value: str, wanted: list[str], operator: str) -> bool:
    if operator == "EQ":
        return value in wanted
    if operator == "NE":
        return value not in wanted
    return any(w.lower() in value.lower() for w in wanted)  # CO


# -- bot aliases -----------------------------------------------------------------

TEST_ALIAS_ID, TEST_ALIAS_NAME = "TSTALIASID", "TestBotAlias"  # every bot's alias on DRAFT, as in AWS


def create_test_alias(ctx: RequestContext, bot_id: str, tags: dict[str, str] | None) -> dict[str, Any]:
    """The TestBotAlias a new bot comes with: on DRAFT, Available at once, not deletable."""
    now = ctx.clock.now()
    return create(ctx, BOT_ALIAS, {"botId": bot_id, "botAliasName": TEST_ALIAS_NAME,
                                   "description": "test bot alias", "botVersion": DRAFT,
                                   "botAliasHistoryEvents": [{"botVersion": DRAFT, "startDate": now}]},
                  TEST_ALIAS_ID, botAliasStatus="Available", _tags=dict(tags or {}))


def aliases_of(ctx: RequestContext, bot_id: str) -> list[Doc]:
    return ctx.store.children(ctx.scope, BOT_ALIAS.kind, BOT_ALIAS.parent_key({"botId": bot_id}))


def aliases_on(ctx: RequestContext, bot_id: str, version: str | None = None) -> list[str]:
    """Ids of the aliases (TestBotAlias aside) that point at ``version`` of the bot, or at any version."""
    return [d.body["botAliasId"] for d in aliases_of(ctx, bot_id)
            if d.body["botAliasId"] != TEST_ALIAS_ID and (version is None or d.body.get("botVersion") == version)]


def new_bot(ctx: RequestContext, params: dict[str, Any], bot_id: str, **extra: Any) -> dict[str, Any]:
    """A bot (CreateBot, an import, a migration) with its tags and its TestBotAlias."""
    body = create(ctx, BOT, params, bot_id, _tags=dict(params.get("botTags") or {}), **extra)
    create_test_alias(ctx, bot_id, params.get("testBotAliasTags"))
    return body


# -- ARNs: the resources tags and resource policies name -------------------------------

ARN_TYPES = {"bot": (BOT, ("botId",)), "bot-alias": (BOT_ALIAS, ("botId", "botAliasId"))}


def arn(ctx: RequestContext, resource_type: str, *ids: str) -> str:
    return f"arn:aws:lex:{ctx.region}:{ctx.account}:{resource_type}/{'/'.join(ids)}"


def is_v2_arn(value: str) -> bool:
    """Lex V2 ARNs name resources ``type/id`` (``bot/ABCDE12345``); Lex V1 ones ``type:name``."""
    parts = value.split(":", 5)
    return len(parts) == 6 and "/" in parts[5] and ":" not in parts[5].split("/", 1)[0]


def by_arn(ctx: RequestContext, value: str, types: dict[str, tuple[Resource, tuple[str, ...]]]) -> Doc:
    """The document an ARN of one of ``types`` names in the caller's account and region.

    A malformed ARN is a ValidationException worded as AWS words it; another account's, another
    region's or a missing resource is not found."""
    parts = value.split(":", 5)
    relative = parts[5] if len(parts) == 6 else value
    kind, _, rest = relative.partition("/")
    found = types.get(kind)
    ids = rest.split("/") if rest else []
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "lex"] or found is None or len(ids) != len(found[1]):
        raise validation(f"RelativeId does not match Lex ARN format: {relative}")
    res, fields = found
    doc = None
    if parts[3] == ctx.region and parts[4] == ctx.account:
        doc = ctx.store.get(ctx.scope, res.kind, res.key(dict(zip(fields, ids, strict=True))))
    if doc is None:
        raise not_found(ctx.operation, f"The resource {value} does not exist.")
    return doc
