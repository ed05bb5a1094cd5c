"""Lex V1 model-building operations: slot types, intents, bots, versions, built-ins, tags."""

from __future__ import annotations

from typing import Any

from ...core import statuses, tags
from ...core.runtime import Operations, RequestContext
from . import builtins
from . import resources as r
from .errors import bad_request, conflict, in_use, not_found

op = Operations("lex-models")

MAX_TAGS = 200  # per resource (the tag list limit of the model)
SUMMARY = ("name", "description", "lastUpdatedDate", "createdDate", "version")


def _summary(body: dict[str, Any], *extra: str) -> dict[str, Any]:
    return {k: body.get(k) for k in (*SUMMARY, *extra)}


def _version_of(params: dict[str, Any]) -> str:
    return params.get("version") or params.get("versionOrAlias") or r.LATEST


# -- references between resources -----------------------------------------------------


def check_slot_types(ctx: RequestContext, slots: list[dict[str, Any]]) -> None:
    for slot in slots:
        slot_type = slot.get("slotType", "")
        if slot_type.startswith("AMAZON."):
            continue
        version = slot.get("slotTypeVersion")
        if not version:
            raise bad_request(f"Slot {slot['name']} must give the slotTypeVersion of custom slot type {slot_type}.")
        if r.find(ctx, r.SLOT_TYPE, slot_type, version) is None:
            raise bad_request(f"Slot type {slot_type} version {version} does not exist (slot {slot['name']}).")


def check_intents(ctx: RequestContext, intents: list[dict[str, Any]]) -> None:
    for ref in intents:
        if r.find(ctx, r.INTENT, ref["intentName"], ref["intentVersion"]) is None:
            raise bad_request(f"Intent {ref['intentName']} version {ref['intentVersion']} does not exist.")


def _users(ctx: RequestContext, kind: r.Resource, member: str, name: str, version: str | None) -> list[str]:
    """Resources of ``kind`` whose ``member`` list refers to ``name`` (at ``version``, or any)."""
    found = []
    for doc in ctx.store.all(ctx.scope, kind.kind):
        for ref in doc.body.get(member) or []:
            ref_name = ref.get("slotType") or ref.get("intentName")
            ref_version = ref.get("slotTypeVersion") or ref.get("intentVersion")
            if ref_name == name and (version is None or ref_version == version):
                found.append(f"{doc.body['name']}:{doc.body['version']}")
    return found


def _refuse_in_use(ctx: RequestContext, res: r.Resource, name: str, version: str | None) -> None:
    user_kind, member, reference = (r.INTENT, "slots", "Intent") if res is r.SLOT_TYPE else (r.BOT, "intents", "Bot")
    users = _users(ctx, user_kind, member, name, version)
    if users:
        user, user_version = users[0].split(":")
        raise in_use(f"The {res.label} {name} is referenced by {reference.lower()} {users[0]}.", reference,
                     {"name": user, "version": user_version})


def _refuse_aliased(ctx: RequestContext, bot: str, version: str | None) -> None:
    """A bot (or version) an alias points at is not deleted."""
    for alias in r.aliases_of(ctx, bot):
        if version is None or alias.body["botVersion"] == version:
            raise in_use(f"The bot {bot} is used by alias {alias.name}.", "BotAlias", {"name": alias.name})


def _delete(ctx: RequestContext, res: r.Resource, name: str, version: str | None) -> None:
    if version == r.LATEST:
        raise bad_request(f"You can't delete the $LATEST version of a {res.label}; delete the {res.label} instead.")
    docs = [r.load(ctx, res, name, version)] if version else r.versions(ctx, res, name)
    if not docs:
        raise not_found(f"The {res.label} {name} does not exist.")
    if res is r.BOT:
        _refuse_aliased(ctx, name, version)
    else:
        _refuse_in_use(ctx, res, name, version)
    with ctx.store.transaction():
        for doc in docs:
            ctx.store.remove(ctx.scope, res.kind, doc.key)


