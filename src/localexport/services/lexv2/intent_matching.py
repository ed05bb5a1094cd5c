"""The runtime's NLU, deterministic: which intent an utterance means, and its slot values.

- Text is normalised: case-folded, punctuation dropped (apostrophes inside words kept), whitespace collapsed.
- An utterance equal to a sample utterance, or matching a sample utterance's template whose ``{slot}``
  parts resolve against their slot types, scores 1.0 (the first such intent in name order wins a tie).
- Otherwise each intent scores its best sample utterance's similarity to the text: rapidfuzz's
  ``token_set_ratio`` between the text and the utterance with its ``{slot}`` placeholders removed, / 100,
  times 0.9 (a guess is never as sure as a match), two decimals.
- The interpretations are ranked as RecognizeText returns them: the best first, at most 5 scored intents;
  FallbackIntent (no score) is first when the best score is under the locale's
  ``nluIntentConfidenceThreshold`` (default 0.40, CreateBotLocale's), else after the others.
- Slot values: see slot_resolution.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...core.lazy import LazyModule
from .slot_resolution import SlotType, builtin_type, custom_type

fuzz = LazyModule("rapidfuzz.fuzz")

DEFAULT_THRESHOLD = 0.40
MAX_SCORED = 5
GUESS = 0.9  # the most a similar, unmatched utterance can score
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_-]+)\}")
_PUNCTUATION = re.compile(r"[^\w\s'{}-]|(?<!\w)'|'(?!\w)")
# Built-in intents that come with no sample utterances of their own: phrases they answer (English).
BUILTIN_PHRASES = {
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it", "cancel that"),
    "AMAZON.HelpIntent": ("help", "help me", "can you help me"),
    "AMAZON.StopIntent": ("stop", "off", "shut up"),
    "AMAZON.RepeatIntent": ("repeat", "say that again", "repeat that"),
    "AMAZON.StartOverIntent": ("start over", "restart", "start again"),
    "AMAZON.PauseIntent": ("pause", "pause that"),
    "AMAZON.ResumeIntent": ("resume", "continue"),
}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split())


@dataclass(frozen=True)
class Interpretation:
    intent_name: str
    score: float | None  # None: FallbackIntent
    slots: dict[str, dict | None]


@dataclass(frozen=True)
class _Template:
    intent: str
    pattern: re.Pattern[str] | None  # None: no placeholders
    slot_names: tuple[str, ...]
    bare: str  # the normalised utterance without its placeholders, for similarity


class LocaleModel:
    def __init__(self, threshold: float, fallback: str | None, templates: list[_Template],
                 slot_types: dict[tuple[str, str], SlotType], slot_templates: dict[tuple[str, str], list[_Template]],
                 intent_slots: dict[str, list[str]]):
        self.threshold = threshold
        self.fallback = fallback
        self.templates = templates
        self.exact = {}
        for t in templates:
            if t.pattern is None:
                self.exact.setdefault(t.bare, t.intent)
        self.slot_types = slot_types  # (intent, slot) -> its type
        self.slot_templates = slot_templates  # (intent, slot) -> the slot's own elicitation utterances
        self.intent_slots = intent_slots

    @classmethod
    def from_documents(cls, locale: dict[str, Any], intents: list[dict[str, Any]], slots: list[dict[str, Any]],
                       slot_types: list[dict[str, Any]]) -> LocaleModel:
        custom = {t["slotTypeId"]: custom_type(t, {x["slotTypeId"]: x for x in slot_types}) for t in slot_types}
        names = {i["intentId"]: i["intentName"] for i in intents}
        types: dict[tuple[str, str], SlotType] = {}
        slot_templates: dict[tuple[str, str], list[_Template]] = {}
        intent_slots: dict[str, list[str]] = {i["intentName"]: [] for i in intents}
        for s in slots:
            intent = names.get(s.get("intentId"))
            if intent is None:
                continue
            type_id = s.get("slotTypeId") or ""
            slot_type = custom.get(type_id) or builtin_type(type_id)
            types[(intent, s["slotName"])] = slot_type.many() if (s.get("multipleValuesSetting") or {}).get(
                "allowMultipleValues") else slot_type
            intent_slots[intent].append(s["slotName"])
            utterances = ((s.get("valueElicitationSetting") or {}).get("sampleUtterances") or [])
            slot_templates[(intent, s["slotName"])] = [_template(intent, u["utterance"]) for u in utterances]
        templates = []
        fallback = None
        for i in sorted(intents, key=lambda i: i["intentName"]):
            parent = i.get("parentIntentSignature")
            if parent == "AMAZON.FallbackIntent":
                fallback = i["intentName"]
                continue
            utterances = [u["utterance"] for u in i.get("sampleUtterances") or []]
            utterances += BUILTIN_PHRASES.get(parent or "", ()) if not utterances else ()
            templates += [_template(i["intentName"], u) for u in utterances]
        threshold = locale.get("nluIntentConfidenceThreshold")
        return cls(DEFAULT_THRESHOLD if threshold is None else float(threshold), fallback, templates, types,
                   slot_templates, intent_slots)

    # -- intents ----------------------------------------------------------------------------------------

    def interpret(self, text: str, now: datetime) -> list[Interpretation]:
        said = normalise(text)
        scores: dict[str, tuple[float, dict[str, dict | None]]] = {}
        exact = self.exact.get(said)
        if exact is not None:
            scores[exact] = (1.0, {})
        for t in self.templates:
            if t.pattern is not None and t.intent not in scores:
                filled = self._fill(t, said, now)
                if filled is not None:
                    scores[t.intent] = (1.0, filled)
        if len(scores) < MAX_SCORED:
            for t in self.templates:
                if t.intent in scores and scores[t.intent][0] >= 1.0:
                    continue
                guess = round(fuzz.token_set_ratio(said, t.bare) / 100 * GUESS, 2) if t.bare else 0.0
                if guess > scores.get(t.intent, (-1.0, {}))[0]:
                    scores[t.intent] = (guess, {})
        ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])[:MAX_SCORED]
        found = [Interpretation(name, score, self._all_slots(name, slots)) for name, (score, slots) in ranked
                 if score > 0]
        if self.fallback is not None:
            fallback = Interpretation(self.fallback, None, {})
            if not found or found[0].score < self.threshold:
                found.insert(0, fallback)
            else:
                found.append(fallback)
        return found

    def _all_slots(self, intent: str, filled: dict[str, dict | None]) -> dict[str, dict | None]:
        return {s: filled.get(s) for s in self.intent_slots.get(intent, [])}

    def _fill(self, t: _Template, said: str, now: datetime) -> dict[str, dict | None] | None:
        m = t.pattern.fullmatch(said)
        if m is None:
            return None
        filled = {}
        for index, name in enumerate(t.slot_names):
            slot_type = self.slot_types.get((t.intent, name))
            value = slot_type.resolve(m.group(index + 1), now) if slot_type else None
            if value is None:
                return None
            filled[name] = value
        return filled

    # -- a slot's answer -----------------------------------------------------------------------------------

    def slot_value(self, intent: str, slot: str, text: str, now: datetime) -> dict | None:
        """The user's answer to an elicitation of ``slot``: its own templates, then the bare value."""
        slot_type = self.slot_types.get((intent, slot))
        if slot_type is None:
            return None
        said = normalise(text)
        for t in self.slot_templates.get((intent, slot), []):
            if t.pattern is not None and t.slot_names == (slot,):
                m = t.pattern.fullmatch(said)
                if m and (value := slot_type.resolve(m.group(1), now)) is not None:
                    return value
        return slot_type.resolve(said, now) or (slot_type.resolve(text.strip(), now) if text.strip() != said
                                                else None)


def _template(intent: str, utterance: str) -> _Template:
    text = normalise(utterance)
    names = tuple(_PLACEHOLDER.findall(utterance))  # from the utterance: normalise() case-folds them
    bare = " ".join(_PLACEHOLDER.sub(" ", text).split())
    if not names:
        return _Template(intent, None, (), text)
    parts = _PLACEHOLDER.split(text)
    regex = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
    regex = re.sub(r"(\\ )+", r"\\s+", regex)
    return _Template(intent, re.compile(regex), names, bare)
