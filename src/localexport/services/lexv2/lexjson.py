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

# Members whose archive name differs from the API's (seen in every real export; ``buttonsList`` in one).
ARCHIVE_NAMES = {"messageGroups": "messageGroupsList", "active": "isActive", "buttons": "buttonsList"}
# Where a resource keeps what of its archive file the writer would not give back, to be given back when the
# resource is exported again: members our model does not know (newer Lex releases') and the archive's own
# spelling where it differs from ours; ``[kind, [path...], value]`` entries (see _residue).
UNKNOWN = "_archiveUnknown"

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
        out.update({k: v for k, v in value.items() if k not in out and k not in shape.members})  # newer than our model
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
    _restore(out, view.get(UNKNOWN) or ())
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()


def _restore(out: dict[str, Any], residue) -> None:
    """Give a rendered file back what its archive had that the model lacks: members our model does not know,
    where that place still is, and the archive's own spelling of members it spelt otherwise."""
    for kind, path, value in residue:
        parent = _walk(out, path[:-1])
        if not isinstance(parent, dict):
            continue
        if kind == "member" and path[-1] not in parent:
            parent[path[-1]] = value
        elif kind == "spelling" and path[-1] in parent and value not in parent:
            renamed = {(value if k == path[-1] else k): v for k, v in parent.items()}  # in place, order kept
            parent.clear()
            parent.update(renamed)


def _walk(node: Any, path: list) -> Any:
    for step in path:
        found = (step in node) if isinstance(node, dict) else (
            isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node))
        if found:
            node = node[step]
        else:
            return None
    return node


def _residue(shape: Shape | None, value: Any, path: list, found: list) -> None:
    """Collect into ``found`` what of an archive value the writer would not give back: members ``shape``
    lacks (``member``) and members spelt otherwise than the writer spells them (``spelling``)."""
    if shape is None or value is None:
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            name = _API_NAMES.get(READ_ALIASES.get(key, key), READ_ALIASES.get(key, key))
            sub = shape.members.get(name)
            if sub is None:
                found.append(["member", [*path, key], item])
                continue
            written = ARCHIVE_NAMES.get(name, name)
            if written != key:
                found.append(["spelling", [*path, written], key])
            _residue(sub, item, [*path, written], found)
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _residue(shape.member, item, [*path, index], found)
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            _residue(shape.value, item, [*path, key], found)


def manifest(resource_type: str, file_format: str = FILE_FORMAT) -> bytes:
    body = {"metaData": {"schemaVersion": "1", "fileFormat": file_format, "resourceType": resource_type}}
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class LocaleContent:
    locale: dict[str, Any]
    intents: list[dict[str, Any]]
    slots: dict[str, list[dict[str, Any]]]  # intentId (intent name when read from an archive) -> slots
    slot_types: list[dict[str, Any]]
    vocabulary: list[dict[str, Any]] | None = None  # custom vocabulary items, when the locale has one


def vocabulary_json(items: list[dict[str, Any]]) -> bytes:
    rows = [{"phrase": i["phrase"], "weight": i.get("weight"), **({"displayAs": i["displayAs"]} if i.get("displayAs")
                                                                  else {})} for i in items]
    return json.dumps({"customVocabularyItems": rows}, ensure_ascii=False, separators=(",", ":")).encode()


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
        if content.vocabulary is not None:
            entries.append((f"{base}/CustomVocabulary/CustomVocabulary.json", vocabulary_json(content.vocabulary)))
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


# -- reading -------------------------------------------------------------------

# Spellings found in AWS's own format page and older archives, read as the API's.
READ_ALIASES = {"slotValueElicitationSetting": "valueElicitationSetting", "messageGroupList": "messageGroupsList",
                "allowMutlipleValues": "allowMultipleValues"}
RESOURCE_TYPES = {"bot": "BOT", "botlocale": "BOTLOCALE", "customvocabulary": "CUSTOMVOCABULARY"}