def _put_and_maybe_version(ctx: RequestContext, res: r.Resource, params: dict[str, Any],
                           **extra: Any) -> dict[str, Any]:
    with ctx.store.transaction():
        body = r.put(ctx, res, params, **extra)
        if params.get("createVersion"):
            body = {**r.create_version(ctx, res, params["name"]), "createVersion": True}
    return body


# -- slot types ------------------------------------------------------------------------------


@op("PutSlotType")
def put_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("enumerationValues") and not params.get("parentSlotTypeSignature"):
        raise bad_request("A slot type needs enumerationValues or a parentSlotTypeSignature.")
    params.setdefault("valueSelectionStrategy", "ORIGINAL_VALUE")
    return _put_and_maybe_version(ctx, r.SLOT_TYPE, params)


# -- intents -----------------------------------------------------------------------------------


@op("PutIntent")
def put_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_slot_types(ctx, params.get("slots") or [])
    if not params.get("fulfillmentActivity") and not params.get("parentIntentSignature"):
        params["fulfillmentActivity"] = {"type": "ReturnIntent"}
    return _put_and_maybe_version(ctx, r.INTENT, params)


# -- bots --------------------------------------------------------------------------------------


def bot_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("processBehavior") == "SAVE":
        return {"status": "NOT_BUILT"}
    extra: dict[str, Any] = {}
    statuses.begin(extra, "status", "BUILDING", "READY", ctx.engine.settle_at())
    return extra


@op("PutBot")
def put_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    check_intents(ctx, params.get("intents") or [])
    bot_tags = params.pop("tags", None)
    current = r.find(ctx, r.BOT, params["name"])
    if bot_tags and current is not None:
        raise bad_request("Tags can be set only when a bot is created; use TagResource to change them.")
    extra = bot_status(ctx, params)
    if bot_tags:
        extra["_tags"] = tags.from_pairs(bot_tags, "key", "value")
    params.setdefault("enableModelImprovements", True)
    params.setdefault("detectSentiment", False)
    body = _put_and_maybe_version(ctx, r.BOT, params, **extra)
    return {**statuses.settle(body, ctx.clock.now()), "tags": bot_tags}


@op("GetBot")
def get_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    version = params["versionOrAlias"]
    doc = r.find(ctx, r.BOT, params["name"], version)
    alias = r.find_alias(ctx, params["name"], version) if doc is None else None
    if alias is not None:  # an alias name: the version it points at
        doc = r.find(ctx, r.BOT, params["name"], alias.body["botVersion"])
    if doc is None:
        raise not_found(f"The bot {params['name']} version or alias {version} does not exist.")
    return statuses.settle(doc.body, ctx.clock.now())


@op("CreateBotVersion")
def create_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    latest = r.load(ctx, r.BOT, params["name"])
    if statuses.settle(latest.body, ctx.clock.now()).get("status") == "BUILDING":
        raise conflict(f"The bot {params['name']} is being built; try again when it is READY.")
    if any(ref["intentVersion"] == r.LATEST for ref in latest.body.get("intents") or []):
        raise bad_request(f"Resource '{params['name']}' should refer to immutable versions to create new version.")
    return _create_version(ctx, r.BOT, params, status="READY")


# -- what slot types, intents and bots share ------------------------------------------------------


