"""The LexJson archive format: one description of each file, used to write it.

Layout (as in real exports, see shared/spec/lexv2.md §4)::

    Manifest.json
    {BotName}/Bot.json
    {BotName}/BotLocales/{localeId}/BotLocale.json
    {BotName}/BotLocales/{localeId}/Intents/{IntentName}/Intent.json
    {BotName}/BotLocales/{localeId}/Intents/{IntentName}/Slots/{SlotName}/Slot.json
    {BotName}/BotLocales/{localeId}/SlotTypes/{SlotTypeName}/SlotType.json

Each file holds the API resource under the archive's own key names, with every
member of every nested structure written (``null`` when unset), as AWS does.
The nested shapes come from the botocore model; the top-level keys and their
order come from real exports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from ...aws.models import operation

MANIFEST = "Manifest.json"
FILE_FORMAT = "LexJson"

# Members whose archive name differs from the API's (seen in every real export).
ARCHIVE_NAMES = {"messageGroups": "messageGroupsList", "active": "isActive"}

# Enums whose archive spelling differs from the API's (seen in real exports).
ARCHIVE_ENUMS = {
    "resolutionStrategy": {"OriginalValue": "ORIGINAL_VALUE", "TopResolution": "TOP_RESOLUTION",
                           "Concatenation": "CONCATENATION"},
}


@dataclass(frozen=True)
class Field:
    key: str
    member: str  # the API member (or a computed one) it carries
    optional: bool = False  # written only when set (newer members older exports lack)


@dataclass(frozen=True)
class FileSpec:
    name: str
    describe: str  # the Describe* operation whose output shapes the nested members
    fields: tuple[Field, ...]

    def shape(self) -> Shape:
        return operation("lexv2-models", self.describe).output_shape


BOT_FILE = FileSpec("Bot.json", "DescribeBot", (
    Field("name", "botName"), Field("version", "version"), Field("description", "description"),
    Field("identifier", "botId"), Field("errorLogSettings", "errorLogSettings"),
    Field("dataPrivacy", "dataPrivacy"), Field("idleSessionTTLInSeconds", "idleSessionTTLInSeconds"),
))
LOCALE_FILE = FileSpec("BotLocale.json", "DescribeBotLocale", (
    Field("name", "localeName"), Field("identifier", "localeId"), Field("version", "archiveVersion"),
    Field("description", "description"), Field("voiceSettings", "voiceSettings"),
    Field("nluConfidenceThreshold", "nluIntentConfidenceThreshold"),
    Field("generativeAISettings", "generativeAISettings", optional=True),
    Field("speechDetectionSensitivity", "speechDetectionSensitivity", optional=True),
    Field("speechRecognitionSettings", "speechRecognitionSettings", optional=True),
    Field("unifiedSpeechSettings", "unifiedSpeechSettings", optional=True),
    Field("audioFillerSettings", "audioFillerSettings", optional=True),
))
INTENT_FILE = FileSpec("Intent.json", "DescribeIntent", (
    Field("name", "intentName"), Field("identifier", "intentId"), Field("description", "description"),
    Field("parentIntentSignature", "parentIntentSignature"), Field("sampleUtterances", "sampleUtterances"),
    Field("intentConfirmationSetting", "intentConfirmationSetting"),
    Field("intentClosingSetting", "intentClosingSetting"),
    Field("initialResponseSetting", "initialResponseSetting"), Field("inputContexts", "inputContexts"),
    Field("outputContexts", "outputContexts"), Field("kendraConfiguration", "kendraConfiguration"),
    Field("qnAIntentConfiguration", "qnAIntentConfiguration"),
    Field("bedrockAgentIntentConfiguration", "bedrockAgentIntentConfiguration"),
    Field("qInConnectIntentConfiguration", "qInConnectIntentConfiguration"),
    Field("dialogCodeHook", "dialogCodeHook"), Field("fulfillmentCodeHook", "fulfillmentCodeHook"),
    Field("slotPriorities", "archiveSlotPriorities"),
    Field("displayName", "intentDisplayName", optional=True),
))
SLOT_FILE = FileSpec("Slot.json", "DescribeSlot", (
    Field("name", "slotName"), Field("identifier", "slotId"), Field("description", "description"),
    Field("slotTypeName", "slotTypeName"), Field("obfuscationSetting", "obfuscationSetting"),
    Field("valueElicitationSetting", "valueElicitationSetting"),
    Field("multipleValuesSetting", "multipleValuesSetting"),
    Field("subSlotSetting", "subSlotSetting", optional=True),
))
SLOT_TYPE_FILE = FileSpec("SlotType.json", "DescribeSlotType", (
    Field("name", "slotTypeName"), Field("identifier", "slotTypeId"), Field("description", "description"),
    Field("slotTypeValues", "slotTypeValues"), Field("parentSlotTypeSignature", "parentSlotTypeSignature"),
    Field("valueSelectionSetting", "valueSelectionSetting"),
    Field("externalSourceSetting", "externalSourceSetting", optional=True),
    Field("compositeSlotTypeSetting", "compositeSlotTypeSetting", optional=True),
))


def fill(shape: Shape | None, value: Any, member: str = "") -> Any:
    """``value`` with every member of every structure present, null when unset."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {ARCHIVE_NAMES.get(name, name): fill(sub, value.get(name), name) for name, sub in shape.members.items()}
        out.update({k: v for k, v in value.items() if k not in out})  # members newer than our model
        return out
    if kind == "list" and isinstance(value, list):
        return [fill(shape.member, v, member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: fill(shape.value, v, member) for k, v in value.items()}
    return ARCHIVE_ENUMS.get(member, {}).get(value, value) if isinstance(value, str) else value


def render(spec: FileSpec, view: dict[str, Any]) -> bytes:
    members = spec.shape().members
    out = {}
    for f in spec.fields:
        value = view.get(f.member)
        if f.optional and value is None:
            continue
        out[f.key] = fill(members.get(f.member), value, f.member)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


def manifest(resource_type: str, file_format: str = FILE_FORMAT) -> bytes:
    body = {"metaData": {"schemaVersion": "1", "fileFormat": file_format, "resourceType": resource_type}}
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class LocaleContent:
    locale: dict[str, Any]
    intents: list[dict[str, Any]]
    slots: dict[str, list[dict[str, Any]]]  # intentId -> slots
    slot_types: list[dict[str, Any]]


def bot_entries(bot: dict[str, Any], version: str, locales: list[LocaleContent], resource_type: str) -> list[tuple[str, bytes]]:
    """The files of a bot (or bot-locale) archive, in archive order."""
    root = bot["botName"]
    entries = [(MANIFEST, manifest(resource_type))]
    if resource_type == "BOT":
        entries.append((f"{root}/{BOT_FILE.name}", render(BOT_FILE, {**bot, "version": version})))
    for content in locales:
        base = f"{root}/BotLocales/{content.locale['localeId']}"
        entries.append((f"{base}/{LOCALE_FILE.name}", render(LOCALE_FILE, {**content.locale, "archiveVersion": None})))
        type_names = {t["slotTypeId"]: t["slotTypeName"] for t in content.slot_types}
        for slot_type in content.slot_types:
            entries.append((f"{base}/SlotTypes/{slot_type['slotTypeName']}/{SLOT_TYPE_FILE.name}",
                            render(SLOT_TYPE_FILE, slot_type)))
        for intent in content.intents:
            slots = content.slots.get(intent["intentId"], [])
            slot_names = {s["slotId"]: s["slotName"] for s in slots}
            priorities = [
                {"priority": p["priority"], "slotName": slot_names.get(p["slotId"], p["slotId"])}
                for p in intent.get("slotPriorities") or []
            ]
            intent_dir = f"{base}/Intents/{intent['intentName']}"
            entries.append((f"{intent_dir}/{INTENT_FILE.name}",
                            render(INTENT_FILE, {**intent, "archiveSlotPriorities": priorities})))
            for slot in slots:
                type_id = slot.get("slotTypeId")
                view = {**slot, "slotTypeName": type_names.get(type_id, type_id)}
                entries.append((f"{intent_dir}/Slots/{slot['slotName']}/{SLOT_FILE.name}", render(SLOT_FILE, view)))
    return entries


_API_NAMES = {v: k for k, v in ARCHIVE_NAMES.items()}
_API_ENUMS = {member: {v: k for k, v in table.items()} for member, table in ARCHIVE_ENUMS.items()}


def to_api(shape: Shape | None, value: Any, member: str = "") -> Any:
    """The inverse of ``fill``: an archive value in API form, nulls and unknown members dropped."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = _API_NAMES.get(key, key)
            sub = shape.members.get(name)
            if sub is not None and item is not None:
                out[name] = to_api(sub, item, name)
        return out
    if kind == "list" and isinstance(value, list):
        return [to_api(shape.member, v, member) for v in value if v is not None]
    if kind == "map" and isinstance(value, dict):
        return {k: to_api(shape.value, v, member) for k, v in value.items() if v is not None}
    return _API_ENUMS.get(member, {}).get(value, value) if isinstance(value, str) else value
