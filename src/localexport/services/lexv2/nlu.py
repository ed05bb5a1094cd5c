"""Intent recognition and slot filling for a built Lex V2 locale: pure, deterministic, no HTTP, no store.

``LocaleModel.from_documents`` takes the locale's documents in the shape of the lexv2-models Describe*
outputs (DescribeBotLocale, DescribeIntent, DescribeSlot, DescribeSlotType) and builds, once, the indexes that
``interpret`` (RecognizeText's ``interpretations``) and ``slot_value`` (the answer to a slot elicitation) use.
Slot values resolve as ``slot_values`` (custom types) and ``builtin_values`` (built-in types) describe.

How a text is interpreted
-------------------------

1. It is cut into tokens and folded (``builtin_values``: case, punctuation, spacing and, in Latin-alphabet
   locales, accents do not matter).
2. Exact match, score 1.0: the text is one of an intent's sample utterances, or fits a sample utterance with
   slots (``book a {RoomType} room in {Location}``): its words are the utterance's words, in order, and each
   ``{slot}`` takes one or more words that resolve against the slot's type. A template made only of slots
   (``{City}``) scores the lowest confidence of its values instead (1.0 for a listed value or a number, less
   for words a type merely accepts as said), so it does not match every text.
3. A template whose words fit but some of whose slot values do not resolve scores 0.9 - 0.1 x (the share of
   its slots left unresolved), i.e. 0.8 to 0.9: below an exact match; the slots that did resolve are filled.
4. Otherwise, similarity: for each sample utterance, the mean of a character-level likeness (the mean of
   rapidfuzz's ``token_sort_ratio`` and ``token_set_ratio``, which forgive typos and word order) and a
   word-level one (the Dice coefficient of the two texts' words, which keeps unrelated texts low); for a
   template, after aligning the text with it (``difflib``) and putting a placeholder in both where a slot
   value resolved (those slots are filled; done for the five best templates only). Capped at 0.95. An intent
   scores its best utterance. In a locale of more than 400 utterances, only some utterances are compared:
   those sharing with the text a word found in at most 300 utterances (a word the text misspells counting as
   the known words closest to it, rapidfuzz ``ratio`` >= 75), the 40 sharing most; and, when that finds
   fewer than 13, the 40 closest by rapidfuzz ``ratio`` of the sorted words. A 1,000-intent locale of 10,000
   utterances answers in under a millisecond.
5. Built-in intents have no sample utterances of their own (built-in-intents.html: "you can't add or remove
   sample utterances"); an intent whose ``parentIntentSignature`` is one of them is given the "Common
   utterances" of its page (built-in-intent-cancel.html, -help, -stop, -repeat, -start-over, -pause, -resume)
   in en, and the translated pages' phrases in es, fr, it, pt, de (English elsewhere), see
   ``BUILT_IN_PHRASES``.

The ranking, as RecognizeText's ``interpretations`` (using-intent-confidence-scores.html: "the most likely
intent and up to 4 alternative intents"; the model's Interpretations list holds at most 5): intents by
score (two decimals), ties by name. The locale's intent whose ``parentIntentSignature`` is
``AMAZON.FallbackIntent`` has no score; it comes first when the best score is below
``nluIntentConfidenceThreshold`` (API_BotLocaleImportSpecification: with a threshold of 0.80 and scores 0.70,
0.60, 0.50 the response is FallbackIntent, IntentA, IntentB, IntentC), and last otherwise. A locale without
a threshold takes 0.40 (``DEFAULT_THRESHOLD``): the API documents no default (CreateBotLocale requires the
member), and 0.40 is what all but one of the real exports seen carry (the other 0.50).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from .builtin_values import LOOKS_LIKE, Context, Resolution, Token, as_said, confirmation, is_latin, language, tokens
from .slot_values import SlotType

DEFAULT_THRESHOLD = 0.40
MAX_INTERPRETATIONS = 5
FALLBACK_SIGNATURE = "AMAZON.FallbackIntent"
PARTIAL_SCORE = 0.9  # a template whose words fit, with every slot value unresolved: 0.8; with none: 0.9
FUZZY_CAP = 0.95
SMALL_LOCALE = 400  # utterances up to which every utterance is compared with the text
CANDIDATES = 40  # utterances compared with the text in a larger locale
TYPO = 75  # rapidfuzz ratio from which an unknown word of the text is taken for a known word misspelt
ALIGNED = 5  # templates aligned with the text per interpretation
COMMON_WORD = 300  # a word in more utterances than this does not narrow anything
MAX_SPLITS = 64  # ways of cutting a text into a template's slot values tried
PLACEHOLDER = "{}"

BUILT_IN_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "AMAZON.CancelIntent": {
        "en": ("cancel", "never mind", "forget it"), "es": ("cancelar", "cancela", "olvídalo"),
        "fr": ("annuler", "annule", "laisse tomber"), "it": ("annulla", "annullare", "lascia perdere"),
        "pt": ("cancelar", "cancela", "esquece"), "de": ("abbrechen", "vergiss es")},
    "AMAZON.HelpIntent": {
        "en": ("help", "help me", "can you help me"), "es": ("ayuda", "ayúdame", "puedes ayudarme"),
        "fr": ("aide", "aide-moi", "peux-tu m'aider"), "it": ("aiuto", "aiutami", "puoi aiutarmi"),
        "pt": ("ajuda", "me ajuda", "você pode me ajudar"), "de": ("hilfe", "hilf mir", "kannst du mir helfen")},
    "AMAZON.StopIntent": {
        "en": ("stop", "off", "shut up"), "es": ("parar", "apagar", "calla"), "fr": ("stop", "off", "tais-toi"),
        "it": ("arresta", "off", "zitto"), "pt": ("parar", "desligar", "cale-se"),
        "de": ("stop", "aus", "halt die klappe")},
    "AMAZON.RepeatIntent": {
        "en": ("repeat", "say that again", "repeat that"), "es": ("repetir", "dilo otra vez", "repite"),
        "fr": ("répéter", "redis-le", "répète ça"), "it": ("ripetere", "ripetilo"),
        "pt": ("repetir", "dizer isso de novo", "repetir isso"),
        "de": ("wiederholen", "sag das nochmal", "wiederhole das")},
    "AMAZON.StartOverIntent": {
        "en": ("start over", "restart", "start again"), "es": ("empezar de nuevo", "reiniciar"),
        "fr": ("recommencer", "redémarrer"), "it": ("ricominciare", "riavviare"),
        "pt": ("começar de novo", "reiniciar", "começar novamente"),
        "de": ("fange von vorne an", "neustart", "wieder anfangen")},
    "AMAZON.PauseIntent": {
        "en": ("pause", "pause that"), "es": ("pausa", "pausar"), "fr": ("pause", "mettre en pause"),
        "it": ("pausa", "metti in pausa"), "pt": ("pausa", "pausar"), "de": ("pause", "pausieren")},
    "AMAZON.ResumeIntent": {
        "en": ("resume", "continue", "keep going"), "es": ("reanudar", "continuar", "seguir adelante"),
        "fr": ("reprendre", "continuer"), "it": ("riprendi", "continua", "vai avanti"),
        "pt": ("retomar", "continuar", "seguir em frente"), "de": ("fortsetzen", "weiter", "mach weiter")},
}


@dataclass(frozen=True)
class SlotSpec:
    """A slot of an intent, as dialog management needs it."""

    name: str
    slot_id: str
    slot_type_id: str | None
    required: bool
    multiple: bool = False
    priority: int | None = None
    elicitation_utterances: tuple[str, ...] = ()


@dataclass(frozen=True)
class Interpretation:
    intent_name: str
    score: float | None  # nluConfidence.score, two decimals; None for the fallback intent
    slots: dict[str, dict | None] = field(default_factory=dict)  # every slot of the intent: a wire Slot or None


class _Slot(NamedTuple):
    name: str  # the intent's slot name (as written in the utterance when the intent has no such slot)


class _Utterance(NamedTuple):
    intent: int
    parts: tuple[str | _Slot, ...]
    key: str  # the text form compared by similarity, slots as a placeholder
    literals: tuple[str, ...]
    is_template: bool
    words: frozenset[str]

    @classmethod
    def of(cls, intent: int, parts: tuple[str | _Slot, ...]) -> _Utterance:
        key = " ".join(PLACEHOLDER if isinstance(p, _Slot) else p for p in parts)
        literals = tuple(p for p in parts if isinstance(p, str))
        return cls(intent, parts, key, literals, len(literals) < len(parts), frozenset(key.split()))


@dataclass
class _Intent:
    name: str
    intent_id: str
    signature: str | None
    slots: list[SlotSpec]
    types: dict[str, SlotType]  # slot name -> its type
    elicitations: dict[str, list[tuple[str | _Slot, ...]]]  # slot name -> its own sample utterances, parsed
    spec: dict[str, SlotSpec] = field(init=False)

    def __post_init__(self) -> None:
        self.spec = {s.name: s for s in self.slots}


@dataclass
class _Hit:
    score: float
    slots: dict[str, Resolution]


def _similarity(a: str, b: str, words_a: frozenset[str], words_b: frozenset[str]) -> float:
    """Mean of a character-level and a word-level likeness of two folded texts (words space-separated)."""
    from rapidfuzz import fuzz

    characters = (fuzz.token_sort_ratio(a, b, processor=None) + fuzz.token_set_ratio(a, b, processor=None)) / 200
    words = 2 * len(words_a & words_b) / (len(words_a) + len(words_b)) if words_a and words_b else 0.0
    return (characters + words) / 2


_PLACEHOLDER_RE = re.compile(r"\{([^{}]+)\}")


class LocaleModel:
    """One built locale's intents, slots and slot types, ready to interpret texts."""

    def __init__(self, locale_id: str, threshold: float, intents: list[_Intent], fallback: int | None):
        self.locale_id = locale_id
        self.threshold = threshold
        self._latin = is_latin(locale_id)
        self._intents = intents
        self._by_name = {i.name: n for n, i in enumerate(intents)}
        self._fallback = fallback
        self._utterances: list[_Utterance] = []
        self._exact: dict[str, list[int]] = {}
        self._anchored: dict[str, list[int]] = {}
        self._unanchored: list[int] = []
        self._sorted: list[str] = []
        self._postings: dict[str, list[int]] = {}
        self._vocabulary: list[str] = []

    # -- building --------------------------------------------------------------------

    @classmethod
    def from_documents(cls, locale: dict, intents: list[dict], slots: list[dict],
                       slot_types: list[dict]) -> LocaleModel:
        locale_id = locale.get("localeId") or "en_US"
        threshold = locale.get("nluIntentConfidenceThreshold")
        types: dict[str, SlotType] = {}

        def lookup(type_id: str | None) -> SlotType:
            if type_id in types:
                return types[type_id]
            if type_id and type_id.startswith("AMAZON."):
                return types.setdefault(type_id, SlotType.builtin(type_id))
            return SlotType(type_id=type_id or "", name=type_id or "")  # unknown: takes words as said

        for doc in slot_types:
            slot_type = SlotType.from_document(doc, locale_id, lookup)
            for ref in (doc.get("slotTypeId"), doc.get("slotTypeName")):
                if ref:
                    types.setdefault(ref, slot_type)
        by_intent: dict[str, list[dict]] = {}
        for slot in slots:
            by_intent.setdefault(slot.get("intentId") or "", []).append(slot)
        built, fallback = [], None
        for doc in intents:
            intent_id = doc.get("intentId") or doc.get("intentName") or ""
            specs = _slot_specs(doc, by_intent.get(intent_id, []))
            intent = _Intent(name=doc.get("intentName") or intent_id, intent_id=intent_id,
                             signature=doc.get("parentIntentSignature"), slots=specs,
                             types={s.name: lookup(s.slot_type_id) for s in specs}, elicitations={})
            if intent.signature == FALLBACK_SIGNATURE and fallback is None:
                fallback = len(built)
            built.append(intent)
        model = cls(locale_id, DEFAULT_THRESHOLD if threshold is None else float(threshold), built, fallback)
        for n, (doc, intent) in enumerate(zip(intents, built, strict=True)):
            phrases = [u.get("utterance") or "" for u in doc.get("sampleUtterances") or []]
            defaults = BUILT_IN_PHRASES.get(intent.signature or "", {})
            phrases += defaults.get(language(locale_id), defaults.get("en", ()))
            for phrase in dict.fromkeys(phrases):
                parts = model._parse(phrase, intent)
                if parts:
                    model._add(_Utterance.of(n, parts))
            for spec in intent.slots:
                parsed = (model._parse(u, intent, only=spec.name) for u in spec.elicitation_utterances)
                intent.elicitations[spec.name] = [p for p in parsed if any(isinstance(x, _Slot) for x in p)]
        model._index()
        return model

    def _parse(self, utterance: str, intent: _Intent, only: str | None = None) -> tuple[str | _Slot, ...]:
        names = {s.name: s.name for s in intent.slots} | {s.name.casefold(): s.name for s in intent.slots}
        parts: list[str | _Slot] = []
        position = 0
        for m in _PLACEHOLDER_RE.finditer(utterance):
            parts += [t.key for t in tokens(utterance[position:m.start()], self._latin)]
            raw = m[1].strip()
            parts.append(_Slot(only or names.get(raw, names.get(raw.casefold(), raw))))
            position = m.end()
        parts += [t.key for t in tokens(utterance[position:], self._latin)]
        return tuple(parts)

    def _add(self, utterance: _Utterance) -> None:
        self._utterances.append(utterance)
        if not utterance.is_template:
            intents = self._exact.setdefault(utterance.key, [])
            if utterance.intent not in intents:
                intents.append(utterance.intent)

    def _index(self) -> None:
        templates = [n for n, u in enumerate(self._utterances) if u.is_template]
        frequency = Counter(k for n in templates for k in set(self._utterances[n].literals))
        for n in templates:
            literals = self._utterances[n].literals
            if literals:
                anchor = min(set(literals), key=lambda k: (frequency[k], k))
                self._anchored.setdefault(anchor, []).append(n)
            else:
                self._unanchored.append(n)
        if len(self._utterances) > SMALL_LOCALE:
            for n, u in enumerate(self._utterances):
                self._sorted.append(" ".join(sorted(u.literals)))
                for k in set(u.literals):
                    self._postings.setdefault(k, []).append(n)
            self._vocabulary = sorted(self._postings)

    # -- asking ----------------------------------------------------------------------

    @property
    def intent_names(self) -> list[str]:
        return [i.name for i in self._intents]

    @property
    def fallback_intent(self) -> str | None:
        return self._intents[self._fallback].name if self._fallback is not None else None

    def intent_slots(self, intent_name: str) -> list[SlotSpec]:
        """The intent's slots in ``slotPriorities`` order (then the others by name)."""
        return list(self._intents[self._by_name[intent_name]].slots)

    def interpret(self, text: str, now: datetime) -> list[Interpretation]:
        """RecognizeText's interpretations of ``text``, best first (see the module docstring)."""
        ctx = Context(self.locale_id, now)
        toks = tokens(text, self._latin)
        hits: dict[int, _Hit] = {}
        if toks:
            self._recognise(text, toks, ctx, hits)
        ranked = sorted(((round(h.score, 2), self._intents[n].name, n) for n, h in hits.items()
                         if n != self._fallback and round(h.score, 2) > 0), key=lambda r: (-r[0], r[1]))
        out = [Interpretation(name, score, self._wire(n, hits[n].slots)) for score, name, n in ranked]
        if self._fallback is None:
            return out[:MAX_INTERPRETATIONS]
        fallback = Interpretation(self._intents[self._fallback].name, None, self._wire(self._fallback, {}))
        if not out or out[0].score < self.threshold:
            return [fallback, *out[:MAX_INTERPRETATIONS - 1]]
        return [*out[:MAX_INTERPRETATIONS - 1], fallback]

    def slot_value(self, intent_name: str, slot_name: str, text: str, now: datetime) -> dict | None:
        """The wire ``Slot`` the answer ``text`` gives the slot being elicited, or None if it gives none.

        Tried in turn: the slot's own sample utterances (``valueElicitationSetting.sampleUtterances``, such as
        ``I want {Location}``); the whole answer, when it is strictly a value of the type (a listed value, a
        number...); a strict value inside the answer (the longest, leftmost); the whole answer as said, for
        types that take words as said; a value at the end of the answer (``to New York``)."""
        n = self._by_name.get(intent_name)
        if n is None:
            return None
        intent = self._intents[n]
        spec = intent.spec.get(slot_name)
        if spec is None:
            return None
        ctx = Context(self.locale_id, now, eliciting=True)
        toks = tokens(text, self._latin)
        if not toks:
            return None
        for parts in intent.elicitations.get(slot_name, []):
            matched = self._fit(parts, text, toks, lambda _name, span: self._value(intent, slot_name, span, ctx))
            if matched is not None and matched[1] == matched[2]:
                return matched[0][slot_name].slot()
        whole = self._value(intent, slot_name, text, ctx)
        if whole is not None and whole.confidence >= 1.0:
            return whole.slot()
        found = intent.types[slot_name].find(text, ctx)
        if found is not None and spec.multiple:
            found = intent.types[slot_name].resolve_values(found.original, ctx)
        for candidate in (found if found is not None and found.confidence >= 1.0 else None, whole, found):
            if candidate is not None:
                return candidate.slot()
        return None

    def confirmation(self, text: str, now: datetime) -> str | None:
        """AMAZON.Confirmation's value for an answer to a confirmation prompt (Yes, No, Maybe, Don't know)."""
        found = confirmation(text, Context(self.locale_id, now))
        return found.interpreted if found else None

    # -- matching --------------------------------------------------------------------

    def _value(self, intent: _Intent, slot_name: str, span: str, ctx: Context) -> Resolution | None:
        spec = intent.spec.get(slot_name)
        if spec is None:  # a placeholder naming no slot of the intent: any words, never reported
            return as_said(span, LOOKS_LIKE)
        slot_type = intent.types[slot_name]
        return slot_type.resolve_values(span, ctx) if spec.multiple else slot_type.resolve(span, ctx)

    def _recognise(self, text: str, toks: list[Token], ctx: Context, hits: dict[int, _Hit]) -> None:
        keys = [t.key for t in toks]
        joined = " ".join(keys)
        for n in self._exact.get(joined, ()):
            _offer(hits, n, 1.0, {})
        keyset = set(keys)
        candidates = set(self._unanchored)
        for k in keyset:
            candidates.update(self._anchored.get(k, ()))
        for u in sorted(candidates):
            utterance = self._utterances[u]
            if not keyset.issuperset(utterance.literals):
                continue
            intent = self._intents[utterance.intent]
            fitted = self._fit(utterance.parts, text, toks,
                               lambda name, span, i=intent: self._value(i, name, span, ctx))
            if fitted is None:
                continue
            values, resolved, total = fitted
            filled = {k: v for k, v in values.items() if v is not None}
            if resolved == total:
                if utterance.literals:
                    score = 1.0
                else:
                    score = min(v.confidence for v in filled.values())
                    score = 1.0 if score >= 1.0 else min(score, FUZZY_CAP)
            elif utterance.literals:
                score = PARTIAL_SCORE - 0.1 * (total - resolved) / total
            else:
                continue
            _offer(hits, utterance.intent, score, filled)
        self._fuzzy(text, toks, joined, ctx, hits)

    def _fit(self, parts: tuple[str | _Slot, ...], text: str, toks: list[Token], resolve):
        """The best way the text fits a template's words: (values by slot, resolved count, slot count)."""
        keys = [t.key for t in toks]
        n = len(keys)
        if len(parts) > n:
            return None
        slots = [p for p in parts if isinstance(p, _Slot)]
        cache: dict[tuple[str, int, int], Resolution | None] = {}
        best: list = []
        tries = [0]

        def value(name: str, i: int, j: int) -> Resolution | None:
            if (name, i, j) not in cache:
                cache[(name, i, j)] = resolve(name, text[toks[i].start:toks[j - 1].end])
            return cache[(name, i, j)]

        def walk(k: int, i: int, chosen: list) -> bool:
            if k == len(parts):
                if i != n:
                    return False
                tries[0] += 1
                values = {name: value(name, a, b) for name, a, b in chosen}
                resolved = sum(v is not None for v in values.values())
                if not best or resolved > best[1]:
                    best[:] = [values, resolved]
                return resolved == len(values) or tries[0] >= MAX_SPLITS
            part = parts[k]
            if isinstance(part, str):
                return i < n and keys[i] == part and walk(k + 1, i + 1, chosen)
            following = parts[k + 1] if k + 1 < len(parts) else None
            for j in range(i + 1, n - (len(parts) - k - 1) + 1):
                if following is None and j != n:
                    continue
                if isinstance(following, str) and keys[j] != following:
                    continue
                chosen.append((part.name, i, j))
                if walk(k + 1, j, chosen):
                    return True
                chosen.pop()
            return False

        walk(0, 0, [])
        if not best:
            return None
        return best[0], best[1], len({s.name for s in slots})

    def _fuzzy(self, text: str, toks: list[Token], joined: str, ctx: Context, hits: dict[int, _Hit]) -> None:
        words = frozenset(joined.split())
        rough: list[tuple[float, int]] = []
        for u in self._candidates([t.key for t in toks]):
            utterance = self._utterances[u]
            current = hits.get(utterance.intent)
            if current is not None and current.score >= FUZZY_CAP:
                continue
            score = min(_similarity(joined, utterance.key, words, utterance.words), FUZZY_CAP)
            _offer(hits, utterance.intent, score, {})
            if utterance.is_template:
                rough.append((score, u))
        # Templates are aligned with the text (slot values found, then compared as placeholders) only where that
        # could change the ranking: the best few.
        rough.sort(key=lambda r: (-r[0], r[1]))
        for score, u in rough[:ALIGNED]:
            utterance = self._utterances[u]
            if score + 0.3 < hits[utterance.intent].score:
                continue
            aligned, filled = self._align(utterance, text, toks, ctx)
            better = _similarity(aligned, utterance.key, frozenset(aligned.split()), utterance.words)
            _offer(hits, utterance.intent, min(max(score, better), FUZZY_CAP), filled)

    def _align(self, utterance: _Utterance, text: str, toks: list[Token], ctx: Context) -> tuple[str, dict]:
        from difflib import SequenceMatcher

        keys = [t.key for t in toks]
        intent = self._intents[utterance.intent]
        marks = [p if isinstance(p, str) else f"\x00{p.name}" for p in utterance.parts]
        replaced = list(keys)
        filled: dict[str, Resolution] = {}
        for tag, a0, a1, b0, b1 in SequenceMatcher(None, marks, keys, autojunk=False).get_opcodes():
            if tag != "replace" or a1 - a0 != 1 or not isinstance(utterance.parts[a0], _Slot):
                continue
            name = utterance.parts[a0].name
            found = self._value(intent, name, text[toks[b0].start:toks[b1 - 1].end], ctx)
            if found is not None and name not in filled:
                filled[name] = found
                if found.confidence >= 1.0 or utterance.literals:  # words taken as said match only beside words
                    replaced[b0:b1] = [PLACEHOLDER] + [""] * (b1 - b0 - 1)
        return " ".join(k for k in replaced if k), filled

    def _candidates(self, keys: list[str]) -> list[int]:
        """The utterances worth comparing with the text: all of them in a small locale; else those sharing an
        uncommon word with it (a word it misspells counting as the known words closest to it), and, when
        that finds few, the closest by rapidfuzz ``ratio`` over the sorted words of every utterance."""
        if not self._sorted:
            return list(range(len(self._utterances)))
        from rapidfuzz import fuzz, process

        shared: Counter = Counter()
        for k in set(keys):
            spellings = [k] if k in self._postings else \
                [w for w, _, _ in process.extract(k, self._vocabulary, scorer=fuzz.ratio, processor=None, limit=2,
                                                  score_cutoff=TYPO)]
            for word in spellings:
                postings = self._postings[word]
                if len(postings) <= COMMON_WORD:
                    shared.update(postings)
        chosen = {n for n, _ in shared.most_common(CANDIDATES)}
        if len(chosen) < CANDIDATES // 3:
            chosen.update(n for _, _, n in process.extract(" ".join(sorted(keys)), self._sorted, scorer=fuzz.ratio,
                                                           processor=None, limit=CANDIDATES))
        return sorted(chosen)

    def _wire(self, n: int, values: dict[str, Resolution]) -> dict[str, dict | None]:
        return {s.name: (values[s.name].slot() if s.name in values else None) for s in self._intents[n].slots}


def _offer(hits: dict[int, _Hit], intent: int, score: float, slots: dict[str, Resolution]) -> None:
    current = hits.get(intent)
    if current is None or score > current.score or (score == current.score and len(slots) > len(current.slots)):
        hits[intent] = _Hit(score, slots)


def _slot_specs(intent: dict, slots: list[dict]) -> list[SlotSpec]:
    priorities = {p.get("slotId"): p.get("priority") for p in intent.get("slotPriorities") or []}
    specs = []
    for slot in slots:
        elicitation = slot.get("valueElicitationSetting") or {}
        specs.append(SlotSpec(
            name=slot.get("slotName") or slot.get("slotId") or "",
            slot_id=slot.get("slotId") or slot.get("slotName") or "",
            slot_type_id=slot.get("slotTypeId"),
            required=elicitation.get("slotConstraint") == "Required",
            multiple=bool((slot.get("multipleValuesSetting") or {}).get("allowMultipleValues")),
            priority=priorities.get(slot.get("slotId")),
            elicitation_utterances=tuple(u.get("utterance") or "" for u in elicitation.get("sampleUtterances") or []),
        ))
    return sorted(specs, key=lambda s: (s.priority is None, s.priority or 0, s.name))
