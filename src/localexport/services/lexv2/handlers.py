"""Lex V2 bot-building operations: bots, locales, intents, slots, slot types, versions."""

from __future__ import annotations

from typing import Any

from ...core import statuses
from ...core.runtime import Operations, RequestContext
from ...core.store import Doc
from . import importing
from . import resources as r
from .errors import conflict, in_use, not_found, precondition, quota, validation
from .locales import LOCALE_NAMES

op = Operations("lexv2-models")

FALLBACK_INTENT_ID = "FALLBCKINT"  # the id AWS gives every locale's FallbackIntent
MAX_VERSIONS = 100  # per bot, not adjustable (Lex V2 quotas)


# -- shared lookups ----------------------------------------------------------


def bot_version(ctx: RequestContext, bot_id: str, version: str) -> dict[str, Any]:
    """The bot as of ``version`` (DRAFT is the bot itself); not-found error otherwise."""
    bot = r.load(ctx, r.BOT, {"botId": bot_id})
    if version == r.DRAFT:
        return {**r.current(ctx, bot), "botVersion": r.DRAFT}
    doc = r.find(ctx, r.BOT_VERSION, {"botId": bot_id, "botVersion": version})
    if doc is None:
        raise not_found(ctx.operation, f"Bot version {version} of bot {bot_id} does not exist.")
    return r.current(ctx, doc)


def locale_doc(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    bot_version(ctx, params["botId"], params["botVersion"])
    return r.load(ctx, r.LOCALE, params)


def mark_unbuilt(ctx: RequestContext, params: dict[str, Any]) -> None:
    """Editing a locale's contents leaves it with unbuilt changes, as in AWS."""
    doc = r.load(ctx, r.LOCALE, params)
    body = r.current(ctx, doc)
    if body.get("botLocaleStatus") in ("Built", "ReadyExpressTesting", "Failed"):
        r.save(ctx, doc, {**body, "botLocaleStatus": "NotBuilt", "failureReasons": None})


def _within(params: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {f: params[f] for f in fields}


# -- bots --------------------------------------------------------------------


@op("CreateBot")
def create_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"_versionsCreated": 0}
    statuses.begin(extra, "botStatus", "Creating", "Available", ctx.engine.settle_at())
    with ctx.store.transaction():
        return r.new_bot(ctx, params, ctx.ids.short(), **extra)


@op("DescribeBot")
def describe_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.find(ctx, r.BOT, params)
    if doc is None:
        pending = importing.pending_bot(ctx, params["botId"])
        if pending is not None:
            return pending
    return importing.bot_status(ctx, r.current(ctx, doc or r.load(ctx, r.BOT, params)))


@op("UpdateBot")
def update_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.BOT, params)
    return r.replace(ctx, r.BOT, doc, params, keep=("botStatus", "botTags", "testBotAliasTags"))


@op("ListBots")
def list_bots(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bots = [importing.bot_status(ctx, r.current(ctx, d)) for d in ctx.store.all(ctx.scope, r.BOT.kind)]
    made = {b["botId"] for b in bots}
    bots += [b for b in importing.pending_bots(ctx) if b["botId"] not in made]

    def summary(b: dict[str, Any]) -> dict[str, Any]:
        latest = b["_versionsCreated"] and max(
            (int(v.body["botVersion"]) for v in ctx.store.children(ctx.scope, r.BOT_VERSION.kind, b["botId"])),
            default=None,
        )
        return {**b, "latestBotVersion": str(latest) if latest else None}

    items, token = r.listing(ctx, r.BOT, params, bots, summary)
    return {"botSummaries": items, "nextToken": token}


@op("DeleteBot")
def delete_bot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.BOT, params)
    aliases = r.aliases_on(ctx, params["botId"])
    if aliases and not params.get("skipResourceInUseCheck"):
        raise in_use(f"Bot {params['botId']} has alias(es) {', '.join(aliases)}; delete them first or set "
                     "skipResourceInUseCheck to delete the bot with its aliases.")
    r.remove(ctx, r.BOT, doc)  # its versions, locales, aliases and policies are under its key
    return {"botId": params["botId"], "botStatus": "Deleting"}


@op.claim("DeleteBot")
def _holds_bot(ctx: RequestContext, params: dict[str, Any]) -> bool:
    return r.find(ctx, r.BOT, params) is not None


# -- bot locales ---------------------------------------------------------------


