"""Lex V1 bot aliases and the channel associations made on them.

An alias points at ``$LATEST`` or a numbered version; PutBotAlias follows
PutBot's checksum rules (none to create, the current one to update).  Channel
associations (Facebook, Slack, ...) are made in the AWS console, not the API:
here the console action ``PutBotChannelAssociation`` of the test controls
makes them, so DeleteBotAlias's refusal while one exists can be tested.
"""

from __future__ import annotations

from typing import Any

from ...core import tags
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import bad_request, in_use, not_found, precondition
from .handlers import op

CHANNEL_TYPES = ("Facebook", "Slack", "Twilio-Sms", "Kik")


def _load_alias(ctx: RequestContext, bot: str, alias: str) -> Doc:
    doc = r.find_alias(ctx, bot, alias)
    if doc is None:
        raise not_found(f"The bot alias {alias} of bot {bot} does not exist. Choose another alias and try your "
                        "request again.")
    return doc


def _logs(bot: str, alias: str, version: str, logs: dict[str, Any] | None) -> dict[str, Any] | None:
    """conversationLogs as answered: each log setting with the prefix AWS writes under."""
    if not logs:
        return None
    prefix = f"aws/lex/{bot}/{alias}/{version}/"
    return {**logs, "logSettings": [{**s, "resourcePrefix": prefix} for s in logs["logSettings"]]}


def _view(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "conversationLogs": _logs(body["botName"], body["name"], body["botVersion"],
                                              body.get("conversationLogs"))}


@op("PutBotAlias")
def put_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot, name, version = params["botName"], params["name"], params["botVersion"]
    if r.find(ctx, r.BOT, bot) is None:
        raise bad_request(f"The bot {bot} does not exist.")
    if r.find(ctx, r.BOT, bot, version) is None:
        raise bad_request(f"The bot {bot} has no version {version}.")
    current = r.find_alias(ctx, bot, name)
    given = params.get("checksum")
    if current is None and given:
        raise bad_request(f"Checksum must not be set when creating the bot alias {name}.")
    if current is not None and given != current.body["checksum"]:
        raise precondition(f"The checksum of bot alias {name} does not match; get the alias again and pass its "
                           "checksum.")
    if current is not None and params.get("tags"):
        raise bad_request("Tags can be set only when an alias is created; use TagResource to change them.")
    logs = params.get("conversationLogs")
    if logs:
        for setting in logs["logSettings"]:
            if setting.get("kmsKeyArn") and setting["destination"] != "S3":
                raise bad_request("kmsKeyArn can be given only for log settings with destination S3.")
    now = ctx.clock.now()
    body = {k: params.get(k) for k in ("name", "description", "botVersion", "botName", "conversationLogs")}
    body.update(checksum=ctx.ids.uuid(), lastUpdatedDate=now,
                createdDate=current.body["createdDate"] if current else now,
                _tags=current.body["_tags"] if current else tags.from_pairs(params.get("tags"), "key", "value"))
    doc = Doc(r.ALIAS.kind, r.alias_key(bot, name), bot, name, body, now, now)
    if current is None:
        ctx.store.put(ctx.scope, doc)
    else:
        ctx.store.replace(ctx.scope, doc)
    return {**_view(body), "tags": params.get("tags")}


@op("GetBotAlias")
def get_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _view(_load_alias(ctx, params["botName"], params["name"]).body)


@op("GetBotAliases")
def get_bot_aliases(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items = [_view(d.body) for d in r.aliases_of(ctx, params["botName"])]
    chunk, token = r.listing(items, {**params, "maxResults": params.get("maxResults", 50)})
    return {"BotAliases": chunk, "nextToken": token}


@op("DeleteBotAlias")
def delete_bot_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _load_alias(ctx, params["botName"], params["name"])
    channels = ctx.store.children(ctx.scope, r.CHANNEL.kind, doc.key)
    if channels:
        raise in_use(f"The bot alias {params['name']} is used by channel association {channels[0].name}.",
                     "BotChannel", {"name": channels[0].name})
    ctx.store.remove(ctx.scope, r.ALIAS.kind, doc.key)
    return {}


# -- channel associations --------------------------------------------------------------------


def _load_channel(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    key = f"{r.alias_key(params['botName'], params['botAlias'])}/{params['name']}"
    doc = ctx.store.get(ctx.scope, r.CHANNEL.kind, key)
    if doc is None:
        raise not_found(f"The channel association {params['name']} of bot {params['botName']} alias "
                        f"{params['botAlias']} does not exist.")
    return doc


@op("GetBotChannelAssociation")
def get_channel(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _load_channel(ctx, params).body


@op("GetBotChannelAssociations")
def get_channels(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot, alias = params["botName"], params["botAlias"]
    if alias == "-":  # every alias of the bot
        docs = [c for a in r.aliases_of(ctx, bot) for c in ctx.store.children(ctx.scope, r.CHANNEL.kind, a.key)]
    else:
        docs = ctx.store.children(ctx.scope, r.CHANNEL.kind, r.alias_key(bot, alias))
    items = sorted((d.body for d in docs), key=lambda b: (b["botAlias"], b["name"]))
    chunk, token = r.listing(items, {**params, "maxResults": params.get("maxResults", 50)})
    return {"botChannelAssociations": chunk, "nextToken": token}


@op("DeleteBotChannelAssociation")
def delete_channel(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx.store.remove(ctx.scope, r.CHANNEL.kind, _load_channel(ctx, params).key)
    return {}


@op.console("PutBotChannelAssociation")
def put_channel(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """What the console's "Channels" tab does: associate an alias with a messaging platform."""
    bot, alias, name = params["botName"], params["botAlias"], params["name"]
    _load_alias(ctx, bot, alias)
    if params.get("type") not in CHANNEL_TYPES:
        raise bad_request(f"type must be one of {', '.join(CHANNEL_TYPES)}.")
    now = ctx.clock.now()
    body = {"name": name, "description": params.get("description"), "botAlias": alias, "botName": bot,
            "createdDate": now, "type": params["type"], "botConfiguration": params.get("botConfiguration") or {},
            "status": "CREATED"}
    key = f"{r.alias_key(bot, alias)}/{name}"
    doc = Doc(r.CHANNEL.kind, key, r.alias_key(bot, alias), name, body, now, now)
    if ctx.store.get(ctx.scope, r.CHANNEL.kind, key) is None:
        ctx.store.put(ctx.scope, doc)
    else:
        ctx.store.replace(ctx.scope, doc)
    return body
