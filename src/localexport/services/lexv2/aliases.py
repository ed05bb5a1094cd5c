"""Lex V2 bot aliases: what a promotion pipeline points at a new version.

Every bot has ``TestBotAlias`` (``TSTALIASID``, on DRAFT, made with the bot and
not deletable, see resources.create_test_alias); other aliases point at
numbered versions.  An alias's history (``botAliasHistoryEvents``) records each
version it pointed at, newest first, the current one without an end date.
Aliases are not part of exports (as AWS).
"""

from __future__ import annotations

from typing import Any

from ...core import statuses
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import conflict, precondition, quota, validation
from .handlers import bot_version, op

MAX_ALIASES = 5  # per bot besides TestBotAlias ("Aliases per bot", Lex V2 quotas, not adjustable)
SETTINGS = ("description", "botVersion", "botAliasLocaleSettings", "conversationLogSettings",
            "sentimentAnalysisSettings")


def _load(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    r.load(ctx, r.BOT, params)
    return r.load(ctx, r.BOT_ALIAS, params)


def _check_target(ctx: RequestContext, bot_id: str, version: str | None, settings: dict[str, Any] | None,
                  alias_id: str) -> None:
    """An alias points at an existing version (DRAFT only for TestBotAlias); the locales it enables are
    that version's, built."""
    if version is None:
        if settings:
            raise validation("botAliasLocaleSettings can only be given with a botVersion.")
        return
    if version == r.DRAFT and alias_id != r.TEST_ALIAS_ID:
        raise validation(f"Only {r.TEST_ALIAS_NAME} can point at the DRAFT version; choose a numbered version.")
    if version != r.DRAFT and alias_id == r.TEST_ALIAS_ID:
        raise validation(f"{r.TEST_ALIAS_NAME} always points at the DRAFT version.")
    bot_version(ctx, bot_id, version)  # PreconditionFailedException: these operations declare no not-found
    for locale_id in settings or {}:
        locale = r.find(ctx, r.LOCALE, {"botId": bot_id, "botVersion": version, "localeId": locale_id})
        if locale is None:
            raise validation(f"Bot version {version} of bot {bot_id} has no locale {locale_id}.")
        status = r.current(ctx, locale).get("botLocaleStatus")
        if status != "Built":
            raise precondition(f"Locale {locale_id} of bot {bot_id} version {version} is {status}; build it "
                               "before an alias uses it.")


def _view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    body = r.current(ctx, doc)
    networks = [{"botId": b.body["botId"], "botVersion": r.DRAFT} for b in _networks_using(ctx, doc)]
    return {**body, "parentBotNetworks": networks or None}


def _networks_using(ctx: RequestContext, alias: Doc) -> list[Doc]:
    """Bots of type BotNetwork whose members name this alias."""
    bot_id, alias_id = alias.body["botId"], alias.body["botAliasId"]
    return [b for b in ctx.store.all(ctx.scope, r.BOT.kind)
            if any(m.get("botMemberId") == bot_id and m.get("botMemberAliasId") == alias_id
                   for m in b.body.get("botMembers") or [])]


@op("CreateBotAlias")
def create_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot_id = params["botId"]
    r.load(ctx, r.BOT, params)
    if len(r.aliases_on(ctx, bot_id)) >= MAX_ALIASES:
        raise quota(f"Bot {bot_id} already has {MAX_ALIASES} aliases, the maximum.")
    alias_id = ctx.ids.short()
    _check_target(ctx, bot_id, params.get("botVersion"), params.get("botAliasLocaleSettings"), alias_id)
    now = ctx.clock.now()
    tags = params.pop("tags", None) or {}
    extra: dict[str, Any] = {"_tags": tags,
                             "botAliasHistoryEvents": [{"botVersion": params["botVersion"], "startDate": now}]
                             if params.get("botVersion") else []}
    statuses.begin(extra, "botAliasStatus", "Creating", "Available", ctx.engine.settle_at())
    body = r.create(ctx, r.BOT_ALIAS, params, alias_id, **extra)
    return {**body, "tags": tags}


@op("DescribeBotAlias")
def describe_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _view(ctx, _load(ctx, params))


@op("UpdateBotAlias")
def update_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _load(ctx, params)
    old = r.current(ctx, doc)
    if statuses.is_settling(old, ctx.clock.now()):
        raise conflict(f"Bot alias {params['botAliasId']} is {old['botAliasStatus']}; try again later.")
    if doc.body["botAliasId"] == r.TEST_ALIAS_ID:
        if params["botAliasName"] != r.TEST_ALIAS_NAME:
            raise validation(f"{r.TEST_ALIAS_NAME} cannot be renamed.")
        params = {**params, "botVersion": params.get("botVersion") or r.DRAFT}  # it stays on DRAFT
    _check_target(ctx, params["botId"], params.get("botVersion"), params.get("botAliasLocaleSettings"),
                  params["botAliasId"])
    now = ctx.clock.now()
    history = [dict(e) for e in old.get("botAliasHistoryEvents") or []]
    version = params.get("botVersion")
    if version != old.get("botVersion"):
        if history and "endDate" not in history[0]:
            history[0]["endDate"] = now
        if version is not None:
            history.insert(0, {"botVersion": version, "startDate": now})
    body = r.replace(ctx, r.BOT_ALIAS, doc, {**params, "botAliasHistoryEvents": history})
    statuses.begin(body, "botAliasStatus", "Creating", "Available", ctx.engine.settle_at())  # no "Updating" status
    return r.save(ctx, doc, body)


@op("ListBotAliases")
def list_bot_aliases(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    r.load(ctx, r.BOT, params)
    docs = [r.current(ctx, d) for d in r.aliases_of(ctx, params["botId"])]
    items, token = r.listing(ctx, r.BOT_ALIAS, params, docs)
    return {"botId": params["botId"], "botAliasSummaries": items, "nextToken": token}


@op("DeleteBotAlias")
def delete_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _load(ctx, params)
    if doc.body["botAliasId"] == r.TEST_ALIAS_ID:
        raise validation(f"{r.TEST_ALIAS_NAME} cannot be deleted; it is deleted with its bot.")
    users = _networks_using(ctx, doc)
    if users and not params.get("skipResourceInUseCheck"):
        raise precondition(f"Bot alias {params['botAliasId']} is used by bot network {users[0].body['botId']}; "
                           "remove it from the network or set skipResourceInUseCheck.")
    r.remove(ctx, r.BOT_ALIAS, doc)
    return {"botId": params["botId"], "botAliasId": params["botAliasId"], "botAliasStatus": "Deleting"}