@op("CreateBotLocale")
def create_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot_version(ctx, params["botId"], params["botVersion"])
    locale_id = params["localeId"]
    if locale_id not in LOCALE_NAMES:
        raise validation(f"The locale {locale_id} is not supported by Amazon Lex V2.")
    if r.find(ctx, r.LOCALE, params):
        raise precondition(f"Bot locale {locale_id} already exists for bot {params['botId']}.")
    extra: dict[str, Any] = {"localeName": LOCALE_NAMES[locale_id]}
    statuses.begin(extra, "botLocaleStatus", "Creating", "NotBuilt", ctx.engine.settle_at())
    with ctx.store.transaction():
        body = r.create(ctx, r.LOCALE, params, locale_id, **extra)
        r.create(
            ctx,
            r.INTENT,
            {
                **_within(params, "botId", "botVersion", "localeId"),
                "intentName": "FallbackIntent",
                "description": "Default intent when no other intent matches",
                "parentIntentSignature": "AMAZON.FallbackIntent",
            },
            FALLBACK_INTENT_ID,
        )
    return body


@op("DescribeBotLocale")
def describe_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = locale_doc(ctx, params)
    return {
        **importing.locale_status(ctx, r.current(ctx, doc)),
        "intentsCount": len(ctx.store.children(ctx.scope, r.INTENT.kind, doc.key)),
        "slotTypesCount": len(ctx.store.children(ctx.scope, r.SLOT_TYPE.kind, doc.key)),
    }


@op("UpdateBotLocale")
def update_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = locale_doc(ctx, params)
    body = r.current(ctx, doc)
    if statuses.is_settling(body, ctx.clock.now()):
        raise precondition(f"Bot locale {params['localeId']} is {body['botLocaleStatus']}; try again later.")
    updated = r.replace(ctx, r.LOCALE, doc, params, keep=("localeName", "lastBuildSubmittedDateTime"))
    updated["botLocaleStatus"] = "NotBuilt"
    return r.save(ctx, doc, updated)