class ArchiveInvalid(ValueError):
    """The archive would corrupt the bot; ``reasons`` name the files and fields."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass
class Archive:
    resource_type: str
    bot: dict[str, Any] | None  # API members of Bot.json
    locales: list[LocaleContent]  # API members; slots carry slotTypeName, intents slotPriorities by slot name
    vocabularies: dict[str, list[dict[str, Any]]]  # localeId -> custom vocabulary items


def _aliased(value: Any) -> Any:
    if isinstance(value, dict):
        return {READ_ALIASES.get(k, k): _aliased(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_aliased(v) for v in value]
    return value


def parse_file(spec: FileSpec, document: dict[str, Any]) -> dict[str, Any]:
    """An archive file as API members (the inverse of ``render``)."""
    members = spec.shape().members
    by_key = {f.key: f for f in spec.fields}
    out: dict[str, Any] = {}
    residue: list = []
    for raw_key, value in document.items():
        key = READ_ALIASES.get(raw_key, raw_key)
        f = by_key.get(key)
        if f is None:
            residue.append(["member", [raw_key], value])
            continue
        if key != raw_key:
            residue.append(["spelling", [key], raw_key])
        if value is not None:
            out[f.member] = to_api(members.get(f.member), _aliased(value), f.member)
            _residue(members.get(f.member), value, [key], residue)
    if residue:
        out[UNKNOWN] = residue
    return out


def _json(files: dict[str, bytes], path: str, reasons: list[str]) -> dict[str, Any] | None:
    try:
        document = json.loads(files[path])
    except (ValueError, UnicodeDecodeError) as error:
        reasons.append(f"{path}: not valid JSON ({error}).")
        return None
    if not isinstance(document, dict):
        reasons.append(f"{path}: a JSON object was expected.")
        return None
    return document


def _resource_type(files: dict[str, bytes], reasons: list[str]) -> str | None:
    manifest = next((p for p in files if p.rsplit("/", 1)[-1].lower() == "manifest.json" and "/" not in p), None)
    if manifest is None:  # tolerate archives re-zipped without it
        if any(p.endswith("/Bot.json") or p == "Bot.json" for p in files):
            return "BOT"
        if any(p.endswith("BotLocale.json") for p in files):
            return "BOTLOCALE"
        return "CUSTOMVOCABULARY" if any("CustomVocabulary." in p for p in files) else None
    document = _json(files, manifest, reasons) or {}
    meta = document.get("metaData") or document.get("metadata") or {}
    raw = str(meta.get("resourceType", ""))
    kind = RESOURCE_TYPES.get(raw.replace("_", "").lower())
    if kind is None:
        reasons.append(f"{manifest}: unknown resourceType {raw!r}.")
    return kind


def _vocabulary(files: dict[str, bytes], base: str, reasons: list[str]) -> list[dict[str, Any]] | None:
    json_path, tsv_path = f"{base}CustomVocabulary/CustomVocabulary.json", f"{base}CustomVocabulary/CustomVocabulary.tsv"
    if json_path in files:
        document = _json(files, json_path, reasons) or {}
        items = document.get("customVocabularyItems") or []
        return [{k: v for k, v in item.items() if v is not None} for item in items if isinstance(item, dict)]
    if tsv_path in files:
        return read_vocabulary_tsv(files[tsv_path], tsv_path, reasons)
    return None


def read_vocabulary_tsv(data: bytes, path: str, reasons: list[str]) -> list[dict[str, Any]]:
    lines = data.decode("utf-8-sig", "replace").splitlines()
    items = []
    for number, line in enumerate(lines[1:] if lines and lines[0].lower().startswith("phrase") else lines, 1):
        if not line.strip():
            continue
        cells = line.split("\t") + ["", ""]
        item: dict[str, Any] = {"phrase": cells[0]}
        if cells[1].strip():
            try:
                item["weight"] = int(cells[1])
            except ValueError:
                reasons.append(f"{path}: line {number}: weight {cells[1]!r} is not a whole number.")
        if cells[2].strip():
            item["displayAs"] = cells[2]
        items.append(item)
    return items


def write_vocabulary_tsv(items: list[dict[str, Any]]) -> bytes:
    rows = ["phrase\tweight\tdisplayAs"]
    rows += [f"{i['phrase']}\t{i.get('weight', '') if i.get('weight') is not None else ''}\t{i.get('displayAs') or ''}"
             for i in items]
    return ("\n".join(rows) + "\n").encode()


def _locale(files: dict[str, bytes], base: str, locale_id: str, reasons: list[str]) -> LocaleContent:
    """One locale's files under ``base`` (``.../BotLocales/{localeId}/``)."""
    doc = _json(files, base + LOCALE_FILE.name, reasons) or {}
    locale = {**parse_file(LOCALE_FILE, doc), "localeId": locale_id}
    locale.pop("archiveVersion", None)
    slot_types, intents, slots = [], [], {}
    for path in sorted(p for p in files if p.startswith(base)):
        rest = path[len(base):].split("/")
        if len(rest) == 3 and rest[0] == "SlotTypes" and rest[2] == SLOT_TYPE_FILE.name:
            raw = _json(files, path, reasons) or {}
            if "valueSelectionStrategy" in raw and not raw.get("valueSelectionSetting"):
                raw = {**raw, "valueSelectionSetting": {"resolutionStrategy": raw["valueSelectionStrategy"]}}
            slot_types.append({**parse_file(SLOT_TYPE_FILE, raw), "_path": path})
        elif len(rest) == 3 and rest[0] == "Intents" and rest[2] == INTENT_FILE.name:
            intent = parse_file(INTENT_FILE, _json(files, path, reasons) or {})
            # slot priorities name slots: resolved to ids once the slots exist
            intent["_slotPriorities"] = intent.pop("archiveSlotPriorities", None) or []
            intents.append({**intent, "_path": path})
        elif len(rest) == 5 and rest[0] == "Intents" and rest[2] == "Slots" and rest[4] == SLOT_FILE.name:
            raw = _aliased(_json(files, path, reasons) or {})
            if "slotConstraint" in raw and isinstance(raw.get("valueElicitationSetting"), dict):
                raw = {**raw, "valueElicitationSetting": {"slotConstraint": raw["slotConstraint"],
                                                          **raw["valueElicitationSetting"]}}
            slots.setdefault(rest[1], []).append({**parse_file(SLOT_FILE, raw), "_path": path})
    return LocaleContent(locale, intents, slots, slot_types)


