"""Slot values: what a piece of an utterance resolves to, as the runtime's ``Slot`` shape
(``{"value": {"originalValue", "interpretedValue", "resolvedValues"}}``; ``shape: List`` with ``values`` for
a multi-valued slot).

Custom slot types (the developer guide's "Slot type values" and ``valueSelectionSetting``):
- a value or a synonym said (case-insensitive) resolves to its sample value: ``resolvedValues`` is that
  value, ``interpretedValue`` too;
- ``OriginalValue`` (expand values) also accepts a value not listed, interpreted as said;
  ``TopResolution`` (restrict) accepts listed values and synonyms only;
- a ``regexFilter`` (on AMAZON.AlphaNumeric) must match the whole value;
- a multi-valued slot takes values joined by ",", "and", "or".

Built-in slot types (built-in-slots.html) resolve as documented where cheap: AMAZON.Number (digits, or
number words in English through ``text2num``-free rules below: zero to ninety-nine, hundred, thousand),
AMAZON.Confirmation (Yes / No / Maybe / Don't know), AMAZON.AlphaNumeric (letters and digits),
AMAZON.EmailAddress, AMAZON.PhoneNumber (digits), AMAZON.Date (ISO dates, today, tomorrow, yesterday),
AMAZON.Time (``3 pm``, ``15:30``, noon, midnight); the others (AMAZON.City, AMAZON.FirstName,
AMAZON.FreeFormInput, ...) take the words as said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

_SPLIT = re.compile(r"\s*(?:,|\band\b|\bor\b)\s*")
_UNITS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
YES = {"yes", "yeah", "yep", "sure", "ok", "okay", "correct", "right", "yes please", "absolutely", "sí", "si", "oui",
       "sim", "ja"}
NO = {"no", "nope", "nah", "no thanks", "not really", "negative", "non", "não", "nao", "nein"}


def value(original: str, interpreted: str, resolved: list[str] | None = None) -> dict[str, Any]:
    return {"value": {"originalValue": original, "interpretedValue": interpreted,
                      "resolvedValues": resolved if resolved is not None else [interpreted]}}


@dataclass(frozen=True)
class SlotType:
    values: dict[str, str]  # a value or synonym, case-folded -> its sample value
    expand: bool = True  # OriginalValue: values not listed are accepted as said
    pattern: re.Pattern[str] | None = None
    builtin: str | None = None
    multiple: bool = False

    def many(self) -> SlotType:
        return replace(self, multiple=True)

    def resolve(self, text: str, now: datetime) -> dict[str, Any] | None:
        text = text.strip()
        if not text:
            return None
        if self.multiple:
            parts = [p for p in _SPLIT.split(text) if p]
            found = [self._one(p, now) for p in parts]
            if len(parts) > 1 and all(found):
                return {"shape": "List", "value": value(text, ", ".join(f["value"]["interpretedValue"] for f in found)
                                                        )["value"], "values": [{**f, "shape": "Scalar"} for f in found]}
        return self._one(text, now)

    def _one(self, text: str, now: datetime) -> dict[str, Any] | None:
        if self.builtin is not None:
            return _builtin(self.builtin, text, now)
        listed = self.values.get(text.casefold())
        if listed is not None:
            return value(text, listed, [listed])
        if self.pattern is not None:
            return value(text, text) if self.pattern.fullmatch(text) else None
        return value(text, text, []) if self.expand and self.values else None


def custom_type(doc: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> SlotType:
    values: dict[str, str] = {}
    for entry in doc.get("slotTypeValues") or []:
        sample = entry["sampleValue"]["value"]
        values.setdefault(sample.casefold(), sample)
        for synonym in entry.get("synonyms") or []:
            values.setdefault(synonym["value"].casefold(), sample)
    selection = doc.get("valueSelectionSetting") or {}
    regex = (selection.get("regexFilter") or {}).get("pattern")
    if regex:
        return SlotType(values, pattern=re.compile(regex))
    if not values and doc.get("parentSlotTypeSignature"):
        return builtin_type(doc["parentSlotTypeSignature"])
    return SlotType(values, expand=selection.get("resolutionStrategy", "OriginalValue") != "TopResolution")


def builtin_type(signature: str) -> SlotType:
    return SlotType({}, builtin=signature)


def confirmation(text: str) -> str | None:
    """AMAZON.Confirmation's value for ``text`` (Yes / No), None when it is neither."""
    said = " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())
    return "Yes" if said in YES else "No" if said in NO else None


def number(text: str) -> str | None:
    said = text.strip().casefold().replace(",", "")
    if re.fullmatch(r"-?\d+(\.\d+)?", said):
        return said
    total, current = 0, None
    for word in said.replace("-", " ").split():
        if word in _UNITS:
            current = (current or 0) + _UNITS[word]
        elif word in _TENS:
            current = (current or 0) + _TENS[word]
        elif word == "hundred" and current is not None:
            current *= 100
        elif word == "thousand" and current is not None:
            total, current = total + current * 1000, 0
        elif word != "and":
            return None
    return None if current is None else str(total + current)


def _date(text: str, now: datetime) -> str | None:
    said = text.casefold()
    offsets = {"today": 0, "tomorrow": 1, "yesterday": -1, "day after tomorrow": 2}
    if said in offsets:
        return (now + timedelta(days=offsets[said])).date().isoformat()
    try:
        return datetime.strptime(said, "%Y-%m-%d").date().isoformat()
    except ValueError:
        return None


def _time(text: str, now: datetime) -> str | None:
    said = text.casefold().replace(".", "")
    if said in ("noon", "midday"):
        return "12:00"
    if said == "midnight":
        return "00:00"
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", said)
    if not m or (m.group(2) is None and m.group(3) is None):
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour < 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


def _builtin(signature: str, text: str, now: datetime) -> dict[str, Any] | None:
    if signature == "AMAZON.Number":
        found = number(text)
    elif signature == "AMAZON.Confirmation":
        found = confirmation(text)
    elif signature == "AMAZON.Date":
        found = _date(text, now)
    elif signature == "AMAZON.Time":
        found = _time(text, now)
    elif signature == "AMAZON.AlphaNumeric":
        found = text.replace(" ", "").upper() if re.fullmatch(r"[A-Za-z0-9 ]+", text) else None
    elif signature == "AMAZON.EmailAddress":
        found = text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else None
    elif signature == "AMAZON.PhoneNumber":
        digits = re.sub(r"[\s().-]", "", text)
        found = digits if re.fullmatch(r"\+?\d{6,15}", digits) else None
    else:
        found = text
    return None if found is None else value(text, found)
