"""Resolving a piece of text against a slot type (a DescribeSlotType document, or a built-in's signature).

Custom slot types follow the Amazon Lex V2 Developer Guide, "Custom slot type" (custom-slot-types.html), and
the API reference of ``SlotValueSelectionSetting`` (API_SlotValueSelectionSetting.html):

- Values and synonyms are compared by their folded key (``builtin_values.fold``: case, accents, punctuation
  and spacing do not matter), so ``"King!"`` is the value ``king``.
- ``TopResolution`` ("Restrict to slot values" in the console): "the model will resolve a slot value entered
  by the user to an existing slot value only if it is the same as that slot value or it is a synonym"; the
  ``interpretedValue`` is "the first value in the resolution list", i.e. the sample value (a synonym
  ``large`` of ``king`` gives ``king``); no resolution, no value ("If there is no resolution list, null is
  returned").
- ``OriginalValue``, the default ("Expand values"): "Returns the value entered by the user, if the user value
  is similar to the slot value": ``interpretedValue`` is the text as said, ``resolvedValues`` the sample
  values it is the same as or similar to (a synonym's sample value first; similar = rapidfuzz ``ratio`` of
  at least 80, at most five values, "The list contains up to five values"). A value matching no listed one
  is still accepted as said, with a confidence equal to its best similarity, so that a template made only of
  such a slot does not match every text.
- ``Concatenation`` is not described by the guide: a single value resolves as with ``OriginalValue``; the
  values of a multi-valued slot are joined by spaces into the list's ``interpretedValue``.
- A regular-expression slot type (``parentSlotTypeSignature`` ``AMAZON.AlphaNumeric`` with
  ``regexFilter.pattern``, built-in-slot-alphanumeric.html) accepts a value the whole of which the pattern
  matches, at most 30 characters: the text as said, else upper-cased (spoken and typed letters alike), else
  without its spaces (spelled ``a b c``).
- Multiple values (``multipleValuesSetting.allowMultipleValues``, multi-valued-slots.html): "Amazon Lex V2
  recognizes multiple values separated by spaces, commas (,), and the conjunction 'and'" (and the locale's
  own: y, e, et, und...); words with no separator between them are split into the longest listed values.
  The slot has shape ``List``: ``value`` the whole text (with ``OriginalValue``; ``TopResolution`` joins the
  sample values with ", "), ``values`` each value as a ``Scalar`` slot, as the page's example shows.
- A composite slot type (``compositeSlotTypeSetting``): each sub-slot's value is searched for in the text
  (shape ``Composite``, ``subSlots``); a sub-slot not found is left out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from .builtin_values import (
    LEAD_INS,
    LOOKS_LIKE,
    Context,
    Resolution,
    as_said,
    is_latin,
    key,
    resolve_builtin,
    tokens,
)

SIMILAR = 80  # rapidfuzz ratio from which an expanded value lists a sample value as a resolution
MAX_RESOLVED = 5  # "The list contains up to five values"
REGEX_MAX_LENGTH = 30  # "The maximum length of a string stored in an AMAZON.AlphaNumeric slot type that uses a regex"
STRATEGY_ALIASES = {"ORIGINAL_VALUE": "OriginalValue", "TOP_RESOLUTION": "TopResolution",
                    "CONCATENATION": "Concatenation"}

CONJUNCTIONS = {"en": ("and", "&"), "es": ("y", "e"), "fr": ("et",), "it": ("e", "ed"), "pt": ("e",),
                "de": ("und",), "nl": ("en",), "da": ("og",), "sv": ("och",), "no": ("og",), "fi": ("ja",),
                "pl": ("i",), "ca": ("i",)}
MAX_SEARCH_WORDS = 6  # the longest sub-span tried when searching a longer text for a value


@dataclass(frozen=True)
class SlotType:
    """A slot type as the NLU uses it. Build with ``from_document`` or ``builtin``."""

    type_id: str
    name: str
    signature: str | None = None  # a built-in's signature (AMAZON.Number...)
    values: tuple[tuple[str, str], ...] = ()  # (folded key of a value or synonym, its sample value)
    strategy: str = "OriginalValue"
    pattern: str | None = None
    sub_slots: tuple[tuple[str, str], ...] = ()  # composite: (sub-slot name, slot type id)
    lookup: Callable[[str], SlotType] | None = None  # composite: the locale's types by id

    # -- building ------------------------------------------------------------------

    @classmethod
    def builtin(cls, signature: str) -> SlotType:
        return cls(type_id=signature, name=signature, signature=signature)

    @classmethod
    def from_document(cls, doc: dict, locale_id: str = "en_US",
                      lookup: Callable[[str], SlotType] | None = None) -> SlotType:
        latin = is_latin(locale_id)
        index: dict[str, str] = {}
        for item in doc.get("slotTypeValues") or []:
            sample = ((item.get("sampleValue") or {}).get("value") or "").strip()
            if not sample:
                continue
            for raw in [sample, *[(s or {}).get("value") or "" for s in item.get("synonyms") or []]]:
                k = key(raw, latin)
                if k and k not in index:
                    index[k] = sample
        selection = doc.get("valueSelectionSetting") or {}
        strategy = selection.get("resolutionStrategy") or "OriginalValue"
        pattern = (selection.get("regexFilter") or {}).get("pattern")
        composite = (doc.get("compositeSlotTypeSetting") or {}).get("subSlots") or []
        return cls(type_id=doc.get("slotTypeId") or doc.get("slotTypeName") or "",
                   name=doc.get("slotTypeName") or doc.get("slotTypeId") or "",
                   values=tuple(index.items()), strategy=STRATEGY_ALIASES.get(strategy, strategy),
                   pattern=pattern or None,
                   sub_slots=tuple((s["name"], s["slotTypeId"]) for s in composite if s.get("name")),
                   lookup=lookup)

    @functools.cached_property
    def _index(self) -> dict[str, str]:
        return dict(self.values)

    @functools.cached_property
    def _regex(self) -> re.Pattern | None:
        if not self.pattern:
            return None
        try:
            return re.compile(self.pattern)
        except re.error:
            return re.compile(r"(?!)")  # a pattern Lex would refuse at build: matches nothing

    # -- resolving -----------------------------------------------------------------

    def resolve(self, text: str, ctx: Context) -> Resolution | None:
        """``text`` (the whole of it) as one value of this type, or None."""
        text = text.strip()
        if not text:
            return None
        if self.signature is not None:
            return resolve_builtin(self.signature, text, ctx)
        if self.sub_slots:
            return self._composite(text, ctx)
        if self.pattern:
            return self._pattern_value(text)
        if not self.values:
            return as_said(text, LOOKS_LIKE)  # no values to compare with (an external grammar...)
        k = key(text, ctx.latin)
        sample = self._index.get(k)
        if self.strategy == "TopResolution":
            return Resolution(text, sample, (sample,)) if sample is not None else None
        if sample is not None:
            return Resolution(text, text, (sample,))
        confidence, close = self._similar(k)
        return Resolution(text, text, close, confidence)

    def resolve_values(self, text: str, ctx: Context) -> Resolution | None:
        """``text`` as the values of a multi-valued slot (shape List), or None."""
        items: list[Resolution] = []
        for piece in _pieces(text, ctx.lang):
            whole = self.resolve(piece, ctx)
            if whole is not None and whole.confidence >= 1.0:
                items.append(whole)
                continue
            parts = self._segment(piece, ctx)
            if parts:
                items.extend(parts)
            elif whole is not None:
                items.append(whole)
        if not items:
            return None
        original = text.strip()
        if self.strategy == "TopResolution":
            interpreted = ", ".join(i.interpreted or i.original for i in items)
        elif self.strategy == "Concatenation":
            interpreted = " ".join(i.interpreted or i.original for i in items)
        else:
            interpreted = original
        return Resolution(original, interpreted, (interpreted,), min(i.confidence for i in items), tuple(items))

    def find(self, text: str, ctx: Context) -> Resolution | None:
        """A value of this type inside a longer answer: the longest, leftmost sub-span that resolves strictly,
        else (for types that take words as said) a trailing run of up to three words not starting with a
        lead-in word ("to", "my name is"...)."""
        toks = tokens(text, ctx.latin)
        for n in range(min(len(toks), MAX_SEARCH_WORDS), 0, -1):
            for i in range(len(toks) - n + 1):
                found = self.resolve(text[toks[i].start:toks[i + n - 1].end], ctx)
                if found is not None and found.confidence >= 1.0:
                    return found
        lead_ins = LEAD_INS.get(ctx.lang, frozenset())
        for n in range(min(len(toks), 3), 0, -1):
            first = toks[len(toks) - n]
            if first.key in lead_ins:
                continue
            found = self.resolve(text[first.start:toks[-1].end], ctx)
            if found is not None:
                return found
        return None

    # -- details -------------------------------------------------------------------

    def _similar(self, k: str) -> tuple[float, tuple[str, ...]]:
        from rapidfuzz import fuzz, process

        matches = process.extract(k, list(self._index), scorer=fuzz.ratio, processor=None, limit=25)
        best = matches[0][1] / 100 if matches else 0.0
        close: list[str] = []
        for choice, score, _ in matches:
            sample = self._index[choice]
            if score >= SIMILAR and sample not in close:
                close.append(sample)
        return min(best, 0.99), tuple(close[:MAX_RESOLVED])

    def _pattern_value(self, text: str) -> Resolution | None:
        regex = self._regex
        for candidate in dict.fromkeys([text, text.upper(), text.replace(" ", ""), text.replace(" ", "").upper()]):
            if len(candidate) <= REGEX_MAX_LENGTH and regex.fullmatch(candidate):
                return Resolution(text, candidate, (candidate,))
        return None

    def _segment(self, piece: str, ctx: Context) -> list[Resolution]:
        """``piece`` split at spaces into listed values, longest first; [] unless every word is covered."""
        if not self.values or self.signature is not None:
            return []
        toks = tokens(piece, ctx.latin)
        out, i = [], 0
        while i < len(toks):
            for j in range(len(toks), i, -1):
                if j - i == len(toks):
                    continue  # the whole piece was tried already
                found = self.resolve(piece[toks[i].start:toks[j - 1].end], ctx)
                if found is not None and found.confidence >= 1.0:
                    out.append(found)
                    i = j
                    break
            else:
                return []
        return out if len(out) > 1 else []

    def _composite(self, text: str, ctx: Context) -> Resolution | None:
        found = []
        for name, type_id in self.sub_slots:
            sub_type = self.lookup(type_id) if self.lookup else SlotType.builtin(type_id)
            value = sub_type.find(text, ctx)
            if value is not None:
                found.append((name, value))
        return Resolution(text, None, (), 1.0, sub=tuple(found)) if found else None


def _pieces(text: str, lang: str) -> list[str]:
    words = CONJUNCTIONS.get(lang, ()) + (("and",) if lang != "en" else ())
    alternatives = "|".join(re.escape(w) for w in words)
    parts = re.split(rf"\s*[,;]\s*|\s+(?:{alternatives})\s+", text.strip(), flags=re.IGNORECASE)
    return [p.strip() for p in parts if p and p.strip()]

