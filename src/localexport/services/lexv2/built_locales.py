"""What a runtime call talks to: the locale of the version an alias points at, built, with its NLU model.

``TSTALIASID`` answers with DRAFT, another alias with its ``botVersion``.  The locale must exist in that
version and have been built (``Built``; a DRAFT locale edited since its last build is ``NotBuilt`` and
still answers, from its current documents: AWS would answer from the last build, which is not kept here).
The model is made once per locale build and kept in the instance's memory (``Runtime.caches``), keyed by
the locale document's last write, so a rebuild or a new version is seen by the next call.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ...aws.errors import AWSError
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .dialog import Hook, Locale
from .nlu import LocaleModel

SERVICE = "lexv2-models"
CACHE = "lexv2.built_locales"
MAX_CACHED = 64  # locales whose models stay in memory (a 1,000-intent model is a few MB)
DEFAULT_IDLE_TTL = 300  # seconds (CreateBot's idleSessionTTLInSeconds is required; older documents)


@dataclass
class Built:
    locale: Locale
    version: str
    idle_ttl: int


def not_found(message: str) -> AWSError:
    return AWSError("ResourceNotFoundException", message)


def bot_and_alias(ctx: RequestContext, bot_id: str, alias_id: str) -> tuple[Doc, dict[str, Any]]:
    """The bot's document and the alias as it is now, or ResourceNotFoundException naming the missing one."""
    mctx = ctx.as_service(SERVICE)
    bot = r.find(mctx, r.BOT, {"botId": bot_id})
    if bot is None:
        raise not_found(f"Bot {bot_id} does not exist.")
    alias_doc = r.find(mctx, r.BOT_ALIAS, {"botId": bot_id, "botAliasId": alias_id})
    if alias_doc is None:
        raise not_found(f"Bot alias {alias_id} of bot {bot_id} does not exist.")
    return bot, r.current(mctx, alias_doc)


def resolve(ctx: RequestContext, bot_id: str, alias_id: str, locale_id: str, hook: Hook | None = None) -> Built:
    """The built locale a call on (bot, alias, locale) talks to, or the error AWS answers."""
    mctx = ctx.as_service(SERVICE)
    bot, alias = bot_and_alias(ctx, bot_id, alias_id)
    version = alias.get("botVersion")
    if not version:
        raise not_found(f"Bot alias {alias_id} of bot {bot_id} points at no bot version.")
    settings = (alias.get("botAliasLocaleSettings") or {}).get(locale_id)
    if settings is not None and not settings.get("enabled", True):
        raise AWSError("ValidationException", f"Locale {locale_id} is not enabled for bot alias {alias_id}.")
    holder = bot if version == r.DRAFT else r.find(mctx, r.BOT_VERSION, {"botId": bot_id, "botVersion": version})
    if holder is None:
        raise not_found(f"Bot version {version} of bot {bot_id} does not exist.")
    locale_doc = r.find(mctx, r.LOCALE, {"botId": bot_id, "botVersion": version, "localeId": locale_id})
    if locale_doc is None:
        raise not_found(f"Locale {locale_id} does not exist in version {version} of bot {bot_id}.")
    locale = r.current(mctx, locale_doc)
    if locale.get("botLocaleStatus") != "Built" and not (
            locale.get("botLocaleStatus") == "NotBuilt" and locale.get("lastBuildSubmittedDateTime")):
        raise not_found(f"Locale {locale_id} of bot {bot_id} version {version} is "
                        f"{locale.get('botLocaleStatus')}: build it before talking to it.")
    bot_body = holder.body
    about = {"id": bot_id, "name": bot_body.get("botName", ""), "aliasId": alias_id,
             "aliasName": alias.get("botAliasName", ""), "localeId": locale_id, "version": version}
    model, intents, slots, fallback = _cached(mctx, locale_doc, locale)
    ttl = bot_body.get("idleSessionTTLInSeconds") or DEFAULT_IDLE_TTL
    return Built(Locale(model, intents, slots, fallback, about, hook), version, int(ttl))


def _cached(ctx: RequestContext, locale_doc: Doc, locale: dict[str, Any]) -> tuple:
    cache: OrderedDict = ctx.runtime.caches.setdefault(CACHE, OrderedDict())
    key = (ctx.account, ctx.region, locale_doc.key, locale_doc.updated_at)
    found = cache.get(key)
    if found is None:
        found = _build(ctx, locale_doc, locale)
        cache[key] = found
        while len(cache) > MAX_CACHED:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return found


def _build(ctx: RequestContext, locale_doc: Doc, locale: dict[str, Any]) -> tuple:
    """(model, intents by name, slots by intent then name in priority order, the fallback intent's name)."""
    docs = ctx.store.tree(ctx.scope, locale_doc.key + "/")
    intents = [d.body for d in docs if d.kind == r.INTENT.kind]
    slots = [d.body for d in docs if d.kind == r.SLOT.kind]
    slot_types = [d.body for d in docs if d.kind == r.SLOT_TYPE.kind]
    by_intent: dict[str, dict[str, dict[str, Any]]] = {}
    for intent in intents:
        own = {s["slotId"]: s for s in slots if s.get("intentId") == intent["intentId"]}
        order = [p["slotId"] for p in sorted(intent.get("slotPriorities") or [], key=lambda p: p["priority"])]
        ordered = [own[i] for i in order if i in own] + [s for i, s in own.items() if i not in order]
        by_intent[intent["intentName"]] = {s["slotName"]: s for s in ordered}
    fallback = next((i["intentName"] for i in intents if i.get("parentIntentSignature") == "AMAZON.FallbackIntent"),
                    None)
    model = LocaleModel.from_documents(locale, intents, slots, slot_types)
    return model, {i["intentName"]: i for i in intents}, by_intent, fallback