def read_archive(files: dict[str, bytes]) -> Archive:
    """Read a LexJson (or vocabulary TSV) archive; ArchiveInvalid lists everything wrong with it."""
    reasons: list[str] = []
    kind = _resource_type(files, reasons)
    if kind is None and not reasons:
        reasons.append("The archive holds no Lex V2 bot, bot locale or custom vocabulary.")
    bot = None
    bot_files = sorted((p for p in files if p.rsplit("/", 1)[-1] == BOT_FILE.name), key=lambda p: p.count("/"))
    if kind == "BOT":
        if not bot_files:
            reasons.append("The archive has no Bot.json.")
        else:
            bot = parse_file(BOT_FILE, _json(files, bot_files[0], reasons) or {})
            bot.pop("version", None)
            if not bot.get("botName"):
                reasons.append(f"{bot_files[0]}: name is missing.")
    locales, vocabularies = [], {}
    for path in sorted(p for p in files if p.rsplit("/", 1)[-1] == LOCALE_FILE.name):
        base = path[: -len(LOCALE_FILE.name)]
        parts = base.rstrip("/").split("/")
        locale_id = parts[-1] if len(parts) >= 2 and parts[-2] == "BotLocales" else None
        content = _locale(files, base, locale_id or "", reasons)
        locale_id = locale_id or content.locale.get("localeId") or ""
        if not locale_id:
            reasons.append(f"{path}: cannot tell which locale this is.")
        content.locale["localeId"] = locale_id
        locales.append(content)
        content.vocabulary = _vocabulary(files, base, reasons)
        if content.vocabulary is not None:
            vocabularies[locale_id] = content.vocabulary
    if kind == "CUSTOMVOCABULARY" and not locales:
        vocabulary = next((_vocabulary(files, p[: -len("CustomVocabulary/CustomVocabulary.json")], reasons)
                           for p in files if p.endswith(("CustomVocabulary/CustomVocabulary.json",
                                                         "CustomVocabulary/CustomVocabulary.tsv"))), None)
        if vocabulary is None:
            tsv = next((p for p in files if p.endswith(".tsv")), None)
            vocabulary = read_vocabulary_tsv(files[tsv], tsv, reasons) if tsv else None
        if vocabulary is None:
            reasons.append("The archive has no CustomVocabulary.json or .tsv file.")
        else:
            vocabularies[""] = vocabulary
    if kind in ("BOT", "BOTLOCALE") and not locales:
        reasons.append("The archive has no BotLocale.json.")
    if reasons:
        raise ArchiveInvalid(reasons)
    return Archive(kind or "", bot, locales, vocabularies)
