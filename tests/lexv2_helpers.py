"""Building Lex V2 bots through boto3, from scratch or from a real export's tree."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import WaiterError
from conftest import FIXTURES

from localexport.aws.models import operation
from localexport.services.lexv2 import lexjson
from localexport.services.lexv2.lexjson import to_api

ROLE = "arn:aws:iam::123456789012:role/LexRole"


def simple_bot(lex, name: str = "PizzaBot", build: bool = True) -> dict:
    """A bot with one locale, a custom slot type, an intent with utterances and a slot."""
    bot = lex.create_bot(botName=name, roleArn=ROLE, dataPrivacy={"childDirected": False},
                         idleSessionTTLInSeconds=300)
    bot_id = bot["botId"]
    fast = {"Delay": 0.05, "MaxAttempts": 200}
    lex.get_waiter("bot_available").wait(botId=bot_id, WaiterConfig=fast)
    where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    lex.create_bot_locale(**where, nluIntentConfidenceThreshold=0.4,
                          voiceSettings={"voiceId": "Ivy", "engine": "neural"})
    lex.get_waiter("bot_locale_created").wait(**where, WaiterConfig=fast)
    size = lex.create_slot_type(**where, slotTypeName="Size",
                                slotTypeValues=[{"sampleValue": {"value": "small"}},
                                                {"sampleValue": {"value": "large"}, "synonyms": [{"value": "big"}]}],
                                valueSelectionSetting={"resolutionStrategy": "TopResolution"})
    intent = lex.create_intent(**where, intentName="OrderPizza",
                               sampleUtterances=[{"utterance": "I want a pizza"}, {"utterance": "order a {size} pizza"}])
    slot = lex.create_slot(
        **where, intentId=intent["intentId"], slotName="size", slotTypeId=size["slotTypeId"],
        valueElicitationSetting={
            "slotConstraint": "Required",
            "promptSpecification": {"messageGroups": [{"message": {"plainTextMessage": {"value": "Which size?"}}}],
                                    "maxRetries": 2, "allowInterrupt": True},
        },
    )
    lex.update_intent(**where, intentId=intent["intentId"], intentName="OrderPizza",
                      sampleUtterances=[{"utterance": "I want a pizza"}, {"utterance": "order a {size} pizza"}],
                      slotPriorities=[{"priority": 1, "slotId": slot["slotId"]}])
    if build:
        lex.build_bot_locale(**where)
        lex.get_waiter("bot_locale_built").wait(**where, WaiterConfig=fast)
    return {"botId": bot_id, "intentId": intent["intentId"], "slotId": slot["slotId"],
            "slotTypeId": size["slotTypeId"], "where": where}


def read_tree(root: Path) -> dict[str, dict]:
    """An unzipped export as {relative path: parsed JSON}."""
    return {str(p.relative_to(root)): json.loads(p.read_text()) for p in root.rglob("*.json")}


def read_zip(data: bytes, password: str | None = None) -> dict[str, dict]:
    import pyzipper

    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        if password:
            archive.setpassword(password.encode())
        return {n: json.loads(archive.read(n)) for n in archive.namelist()}


def _api(op: str, value: dict) -> dict:
    return to_api(operation("lexv2-models", op).input_shape, value)


def rebuild(lex, tree: dict[str, dict]) -> str:
    """Create through the API the bot an export tree describes; returns the bot id."""
    bot_json = next(v for k, v in tree.items() if k.endswith("/Bot.json") and k.count("/") == 1)
    bot = lex.create_bot(botName=bot_json["name"], roleArn=ROLE, dataPrivacy=bot_json["dataPrivacy"],
                         idleSessionTTLInSeconds=bot_json["idleSessionTTLInSeconds"],
                         **({"description": bot_json["description"]} if bot_json.get("description") else {}))
    bot_id = bot["botId"]
    locales = sorted({k.split("/")[2] for k in tree if "/BotLocales/" in k})
    for locale in locales:
        files = {k.split(f"/BotLocales/{locale}/", 1)[1]: v for k, v in tree.items() if f"/BotLocales/{locale}/" in k}
        where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": locale}
        loc = files["BotLocale.json"]
        lex.create_bot_locale(**where, **_api("CreateBotLocale", {
            "description": loc.get("description"), "voiceSettings": loc.get("voiceSettings"),
            "nluIntentConfidenceThreshold": loc["nluConfidenceThreshold"]}))
        type_ids = {}
        for path, st in sorted(files.items()):
            if path.endswith("SlotType.json"):
                body = _api("CreateSlotType", {**st, "slotTypeName": st["name"]})
                type_ids[st["name"]] = lex.create_slot_type(**where, **body)["slotTypeId"]
        for path, intent in sorted(files.items()):
            if not path.endswith("/Intent.json"):
                continue
            body = _api("CreateIntent", {**intent, "intentName": intent["name"]})
            if intent["name"] == "FallbackIntent":
                intent_id = "FALLBCKINT"
            else:
                intent_id = lex.create_intent(**where, **body)["intentId"]
            slot_ids = {}
            prefix = path.rsplit("/", 1)[0] + "/Slots/"
            for slot_path, slot in sorted(files.items()):
                if slot_path.startswith(prefix) and slot_path.endswith("Slot.json"):
                    type_name = slot["slotTypeName"]
                    slot_body = _api("CreateSlot", {**slot, "slotName": slot["name"],
                                                    "slotTypeId": type_ids.get(type_name, type_name)})
                    slot_ids[slot["name"]] = lex.create_slot(**where, intentId=intent_id, **slot_body)["slotId"]
            priorities = [{"priority": p["priority"], "slotId": slot_ids[p["slotName"]]}
                          for p in intent.get("slotPriorities") or []]
            update = _api("UpdateIntent", {**intent, "intentName": intent["name"], "slotPriorities": priorities})
            lex.update_intent(**where, intentId=intent_id, **update)
    return bot_id


def export_and_download(lex, http_get, spec: dict, password: str | None = None) -> tuple[dict, bytes]:
    created = lex.create_export(resourceSpecification=spec, fileFormat="LexJson",
                                **({"filePassword": password} if password else {}))
    lex.get_waiter("bot_export_completed").wait(exportId=created["exportId"],
                                                WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    described = lex.describe_export(exportId=created["exportId"])
    response = http_get(described["downloadUrl"])
    assert response.status_code == 200, response.text
    return described, response.content


def zip_bytes(files: dict[str, bytes | dict], password: str | None = None) -> bytes:
    from localexport.core.archives import write_zip

    out = io.BytesIO()
    entries = [(n, v if isinstance(v, bytes) else json.dumps(v).encode()) for n, v in files.items()]
    write_zip(out, entries, password)
    return out.getvalue()


def zip_of_tree(root: Path) -> bytes:
    return zip_bytes({str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()})


def import_archive(lex, http_put, data: bytes, spec: dict, merge: str = "FailOnConflict",
                   password: str | None = None) -> dict:
    """The three-step import; returns the final DescribeImport."""
    slot = lex.create_upload_url()
    response = http_put(slot["uploadUrl"], content=data) if "content" in http_put.__code__.co_varnames else \
        http_put(slot["uploadUrl"], data=data)
    assert response.status_code == 200, response.text
    started = lex.start_import(importId=slot["importId"], resourceSpecification=spec, mergeStrategy=merge,
                               **({"filePassword": password} if password else {}))
    assert started["importStatus"] == "InProgress"
    try:
        lex.get_waiter("bot_import_completed").wait(importId=slot["importId"],
                                                    WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    except WaiterError:
        pass  # a Failed import ends the waiter early; the caller checks the status
    return lex.describe_import(importId=slot["importId"])


def bot_spec(name: str) -> dict:
    return {"botImportSpecification": {"botName": name, "roleArn": ROLE, "dataPrivacy": {"childDirected": False},
                                       "idleSessionTTLInSeconds": 600}}


def real_exports():
    root = FIXTURES / "lexv2"
    if not root.is_dir():
        return [pytest.param("absent", marks=pytest.mark.skip(
            reason=f"real fixtures not found at {root} (set LOCALEXPORT_FIXTURES)"))]
    trees = [p.parent for p in root.rglob("Manifest.json")]
    zips = list(root.rglob("*.zip"))
    return sorted(str(p.relative_to(root)) for p in trees + zips)


def load_export(path: Path) -> dict[str, dict]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {n: json.loads(archive.read(n)) for n in archive.namelist() if n.endswith(".json")}
    return read_tree(path)


# Top-level members that newer exports carry and older ones lack: we write the newest form.
NEWER_MEMBERS = {"errorLogSettings", "initialResponseSetting", "qnAIntentConfiguration",
                 "bedrockAgentIntentConfiguration", "qInConnectIntentConfiguration"}
FILES = {"Bot.json": lexjson.BOT_FILE, "BotLocale.json": lexjson.LOCALE_FILE, "Intent.json": lexjson.INTENT_FILE,
         "Slot.json": lexjson.SLOT_FILE, "SlotType.json": lexjson.SLOT_TYPE_FILE}
# What differs between a real export and ours for the same bot, and why.
REGENERATED = {
    "identifier": "ids are assigned by the server that holds the bot",
    "version": "Bot.json names the exported version; we export the rebuilt DRAFT",
    "name": "one fixture's folder and Bot.json name disagree (renamed by hand)",
}


def comparable(name: str, document: dict, differs: dict[str, str] = REGENERATED) -> dict:
    """A file's content in API terms (nulls and members our model lacks dropped), minus the fields that
    legitimately differ (``differs``: field -> why); slot references are compared by name elsewhere."""
    spec = FILES[name]
    members = spec.shape().members
    out = {}
    for field in spec.fields:
        if field.key in differs or field.key in ("slotPriorities", "slotTypeName"):
            continue
        value = lexjson.to_api(members.get(field.member), document.get(field.key), field.member)
        if value not in (None, [], {}):
            out[field.key] = value
    return out


