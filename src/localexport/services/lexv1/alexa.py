"""The ``ALEXA_SKILLS_KIT`` export of a Lex V1 bot: an Alexa interaction model for the
Alexa console's JSON editor, shaped like the real export in the fixtures
(prompt ids ``Elicit.Intent-{intent}.IntentSlot-{slot}`` and ``Confirm.Intent-{intent}``,
``delegationStrategy``, the Cancel/Help/Stop intents Alexa requires)."""

from __future__ import annotations

import json
import re
from typing import Any

REQUIRED_INTENTS = ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent")


def _variations(prompt: dict[str, Any] | None) -> list[dict[str, str]]:
    kinds = {"PlainText": "PlainText", "SSML": "SSML"}
    return [{"type": kinds[m["contentType"]], "value": m["content"]} for m in (prompt or {}).get("messages", [])
            if m.get("contentType") in kinds]


def invocation_name(bot_name: str) -> str:
    return " ".join(w for w in re.split(r"[_\s]+|(?<=[a-z])(?=[A-Z])", bot_name) if w).lower()


def interaction_model(bot: dict[str, Any], intents: list[dict[str, Any]], slot_types: list[dict[str, Any]]) -> bytes:
    language_intents, dialog_intents, prompts = [], [], []
    for intent in intents:
        name = intent["name"]
        slots = sorted(intent.get("slots") or [], key=lambda s: s.get("priority", 0))
        language_intents.append({
            "name": name,
            "slots": [{"name": s["name"], "type": s["slotType"], "samples": s.get("sampleUtterances") or []}
                      for s in slots],
            "samples": intent.get("sampleUtterances") or [],
        })
        dialog: dict[str, Any] = {"name": name, "confirmationRequired": bool(intent.get("confirmationPrompt")),
                                  "prompts": {}, "slots": []}
        if intent.get("confirmationPrompt"):
            dialog["prompts"]["confirmation"] = f"Confirm.Intent-{name}"
            prompts.append({"id": f"Confirm.Intent-{name}", "variations": _variations(intent["confirmationPrompt"])})
        for slot in slots:
            entry: dict[str, Any] = {"name": slot["name"], "type": slot["slotType"], "confirmationRequired": False,
                                     "elicitationRequired": slot.get("slotConstraint") == "Required", "prompts": {}}
            if slot.get("valueElicitationPrompt"):
                prompt_id = f"Elicit.Intent-{name}.IntentSlot-{slot['name']}"
                entry["prompts"]["elicitation"] = prompt_id
                prompts.append({"id": prompt_id, "variations": _variations(slot["valueElicitationPrompt"])})
            dialog["slots"].append(entry)
        dialog_intents.append(dialog)
    present = {i["name"] for i in language_intents}
    language_intents += [{"name": n, "samples": []} for n in REQUIRED_INTENTS if n not in present]
    types = [{"name": t["name"], "values": [
        {"name": {"value": v["value"], **({"synonyms": v["synonyms"]} if v.get("synonyms") else {})}}
        for v in t.get("enumerationValues") or []]} for t in slot_types]
    model = {"interactionModel": {
        "languageModel": {"invocationName": invocation_name(bot["name"]), "intents": language_intents,
                          "types": types},
        "dialog": {"intents": dialog_intents, "delegationStrategy": "SKILL_RESPONSE"},
        "prompts": prompts,
    }}
    return json.dumps(model, indent=2, ensure_ascii=False).encode()
