"""What a Lex V1 runtime call talks to: the bot version an alias (or ``$LATEST``) names, as a Lex V2 locale.

The V1 bot version is converted by to_v2 (the migration's mapping: prompts, confirmation, conclusion, slot
priorities, slot types) and given the ids the V2 NLU and dialog key their documents by (here: the names),
so the V2 runtime's matching and dialog answer it.  AMAZON.FallbackIntent is left out of the dialog's intents:
a V1 bot answers what it does not understand with its ``clarificationPrompt``, and its fallback intent (if it
has one) only once that prompt is spent (runtime_ops.py).  The model is
made once per set of document revisions (their checksums) and kept in ``Runtime.caches``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ...core import statuses
from ...core.runtime import RequestContext
from ..lexv2.dialog import Locale
from ..lexv2.nlu import LocaleModel
from . import resources as r
from .errors import not_found
from .migration import bot_version_sources
from .to_v2 import Converter

SERVICE = "lex-models"
CACHE = "lexv1.runtime_bots"
MAX_CACHED = 64
FALLBACK = "AMAZON.FallbackIntent"
BUILT = ("READY", "READY_BASIC_TESTING")


@dataclass
class V1Bot:
    locale: Locale
    version: str
    idle_ttl: int
    bot: dict[str, Any]  # the V1 GetBot body of the version
    clarification: dict[str, Any] | None  # the bot's clarificationPrompt / abortStatement as V2 responses
    abort: dict[str, Any] | None
    fallback: dict[str, Any] | None  # the V2 body of the bot's AMAZON.FallbackIntent intent, if it has one


def resolve(ctx: RequestContext, bot_name: str, alias: str) -> V1Bot:
    """The built bot version (bot, alias) talks to, or the error AWS answers."""
    mctx = ctx.as_service(SERVICE)
    if r.find(mctx, r.BOT, bot_name) is None:
        raise not_found(f"The bot {bot_name} does not exist.")
    version = alias
    if alias != r.LATEST:
        alias_doc = r.find_alias(mctx, bot_name, alias)
        if alias_doc is None:
            raise not_found(f"The bot alias {alias} of bot {bot_name} does not exist.")
        version = alias_doc.body["botVersion"]
    bot, intents, slot_types = bot_version_sources(mctx, bot_name, version)
    status = statuses.settle(bot, ctx.clock.now()).get("status")
    if status not in BUILT:
        raise not_found(f"The bot {bot_name} version {version} is {status}: build it (PutBot with processBehavior "
                        "BUILD) before talking to it.")
    key = (ctx.account, ctx.region, bot["checksum"], *(d["checksum"] for d in intents + slot_types))
    cache: OrderedDict = ctx.runtime.caches.setdefault(CACHE, OrderedDict())
    built = cache.get(key)
    if built is None:
        built = cache[key] = _build(bot, intents, slot_types, version)
        while len(cache) > MAX_CACHED:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return V1Bot(built[0], version, int(bot.get("idleSessionTTLInSeconds") or 300), bot, *built[1:])


def _build(bot: dict[str, Any], intents: list[dict], slot_types: list[dict], version: str) -> tuple:
    """(the Locale, the clarification prompt and the abort statement as V2 responses, the fallback intent)."""
    converter = Converter(bot, intents, slot_types)
    content = converter.locale()
    v2_intents, v2_slots = [], []
    by_intent: dict[str, dict[str, dict[str, Any]]] = {}
    for intent in content.intents:
        name = intent["intentName"]
        priorities = [{"priority": p["priority"], "slotId": p["slotName"]} for p in intent.get("_slotPriorities") or []]
        v2_intents.append({**intent, "intentId": name, "slotPriorities": priorities})
        slots = [{**s, "intentId": name, "slotId": s["slotName"], "slotTypeId": s.get("slotTypeName")}
                 for s in content.slots.get(name, [])]  # to_v2 lists them in priority order
        v2_slots += slots
        by_intent[name] = {s["slotName"]: s for s in slots}
    v2_types = [{**t, "slotTypeId": t["slotTypeName"]} for t in content.slot_types]
    model = LocaleModel.from_documents(content.locale, v2_intents, v2_slots, v2_types)
    spoken = {i["intentName"]: i for i in v2_intents if i.get("parentIntentSignature") != FALLBACK}
    own_fallback = next((i for i in v2_intents if i.get("parentIntentSignature") == FALLBACK
                         and i["intentName"] in {v["name"] for v in intents}), None)
    about = {"name": bot["name"], "version": version, "localeId": content.locale["localeId"]}
    clarification = bot.get("clarificationPrompt")
    abort = bot.get("abortStatement")
    # the fallback is named (the dialog ranks it as V2 does) but is no intent of the dialog's: not understood,
    # the dialog elicits an intent, and runtime_ops answers with the clarification prompt
    return (Locale(model, spoken, by_intent, model.fallback_intent, about),
            converter.response(clarification, "the clarification prompt") if clarification else None,
            converter.response(abort, "the abort statement") if abort else None, own_fallback)
