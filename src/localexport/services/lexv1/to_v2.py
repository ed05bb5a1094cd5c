"""A Lex V1 bot version as the Lex V2 bot locale a migration makes of it, and the alerts for
what does not carry over (AWS's "Migrating a bot" pages: migrate.html, migrate-messages).

Pure functions over the V1 API's bodies; the result is the V2 import's own
``LocaleContent`` (API members, intents filed by name, slot priorities by slot
name), so the migration writes it the way a V2 import writes an archive.

Mapping (field by field where AWS is silent, from the two APIs' shapes):

- bot: ``childDirected`` -> ``dataPrivacy``, ``idleSessionTTLInSeconds`` kept; locale ``en-US`` -> ``en_US``
  with ``nluIntentConfidenceThreshold`` (0.40 when unset) and ``voiceId`` -> ``voiceSettings``;
- slot types: ``enumerationValues`` -> ``slotTypeValues``, ``valueSelectionStrategy`` -> the
  resolution strategy, a regex configuration -> ``regexFilter`` of an extended ``AMAZON.AlphaNumeric``;
- intents: utterances as they are; ``confirmationPrompt``/``rejectionStatement`` ->
  ``intentConfirmationSetting``, ``conclusionStatement`` -> ``intentClosingSetting``; Lambda code hooks
  -> enabled dialog/fulfillment hooks (the Lambda is an alias setting in V2: not migrated);
- slots: prompt -> ``valueElicitationSetting`` (``maxAttempts`` - 1 retries), ``priority`` -> ``slotPriorities``;
  built-in slot types by their V2 names (``AMAZON.DATE`` -> ``AMAZON.Date``, ``AMAZON.US_FIRST_NAME`` ->
  ``AMAZON.FirstName``);
- messages: one message group per V1 ``groupNumber``, its first message and up to two variations.

Not migrated, each with a WARN alert naming it: follow-up prompts, clarification prompts and abort
statements (V2 has FallbackIntent), response cards, messages past a group's three, built-in intents and
slot types V2 lacks (the intent becomes a custom intent with no utterances; the slot has no slot type),
Lambda functions, Kendra indexes, sentiment detection (an alias setting in V2), aliases, tags,
conversation logs and channels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..lexv2.builtins import BUILT_IN_INTENTS, BUILT_IN_SLOT_TYPES
from ..lexv2.lexjson import LocaleContent

DEFAULT_CONFIDENCE = 0.40  # what a V2 locale is created with when nothing is said
MIGRATE_URL = "https://docs.aws.amazon.com/lex/latest/dg/migrate.html"
PROMPTS_URL = "https://docs.aws.amazon.com/lex/latest/dg/migrate-prompts.html"
NOT_MIGRATED_PROMPTS = "The following prompts and statements weren't migrated. Please refer to documentation for " \
                       "recommended approach."
NOT_MIGRATED_FEATURES = "The following Lex features can't be migrated. Please refer to documentation for " \
                        "recommended approach."
UNSUPPORTED_BUILT_INS = "The following built-in intents and slot types aren't supported in Amazon Lex V2 and were " \
                        "migrated without them. Please refer to documentation for recommended approach."
MAX_VARIATIONS = 2  # a V2 message group holds a message and two variations


@dataclass
class Alerts:
    """What the migration reports, grouped as AWS groups it: a message, the items it concerns."""

    groups: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    def warn(self, message: str, detail: str, url: str = MIGRATE_URL) -> None:
        self.groups.setdefault(("WARN", message, url), []).append(detail)

    def error(self, message: str, detail: str, url: str = MIGRATE_URL) -> None:
        self.groups.setdefault(("ERROR", message, url), []).append(detail)

    def as_list(self) -> list[dict[str, Any]]:
        return [{"type": kind, "message": message, "details": details, "referenceURLs": [url]}
                for (kind, message, url), details in self.groups.items()]

    @property
    def failed(self) -> bool:
        return any(kind == "ERROR" for kind, _, _ in self.groups)


def _plain(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower().removeprefix("amazon.").replace("us_", ""))


def v2_builtin(signature: str, table, locale_id: str) -> str | None:
    """The V2 built-in a V1 ``AMAZON.*`` name stands for in ``locale_id``, if V2 has it."""
    wanted = _plain(signature)
    return next((b.signature for b in table if _plain(b.signature) == wanted and locale_id in b.locales), None)


def locale_id_of(v1_locale: str) -> str:
    return v1_locale.replace("-", "_")


def bot_settings(bot: dict[str, Any], v2_name: str, role: str) -> dict[str, Any]:
    settings = {"botName": v2_name, "roleArn": role, "dataPrivacy": {"childDirected": bool(bot.get("childDirected"))},
                "idleSessionTTLInSeconds": bot.get("idleSessionTTLInSeconds") or 300}
    if bot.get("description"):
        settings["description"] = bot["description"]
    return settings


class Converter:
    def __init__(self, bot: dict[str, Any], intents: list[dict[str, Any]], slot_types: list[dict[str, Any]]):
        self.bot = bot
        self.intents = intents
        self.slot_types = slot_types
        self.locale_id = locale_id_of(bot["locale"])
        self.alerts = Alerts()

    def locale(self) -> LocaleContent:
        bot = self.bot
        locale: dict[str, Any] = {"localeId": self.locale_id, "nluIntentConfidenceThreshold":
                                  bot.get("nluIntentConfidenceThreshold") or DEFAULT_CONFIDENCE}
        if bot.get("voiceId"):
            locale["voiceSettings"] = {"voiceId": bot["voiceId"]}
        if bot.get("description"):
            locale["description"] = bot["description"]
        for member, label in (("clarificationPrompt", "Clarification prompt"), ("abortStatement", "Hang-up phrases")):
            if bot.get(member):
                self.alerts.warn(NOT_MIGRATED_PROMPTS, label, PROMPTS_URL)
        if bot.get("detectSentiment"):
            self.alerts.warn(NOT_MIGRATED_FEATURES, "Sentiment analysis (set it on a V2 bot alias)")
        base = f"{bot['name']}/BotLocales/{self.locale_id}"
        slot_types = [self.slot_type(s, base) for s in self.slot_types]
        intents, slots = [], {}
        for intent in self.intents:
            converted, intent_slots = self.intent(intent, base)
            intents.append(converted)
            slots[intent["name"]] = intent_slots
        if not any(i.get("parentIntentSignature") == "AMAZON.FallbackIntent" or i["intentName"] == "FallbackIntent"
                   for i in intents):  # every V2 locale has one
            intents.append({"intentName": "FallbackIntent", "parentIntentSignature": "AMAZON.FallbackIntent",
                            "description": "Default intent when no other intent matches",
                            "_path": f"{base}/Intents/FallbackIntent/Intent.json", "_slotPriorities": []})
        return LocaleContent(locale, intents, slots, slot_types)

    # -- messages ---------------------------------------------------------------------------

    def _groups(self, messages: list[dict[str, Any]] | None, where: str) -> list[dict[str, Any]]:
        by_group: dict[int, list[dict[str, Any]]] = {}
        for message in messages or []:
            by_group.setdefault(message.get("groupNumber") or 1, []).append(self._message(message))
        groups = []
        for number in sorted(by_group):
            first, *rest = by_group[number]
            if len(rest) > MAX_VARIATIONS:
                self.alerts.warn(NOT_MIGRATED_PROMPTS, f"Messages past the third of group {number} of {where}",
                                 PROMPTS_URL)
            groups.append({"message": first, **({"variations": rest[:MAX_VARIATIONS]} if rest else {})})
        return groups

    @staticmethod
    def _message(message: dict[str, Any]) -> dict[str, Any]:
        kind = {"PlainText": "plainTextMessage", "SSML": "ssmlMessage", "CustomPayload": "customPayload"}
        return {kind.get(message.get("contentType"), "plainTextMessage"): {"value": message["content"]}}

    def _prompt(self, prompt: dict[str, Any], where: str) -> dict[str, Any]:
        if prompt.get("responseCard"):
            self.alerts.warn(NOT_MIGRATED_PROMPTS, f"Response card of {where}", PROMPTS_URL)
        return {"messageGroups": self._groups(prompt.get("messages"), where),
                "maxRetries": max(int(prompt.get("maxAttempts") or 1) - 1, 0), "allowInterrupt": True}

    def response(self, statement: dict[str, Any], where: str) -> dict[str, Any]:
        if statement.get("responseCard"):
            self.alerts.warn(NOT_MIGRATED_PROMPTS, f"Response card of {where}", PROMPTS_URL)
        return {"messageGroups": self._groups(statement.get("messages"), where), "allowInterrupt": True}

    # -- resources ---------------------------------------------------------------------------

    def slot_type(self, slot_type: dict[str, Any], base: str) -> dict[str, Any]:
        name = slot_type["name"]
        strategy = {"TOP_RESOLUTION": "TopResolution"}.get(slot_type.get("valueSelectionStrategy") or "",
                                                           "OriginalValue")
        body: dict[str, Any] = {"slotTypeName": name, "valueSelectionSetting": {"resolutionStrategy": strategy},
                                "_path": f"{base}/SlotTypes/{name}/SlotType.json"}
        if slot_type.get("description"):
            body["description"] = slot_type["description"]
        values = [{"sampleValue": {"value": v["value"]},
                   **({"synonyms": [{"value": s} for s in v["synonyms"]]} if v.get("synonyms") else {})}
                  for v in slot_type.get("enumerationValues") or []]
        if values:
            body["slotTypeValues"] = values
        regex = next((c["regexConfiguration"]["pattern"] for c in slot_type.get("slotTypeConfigurations") or []
                      if c.get("regexConfiguration")), None)
        if slot_type.get("parentSlotTypeSignature"):
            body["parentSlotTypeSignature"] = "AMAZON.AlphaNumeric"
            if regex:
                body["valueSelectionSetting"]["regexFilter"] = {"pattern": regex}
        return body

    def intent(self, intent: dict[str, Any], base: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        name = intent["name"]
        where = f"intent {name}"
        body: dict[str, Any] = {"intentName": name, "_path": f"{base}/Intents/{name}/Intent.json",
                                "sampleUtterances": [{"utterance": u} for u in intent.get("sampleUtterances") or []]}
        if intent.get("description"):
            body["description"] = intent["description"]
        parent = intent.get("parentIntentSignature")
        if parent:
            mapped = v2_builtin(parent, BUILT_IN_INTENTS, self.locale_id)
            if mapped:
                body["parentIntentSignature"] = mapped
            else:
                self.alerts.warn(UNSUPPORTED_BUILT_INS, f"{parent} (intent {name} became a custom intent)")
        if intent.get("confirmationPrompt"):
            setting: dict[str, Any] = {"promptSpecification": self._prompt(intent["confirmationPrompt"], where),
                                       "active": True}
            if intent.get("rejectionStatement"):
                setting["declinationResponse"] = self.response(intent["rejectionStatement"], where)
            body["intentConfirmationSetting"] = setting
        if intent.get("conclusionStatement"):
            body["intentClosingSetting"] = {"closingResponse": self.response(intent["conclusionStatement"], where),
                                            "active": True}
        if intent.get("followUpPrompt"):
            self.alerts.warn(NOT_MIGRATED_PROMPTS, f"Follow-up prompt of {where} (use output contexts)", PROMPTS_URL)
        fulfillment = intent.get("fulfillmentActivity") or {}
        if intent.get("dialogCodeHook"):
            body["dialogCodeHook"] = {"enabled": True}
        if fulfillment.get("type") == "CodeHook":
            body["fulfillmentCodeHook"] = {"enabled": True}
        if intent.get("dialogCodeHook") or fulfillment.get("type") == "CodeHook":
            self.alerts.warn(NOT_MIGRATED_FEATURES, f"Lambda function of {where} (set it on a V2 bot alias)")
        if intent.get("kendraConfiguration"):
            self.alerts.warn(NOT_MIGRATED_FEATURES, f"Kendra index of {where}")
        for member in ("inputContexts", "outputContexts"):
            if intent.get(member):
                body[member] = intent[member]
        slots = sorted(intent.get("slots") or [], key=lambda s: s.get("priority") or 0)
        body["_slotPriorities"] = [{"priority": n, "slotName": s["name"]} for n, s in enumerate(slots, 1)]
        return body, [self.slot(s, name, base) for s in slots]

    def slot(self, slot: dict[str, Any], intent: str, base: str) -> dict[str, Any]:
        name = slot["name"]
        where = f"slot {name} of intent {intent}"
        elicitation: dict[str, Any] = {"slotConstraint": slot.get("slotConstraint") or "Optional"}
        if slot.get("valueElicitationPrompt"):
            elicitation["promptSpecification"] = self._prompt(slot["valueElicitationPrompt"], where)
        if slot.get("sampleUtterances"):
            elicitation["sampleUtterances"] = [{"utterance": u} for u in slot["sampleUtterances"]]
        defaults = (slot.get("defaultValueSpec") or {}).get("defaultValueList")
        if defaults:
            elicitation["defaultValueSpecification"] = {"defaultValueList": defaults}
        body: dict[str, Any] = {"slotName": name, "valueElicitationSetting": elicitation,
                                "_path": f"{base}/Intents/{intent}/Slots/{name}/Slot.json"}
        if slot.get("description"):
            body["description"] = slot["description"]
        if slot.get("obfuscationSetting") == "DEFAULT_OBFUSCATION":
            body["obfuscationSetting"] = {"obfuscationSettingType": "DefaultObfuscation"}
        slot_type = slot.get("slotType") or ""
        if slot_type.startswith("AMAZON."):
            mapped = v2_builtin(slot_type, BUILT_IN_SLOT_TYPES, self.locale_id)
            if mapped:
                body["slotTypeName"] = mapped
            else:
                self.alerts.warn(UNSUPPORTED_BUILT_INS, f"{slot_type} ({where} has no slot type)")
        elif slot_type:
            body["slotTypeName"] = slot_type
        if slot.get("responseCard"):
            self.alerts.warn(NOT_MIGRATED_PROMPTS, f"Response card of {where}", PROMPTS_URL)
        return body