def _register_common(res: r.Resource, noun: str, member: str, view=lambda ctx, body: body) -> None:
    """Get{noun}s, Get{noun}Versions, Delete{noun}, Delete{noun}Version (and, but for bots,
    Get{noun} and Create{noun}Version): the same semantics for every Lex V1 resource."""
    extra = ("status",) if res is r.BOT else ()

    def get_all(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        items = [_summary(view(ctx, b), *extra) for b in r.latest_of_each(ctx, res)]
        chunk, token = r.listing(items, params)
        return {member: chunk, "nextToken": token}

    def get_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        docs = r.versions(ctx, res, params["name"])
        if not docs:
            raise not_found(f"The {res.label} {params['name']} does not exist.")
        chunk, token = r.listing([_summary(view(ctx, d.body), *extra) for d in docs], {**params, "nameContains": None})
        return {member: chunk, "nextToken": token}

    def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _delete(ctx, res, params["name"], params.get("version"))
        return {}

    op(f"Get{noun}s")(get_all)
    op(f"Get{noun}Versions")(get_versions)
    op(f"Delete{noun}")(delete)
    op(f"Delete{noun}Version")(delete)
    if res is not r.BOT:  # GetBot takes versionOrAlias and CreateBotVersion has rules of its own
        op(f"Get{noun}")(lambda ctx, params: r.load(ctx, res, params["name"], params["version"]).body)
        op(f"Create{noun}Version")(lambda ctx, params: _create_version(ctx, res, params))


def _create_version(ctx: RequestContext, res: r.Resource, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    with ctx.store.transaction():
        return r.create_version(ctx, res, params["name"], params.get("checksum"), **extra)


_register_common(r.SLOT_TYPE, "SlotType", "slotTypes")
_register_common(r.INTENT, "Intent", "intents")
_register_common(r.BOT, "Bot", "bots", lambda ctx, body: statuses.settle(body, ctx.clock.now()))


# -- built-ins -------------------------------------------------------------------------------


def _builtins(names: list[str], params: dict[str, Any], member: str) -> dict[str, Any]:
    locale = params.get("locale")
    wanted = [n for n in names if params.get("signatureContains", "") in n]
    items = [{"signature": n, "supportedLocales": builtins.LOCALES} for n in wanted
             if locale is None or locale in builtins.LOCALES]
    chunk, token = r.listing(items, {**params, "nameContains": None})
    return {member: chunk, "nextToken": token}


@op("GetBuiltinIntents")
def get_builtin_intents(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _builtins(builtins.INTENTS, params, "intents")


@op("GetBuiltinSlotTypes")
def get_builtin_slot_types(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _builtins(builtins.SLOT_TYPES, params, "slotTypes")


@op("GetBuiltinIntent")
def get_builtin_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params["signature"] not in builtins.INTENTS:
        raise not_found(f"The built-in intent {params['signature']} does not exist.")
    return {"signature": params["signature"], "supportedLocales": builtins.LOCALES, "slots": []}


# -- tags ----------------------------------------------------------------------------------------

# ARN resource part -> (document kind, number of name parts): bot:Name, bot:Name:Alias, bot-channel:Name:Alias:Channel
_TAGGABLE = {("bot", 1): r.BOT, ("bot", 2): r.ALIAS, ("bot-channel", 3): r.CHANNEL}


def _tagged(ctx: RequestContext, arn: str):
    # arn:aws:lex:{region}:{account}:{type}:{names...}
    parts = arn.split(":")
    names = parts[6:]
    res = _TAGGABLE.get((parts[5], len(names))) if len(parts) > 6 else None
    if res is None or parts[3] != ctx.region or parts[4] != ctx.account:
        raise not_found(f"The resource {arn} does not exist.")
    if res is r.BOT:
        return r.load(ctx, r.BOT, names[0])
    doc = ctx.store.get(ctx.scope, res.kind, "/".join(names))
    if doc is None:
        raise not_found(f"The resource {arn} does not exist.")
    return doc


@op.claim("TagResource", "UntagResource", "ListTagsForResource")
def _is_v1_arn(ctx: RequestContext, params: dict[str, Any]) -> bool:
    parts = params["resourceArn"].split(":")
    return len(parts) > 6 and "/" not in parts[5]


@op.claim("DeleteBot")
def _holds_bot(ctx: RequestContext, params: dict[str, Any]) -> bool:
    return r.find(ctx, r.BOT, params["name"]) is not None


@op("ListTagsForResource")
def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": tags.to_pairs(_tagged(ctx, params["resourceArn"]).body.get("_tags"), "key", "value")}


@op("TagResource")
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(ctx, params["resourceArn"])
    try:
        merged = tags.merge(doc.body.get("_tags"), tags.from_pairs(params["tags"], "key", "value"), MAX_TAGS)
    except tags.TooManyTags as error:
        raise bad_request(str(error)) from None
    r.save(ctx, doc, {**doc.body, "_tags": merged})
    return {}


@op("UntagResource")
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _tagged(ctx, params["resourceArn"])
    r.save(ctx, doc, {**doc.body, "_tags": tags.remove(doc.body.get("_tags"), params["tagKeys"])})
    return {}