@op("ListBotLocales")
def list_bot_locales(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot_version(ctx, params["botId"], params["botVersion"])
    docs = [importing.locale_status(ctx, r.current(ctx, d))
            for d in ctx.store.children(ctx.scope, r.LOCALE.kind, r.LOCALE.parent_key(params))]
    items, token = r.listing(ctx, r.LOCALE, params, docs)
    return {"botId": params["botId"], "botVersion": params["botVersion"], "botLocaleSummaries": items,
            "nextToken": token}


@op("DeleteBotLocale")
def delete_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = locale_doc(ctx, params)
    r.remove(ctx, r.LOCALE, doc)
    return {**_within(params, "botId", "botVersion", "localeId"), "botLocaleStatus": "Deleting"}


@op("BuildBotLocale")
def build_bot_locale(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = locale_doc(ctx, params)
    body = r.current(ctx, doc)
    if statuses.is_settling(body, ctx.clock.now()):
        raise precondition(f"Bot locale {params['localeId']} is {body['botLocaleStatus']}; try again later.")
    intents = ctx.store.children(ctx.scope, r.INTENT.kind, doc.key)
    # An intent without sample utterances builds: it is reached by a next step (StartIntent), as in a real
    # export (fixtures: aloPolicia-chatbot's DespedidaIntent).
    problems = []
    if all(i.body["intentId"] == FALLBACK_INTENT_ID for i in intents):
        problems.append("The bot locale must contain at least one intent other than FallbackIntent.")
    now = ctx.clock.now()
    body = {**body, "lastBuildSubmittedDateTime": now, "failureReasons": problems or None}
    statuses.begin(body, "botLocaleStatus", "Building", "Failed" if problems else "Built", ctx.engine.settle_at())
    r.save(ctx, doc, body)
    return body


# -- intents, slot types, slots ------------------------------------------------


@op("CreateIntent")
def create_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    with ctx.store.transaction():
        body = r.create(ctx, r.INTENT, params, ctx.ids.short())
        mark_unbuilt(ctx, params)
    return body


@op("DescribeIntent")
def describe_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    return r.load(ctx, r.INTENT, params).body


@op("UpdateIntent")
def update_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    doc = r.load(ctx, r.INTENT, params)
    slots = {s.body["slotId"] for s in ctx.store.children(ctx.scope, r.SLOT.kind, doc.key)}
    unknown = [p["slotId"] for p in params.get("slotPriorities", []) if p["slotId"] not in slots]
    if unknown:
        raise precondition(f"Slot {unknown[0]} in slotPriorities does not belong to intent {params['intentId']}.")
    with ctx.store.transaction():
        body = r.replace(ctx, r.INTENT, doc, params)
        mark_unbuilt(ctx, params)
    return body


@op("ListIntents")
def list_intents(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = locale_doc(ctx, params)
    docs = [d.body for d in ctx.store.children(ctx.scope, r.INTENT.kind, doc.key)]
    items, token = r.listing(ctx, r.INTENT, params, docs)
    return {**_within(params, "botId", "botVersion", "localeId"), "intentSummaries": items, "nextToken": token}


@op("DeleteIntent")
def delete_intent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    doc = r.load(ctx, r.INTENT, params)
    with ctx.store.transaction():
        r.remove(ctx, r.INTENT, doc)
        mark_unbuilt(ctx, params)
    return {}


def _slot_type_category(body: dict[str, Any]) -> str:
    if body.get("compositeSlotTypeSetting"):
        return "Composite"
    if body.get("externalSourceSetting"):
        return "ExternalGrammar"
    if body.get("parentSlotTypeSignature"):
        return "Extended"
    return "Custom"


@op("CreateSlotType")
def create_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    with ctx.store.transaction():
        body = r.create(ctx, r.SLOT_TYPE, params, ctx.ids.short())
        mark_unbuilt(ctx, params)
    return body


@op("DescribeSlotType")
def describe_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    return r.load(ctx, r.SLOT_TYPE, params).body


@op("UpdateSlotType")
def update_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    doc = r.load(ctx, r.SLOT_TYPE, params)
    with ctx.store.transaction():
        body = r.replace(ctx, r.SLOT_TYPE, doc, params)
        mark_unbuilt(ctx, params)
    return body


@op("ListSlotTypes")
def list_slot_types(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = locale_doc(ctx, params)
    docs = [d.body for d in ctx.store.children(ctx.scope, r.SLOT_TYPE.kind, doc.key)]
    items, token = r.listing(ctx, r.SLOT_TYPE, params, docs,
                             lambda b: {**b, "slotTypeCategory": _slot_type_category(b)})
    return {**_within(params, "botId", "botVersion", "localeId"), "slotTypeSummaries": items, "nextToken": token}


def _slots_using(ctx: RequestContext, locale_key: str, slot_type_id: str) -> list[Doc]:
    return [
        d for d in ctx.store.tree(ctx.scope, locale_key + "/")
        if d.kind == r.SLOT.kind and d.body.get("slotTypeId") == slot_type_id
    ]


@op("DeleteSlotType")
def delete_slot_type(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale = locale_doc(ctx, params)
    doc = r.load(ctx, r.SLOT_TYPE, params)
    users = _slots_using(ctx, locale.key, params["slotTypeId"])
    if users and not params.get("skipResourceInUseCheck"):
        names = ", ".join(sorted(u.body["slotName"] for u in users))
        raise precondition(f"Slot type {params['slotTypeId']} is used by slot(s) {names}.")
    with ctx.store.transaction():
        r.remove(ctx, r.SLOT_TYPE, doc)
        mark_unbuilt(ctx, params)
    return {}


def _check_slot_type(ctx: RequestContext, params: dict[str, Any]) -> None:
    slot_type = params.get("slotTypeId")
    if slot_type and not slot_type.startswith("AMAZON.") and not r.find(ctx, r.SLOT_TYPE, params):
        raise precondition(f"Slot type {slot_type} does not exist in locale {params['localeId']}.")


@op("CreateSlot")
def create_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    r.load(ctx, r.INTENT, params)
    _check_slot_type(ctx, params)
    with ctx.store.transaction():
        body = r.create(ctx, r.SLOT, params, ctx.ids.short())
        mark_unbuilt(ctx, params)
    return body


@op("DescribeSlot")
def describe_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    r.load(ctx, r.INTENT, params)
    return r.load(ctx, r.SLOT, params).body


@op("UpdateSlot")
def update_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    doc = r.load(ctx, r.SLOT, params)
    _check_slot_type(ctx, params)
    with ctx.store.transaction():
        body = r.replace(ctx, r.SLOT, doc, params)
        mark_unbuilt(ctx, params)
    return body


@op("ListSlots")
def list_slots(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    intent = r.load(ctx, r.INTENT, params)
    docs = [d.body for d in ctx.store.children(ctx.scope, r.SLOT.kind, intent.key)]

    def summary(b: dict[str, Any]) -> dict[str, Any]:
        elicitation = b.get("valueElicitationSetting") or {}
        return {**b, "slotConstraint": elicitation.get("slotConstraint"),
                "valueElicitationPromptSpecification": elicitation.get("promptSpecification")}

    items, token = r.listing(ctx, r.SLOT, params, docs, summary)
    return {**_within(params, "botId", "botVersion", "localeId", "intentId"), "slotSummaries": items,
            "nextToken": token}


@op("DeleteSlot")
def delete_slot(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    locale_doc(ctx, params)
    doc = r.load(ctx, r.SLOT, params)
    with ctx.store.transaction():
        r.remove(ctx, r.SLOT, doc)
        intent = r.load(ctx, r.INTENT, params)
        priorities = intent.body.get("slotPriorities")
        if priorities:
            kept = [p for p in priorities if p["slotId"] != params["slotId"]]
            r.save(ctx, intent, {**intent.body, "slotPriorities": kept})
        mark_unbuilt(ctx, params)
    return {}


# -- bot versions ----------------------------------------------------------------


@op("CreateBotVersion")
def create_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bot_doc = r.load(ctx, r.BOT, params)
    bot = r.current(ctx, bot_doc)
    bot_id = params["botId"]
    if statuses.is_settling(bot, ctx.clock.now()):
        raise conflict(f"Bot {bot_id} is {bot['botStatus']}; try again later.")
    if len(ctx.store.children(ctx.scope, r.BOT_VERSION.kind, bot_id)) >= MAX_VERSIONS:
        raise quota(f"Bot {bot_id} already has {MAX_VERSIONS} versions, the maximum.")
    sources: list[tuple[str, Doc]] = []
    for locale_id, spec in params["botVersionLocaleSpecification"].items():
        source = spec["sourceBotVersion"]
        bot_version(ctx, bot_id, source)
        locale = r.find(ctx, r.LOCALE, {"botId": bot_id, "botVersion": source, "localeId": locale_id})
        if locale is None:
            raise validation(f"Bot locale {locale_id} does not exist in version {source} of bot {bot_id}.")
        status = r.current(ctx, locale).get("botLocaleStatus")
        if source == r.DRAFT and status != "Built":
            raise validation(f"Bot locale {locale_id} of bot {bot_id} is {status}; build it before creating a version.")
        sources.append((source, locale))
    number = str(bot["_versionsCreated"] + 1)  # never reused, even after DeleteBotVersion
    now = ctx.clock.now()
    version = {
        **{k: bot.get(k) for k in ("botName", "description", "roleArn", "dataPrivacy", "idleSessionTTLInSeconds",
                                    "botType", "botMembers", "errorLogSettings")},
        "botId": bot_id,
        "botVersion": number,
        "description": params.get("description"),
        "botVersionLocaleSpecification": params["botVersionLocaleSpecification"],
        r.CREATED: now,
    }
    settle = ctx.engine.settle_at()
    statuses.begin(version, "botStatus", "Versioning", "Available", settle)
    with ctx.store.transaction():
        ctx.store.put(ctx.scope, Doc(r.BOT_VERSION.kind, f"{bot_id}/{number}", bot_id, number, version, now, now))
        for source, locale in sources:
            _copy_tree(ctx, locale, f"{bot_id}/{source}/", f"{bot_id}/{number}/", number)
        bot_body = {**bot, "_versionsCreated": bot["_versionsCreated"] + 1}
        statuses.begin(bot_body, "botStatus", "Versioning", "Available", settle)
        r.save(ctx, bot_doc, bot_body)
    return version


def _copy_tree(ctx: RequestContext, root: Doc, old_prefix: str, new_prefix: str, version: str) -> None:
    for doc in [root, *ctx.store.tree(ctx.scope, root.key + "/")]:
        body = {**r.current(ctx, doc), "botVersion": version}
        body.pop("_settles", None)
        body.pop(importing.MARK, None)  # a version is never imported into
        parent = doc.parent.replace(old_prefix[:-1], new_prefix[:-1], 1) if doc.parent else None
        ctx.store.put(ctx.scope, Doc(doc.kind, new_prefix + doc.key[len(old_prefix):], parent, doc.name, body,
                                     doc.created_at, doc.updated_at))


@op("DescribeBotVersion")
def describe_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return bot_version(ctx, params["botId"], params["botVersion"])


@op("ListBotVersions")
def list_bot_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    draft = bot_version(ctx, params["botId"], r.DRAFT)
    docs = [draft] + [r.current(ctx, d) for d in ctx.store.children(ctx.scope, r.BOT_VERSION.kind, params["botId"])]
    items, token = r.listing(ctx, r.BOT_VERSION, params, docs)
    return {"botId": params["botId"], "botVersionSummaries": items, "nextToken": token}


@op("DeleteBotVersion")
def delete_bot_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    r.load(ctx, r.BOT, params)
    doc = r.find(ctx, r.BOT_VERSION, params)
    if doc is None:
        raise not_found(ctx.operation, f"Bot version {params['botVersion']} of bot {params['botId']} does not exist.")
    aliases = r.aliases_on(ctx, params["botId"], params["botVersion"])
    if aliases and not params.get("skipResourceInUseCheck"):
        raise in_use(f"Bot version {params['botVersion']} of bot {params['botId']} is used by alias(es) "
                     f"{', '.join(aliases)}; point them elsewhere first or set skipResourceInUseCheck.")
    r.remove(ctx, r.BOT_VERSION, doc)
    return {"botId": params["botId"], "botVersion": params["botVersion"], "botStatus": "Deleting"}
