"""The Lex V1 ``LEX`` export format: ``{"metadata": ..., "resource": ...}`` in
``{Name}_Export.json``, alone in a zip.  Resources are the API's shapes (the
archive and PutBot/PutIntent/PutSlotType share member names), with absent
members omitted and keys in the order real exports use.
"""

from __future__ import annotations

import json
from typing import Any

from ...aws.models import operation
from ...aws.validation import SerializationError, validate

METADATA = {"schemaVersion": "1.0", "importType": "LEX", "importFormat": "JSON"}

SLOT_TYPE_KEYS = ("description", "name", "version", "enumerationValues", "valueSelectionStrategy",
                  "parentSlotTypeSignature", "slotTypeConfigurations")
INTENT_KEYS = ("rejectionStatement", "name", "version", "fulfillmentActivity", "sampleUtterances", "slots",
               "confirmationPrompt", "conclusionStatement", "followUpPrompt", "dialogCodeHook",
               "parentIntentSignature", "kendraConfiguration", "inputContexts", "outputContexts", "description")
BOT_KEYS = ("name", "version", "intents", "slotTypes", "voiceId", "childDirected", "locale",
            "idleSessionTTLInSeconds", "description", "clarificationPrompt", "abortStatement", "detectSentiment",
            "enableModelImprovements", "nluIntentConfidenceThreshold")
PUT_OPERATION = {"SLOT_TYPE": "PutSlotType", "INTENT": "PutIntent", "BOT": "PutBot"}
FILE_LABEL = {"SLOT_TYPE": "SlotType", "INTENT": "Intent", "BOT": "Bot"}


def _pick(body: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: body[k] for k in keys if body.get(k) is not None}


def slot_type_resource(body: dict[str, Any]) -> dict[str, Any]:
    return _pick(body, SLOT_TYPE_KEYS)


def intent_resource(body: dict[str, Any], slot_types: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    resource = _pick(body, INTENT_KEYS)
    if slot_types is not None:  # a standalone intent export carries the custom slot types it uses
        resource["slotTypes"] = [slot_type_resource(s) for s in slot_types]
    return resource


def bot_resource(body: dict[str, Any], intents: list[dict[str, Any]], slot_types: list[dict[str, Any]]) -> dict:
    return _pick({**body, "intents": [intent_resource(i) for i in intents],
                  "slotTypes": [slot_type_resource(s) for s in slot_types]}, BOT_KEYS)


def document(resource: dict[str, Any]) -> bytes:
    return json.dumps({"metadata": METADATA, "resource": resource}, indent=2, ensure_ascii=False).encode()


# -- reading ---------------------------------------------------------------------------


class FormatInvalid(ValueError):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _as_put(resource_type: str, resource: Any, where: str, reasons: list[str]) -> dict[str, Any]:
    """A resource of the file as the Put* input it amounts to, checked against the model."""
    if not isinstance(resource, dict):
        reasons.append(f"{where}: an object was expected.")
        return {}
    shape = operation("lex-models", PUT_OPERATION[resource_type]).input_shape
    errors: list[str] = []
    try:
        body = validate(shape, {k: v for k, v in resource.items() if k in shape.members and k != "checksum"}, "",
                        errors)
    except SerializationError as error:
        errors.append(error.message)
        body = {}
    # Real exports carry names with digits that the model's name patterns refuse (e.g. BookStoreStage1):
    # the reader accepts them, as the spec asks of every real artefact.
    errors = [e for e in errors if not (e.startswith("Value '") and "' at 'name' failed" in e and "pattern" in e)]
    reasons.extend(f"{where}: {e}" for e in errors)
    return body


def read(data: bytes, resource_type: str) -> dict[str, Any]:
    """Parse an export file for an import of ``resource_type``; FormatInvalid says what is wrong.

    Returns {"resource": Put* input of the top resource, "intents": [...], "slot_types": [...],
    "raw": the file's resource}; a bot's intents come as full Put* inputs.
    """
    try:
        document_ = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise FormatInvalid([f"The file is not valid JSON: {error}"]) from None
    if not isinstance(document_, dict) or not isinstance(document_.get("resource"), dict):
        raise FormatInvalid(["The file has no resource object."])
    metadata = document_.get("metadata") or {}
    if metadata.get("importType") != "LEX":
        raise FormatInvalid([(f"importType must be LEX, not {metadata.get('importType')!r}: only the Lex format "
                             "can be imported.")])
    raw = document_["resource"]
    reasons: list[str] = []
    if resource_type == "BOT" and "intents" not in raw:
        reasons.append(f"The file holds no bot, but the import is for resourceType {resource_type}.")
    if resource_type == "SLOT_TYPE" and ("enumerationValues" not in raw and "parentSlotTypeSignature" not in raw):
        reasons.append(f"The file holds no slot type, but the import is for resourceType {resource_type}.")
    if resource_type == "INTENT" and ("sampleUtterances" not in raw and "slots" not in raw
                                      and "fulfillmentActivity" not in raw or "intents" in raw):
        reasons.append(f"The file holds no intent, but the import is for resourceType {resource_type}.")
    if reasons:
        raise FormatInvalid(reasons)
    slot_types = [_as_put("SLOT_TYPE", s, f"slotTypes[{i}]", reasons) for i, s in enumerate(raw.get("slotTypes") or [])]
    intents = []
    if resource_type == "BOT":
        intents = [_as_put("INTENT", i, f"intents[{n}]", reasons) for n, i in enumerate(raw.get("intents") or [])]
        top = _as_put("BOT", {k: v for k, v in raw.items() if k not in ("intents", "slotTypes")}, "resource", reasons)
    else:
        top = _as_put(resource_type, {k: v for k, v in raw.items() if k != "slotTypes"}, "resource", reasons)
    known = {s.get("name") for s in slot_types}
    for intent in [*intents, *([top] if resource_type == "INTENT" else [])]:
        for slot in intent.get("slots") or []:
            slot_type = slot.get("slotType", "")
            if not slot_type.startswith("AMAZON.") and slot_type not in known:
                reasons.append(f"Slot {slot.get('name')} of intent {intent.get('name')} uses slot type {slot_type}, "
                               "which the file does not contain.")
    if reasons:
        raise FormatInvalid(reasons)
    return {"resource": top, "intents": intents, "slot_types": slot_types, "raw": raw}
