"""Built-in slot types: what each recognises in a piece of text, and what it resolves it to.

Also the primitives every resolver shares: how text is cut into tokens and folded for comparison
(``tokens``, ``fold``), the result of a resolution (``Resolution``) and the context it happens in
(``Context``). Pure and deterministic: no store, no clock but the ``now`` given, no network.

Text folding (the comparison key of a token): Unicode NFKC, case-folded, ``’`` read as ``'`` and
apostrophes dropped (``don't`` = ``dont``); in locales written in the Latin alphabet the accents are also
dropped (``café`` = ``cafe``, ``mañana`` = ``manana``), since typed text often omits them; in the others
(ja, zh, yue, ko, hi, ar) marks are kept, as they are part of the letters. A token is a run of letters and
digits, joined by ``' . @ + : / -`` inside it (``jane.doe@example.com``, ``3:30``, ``2020-11-25`` are one
token each); every other character separates tokens; Chinese and Japanese characters are a token each.

The built-ins, as the Amazon Lex V2 Developer Guide describes them (built-in-slots.html and the
built-in-slot-*.html pages; what the pages leave open is said at each resolver):

- ``AMAZON.Number`` (built-in-slot-number.html): digits (``50``, ``-15``, ``232.998``) and number words
  (``one hundred twenty three point four five`` -> ``123.45``, ``minus fifteen`` -> ``-15``, ``point forty
  two`` -> ``0.42``); words through the ``text2num`` library in en, fr, es, pt, de, nl, da, it; digits only
  elsewhere.
- ``AMAZON.Date`` (built-in-slot-date.html): ISO-8601 ``YYYY-MM-DD``. A specific day (``today``, ``now``,
  ``tomorrow``, ``friday``, ``december fifth``) is the next such day on or after ``now``. A week: ``next
  week`` is the last day (Sunday) of the *current* week, as the page says and exemplifies (2020-11-25 ->
  2020-11-29); ``this week`` / ``last week`` the Monday of that week. A month without a day: a future one
  (``next month``, ``december`` in November) its last day, the current or a past one its first day. A year:
  ``next year`` the 31 December of the next year, ``this year`` / ``last year`` the 1 January. Week, month
  and year phrases are read here in en, es, fr, it, pt, de; everything else through the ``dateparser``
  library, in the locale's language, relative to ``now``'s wall-clock time, day-first outside the US.
- ``AMAZON.Time`` (built-in-slot-time.html): ``HH:MM``; an ambiguous time (``10 o'clock``, ``10:30``) has no
  interpretedValue and both readings as resolvedValues (``10:00``, ``22:00``); ``noon`` ``12:00``,
  ``midnight`` ``00:00``; the ranges ``morning`` ``MO``, ``afternoon`` ``AF``, ``evening`` ``EV``, ``night``
  ``NI``. English words here; other languages' forms (``15h30``, ``15 Uhr``) by pattern and ``dateparser``.
- ``AMAZON.Confirmation`` (built-in-slot-confirmation.html): ``Yes``, ``No``, ``Maybe``, ``Don't know``,
  from the page's example phrases and their like; en, es, fr, it, pt, de.
- ``AMAZON.EmailAddress`` (built-in-slot-email.html): ``username@domain``, the user name with ``_ - . +``;
  spoken ``at`` / ``dot`` read as ``@`` / ``.``.
- ``AMAZON.PhoneNumber``: 7 to 15 digits, separators dropped, a leading ``+`` kept; digit words read.
- ``AMAZON.UKPostalCode`` (built-in-slot-uk-postal-code.html): the six formats of the page, any case, space
  optional; resolved upper case with the space before the last three characters.
- ``AMAZON.AlphaNumeric`` (built-in-slot-alphanumeric.html): letters and digits (``APQ123``); spelled
  characters (``a p q 1 2 3``) joined.
- ``AMAZON.FreeFormInput`` (built-in-slot-free-form.html): the entire input, and only when the slot is
  elicited (it cannot appear in intent sample utterances).
- ``AMAZON.FirstName`` / ``AMAZON.LastName`` (built-in-slot-first-name.html): "the value sent by the user":
  one to three name-looking words (not starting with a lead-in such as "to", "my", "is"), as said.
  ``AMAZON.City``, ``AMAZON.Country``, ``AMAZON.State``: one to four such words, ``AMAZON.StreetName`` up to
  six with digits, as said (no gazetteer is shipped: such values have ``confidence`` ``LOOKS_LIKE``).
- ``AMAZON.Percentage`` (``50 percent`` -> ``50%``), ``AMAZON.Duration`` (``five minutes`` -> ``PT5M``).
- Any other signature (``AMAZON.Currency``...): the text as said, as an open value.

A value that a type recognises strictly (a number, a date, a listed value...) has ``confidence`` 1.0; one a
type only accepts as said (a name-looking word for ``AMAZON.City``) has less, which the intent matcher uses
to tell a real match from a template that would match anything.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

# -- text primitives -------------------------------------------------------------

NON_LATIN_LANGUAGES = frozenset({"ja", "zh", "yue", "ko", "hi", "ar"})
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+(?:['’.@+:/\-_][^\W_]+)*")


class Token(NamedTuple):
    key: str  # folded, for comparison
    start: int  # span in the original text
    end: int


def language(locale_id: str) -> str:
    return (locale_id or "en_US").split("_")[0].lower()


def is_latin(locale_id: str) -> bool:
    return language(locale_id) not in NON_LATIN_LANGUAGES


def fold(text: str, latin: bool = True) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("'", "")
    if latin:
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = unicodedata.normalize("NFC", text)
    return text


def tokens(text: str, latin: bool = True) -> list[Token]:
    text = unicodedata.normalize("NFC", text)
    out = []
    for m in _TOKEN.finditer(text):
        key = fold(m.group(), latin)
        if key:
            out.append(Token(key, m.start(), m.end()))
    return out


def key(text: str, latin: bool = True) -> str:
    """The comparison key of a whole text: its folded tokens joined by single spaces."""
    return " ".join(t.key for t in tokens(text, latin))


# -- results -----------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    locale_id: str
    now: datetime
    eliciting: bool = False  # the text answers an elicitation of the slot (vs. being part of an utterance)

    @property
    def lang(self) -> str:
        return language(self.locale_id)

    @property
    def latin(self) -> bool:
        return is_latin(self.locale_id)


@dataclass(frozen=True)
class Resolution:
    """A slot value: the wire ``Value`` (original, interpreted, resolved) and how sure the type is."""

    original: str
    interpreted: str | None
    resolved: tuple[str, ...] = ()
    confidence: float = 1.0  # 1.0: a listed value or a strict built-in form; less: accepted as said
    items: tuple[Resolution, ...] = ()  # a multi-valued slot's values (shape List)
    sub: tuple[tuple[str, Resolution], ...] = field(default=())  # a composite slot's sub-slots

    def value(self) -> dict:
        out: dict = {"originalValue": self.original}
        if self.interpreted is not None:  # None for an ambiguous AMAZON.Time, as built-in-slot-time.html shows
            out["interpretedValue"] = self.interpreted
        out["resolvedValues"] = list(self.resolved)
        return out

    def slot(self) -> dict:
        """The lexv2-runtime ``Slot`` structure."""
        if self.sub:
            return {"shape": "Composite", "subSlots": {name: r.slot() for name, r in self.sub}}
        if self.items:
            return {"shape": "List", "value": self.value(),
                    "values": [{"shape": "Scalar", "value": item.value()} for item in self.items]}
        return {"value": self.value()}


def strict(original: str, interpreted: str | None, resolved: tuple[str, ...] | None = None) -> Resolution:
    return Resolution(original, interpreted, resolved if resolved is not None else (interpreted,) if interpreted else ())


def as_said(original: str, confidence: float) -> Resolution:
    value = original.strip()
    return Resolution(value, value, (value,), confidence)


# Confidence of a value a built-in accepts only because it looks like one (a name-like word for a city):
# under the default threshold, so that a template made of such a slot alone does not outrank FallbackIntent.
LOOKS_LIKE = 0.35


# Words that start an answer rather than a value ("to Paris", "my name is Ann"): a name-like value does not
# start with one.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEAD_INS = {
    "en": _words("to in at from is am are my name its im the a an for of on it i me call called please "
                    "going go fly flying want would like city live lives"),
    "es": _words("a en de el la es mi me llamo soy desde para ir voy quiero"),
    "fr": _words("a en de le la est mon je suis appelle mappelle pour depuis aller vais veux"),
    "it": _words("a in di da il la e mio mi chiamo sono per andare vado voglio"),
    "pt": _words("a em de o do da e meu me chamo sou para ir vou quero"),
    "de": _words("nach in von aus ist mein ich heisse bin der die das zu will mochte"),
}

# -- numbers -----------------------------------------------------------------------

_T2N_LANGUAGES = frozenset({"en", "fr", "es", "pt", "de", "nl", "da", "it"})
_MINUS = {"minus", "negative", "moins", "menos", "meno", "min"}
_POINT = {"point", "dot", "virgule", "coma", "punto", "virgula", "ponto", "virgola", "komma", "punkt"}
_DIGITS = re.compile(r"[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _text2num(words: str, lang: str) -> int | None:
    if lang not in _T2N_LANGUAGES or not words:
        return None
    from text_to_num import text2num  # lazily: only when a number is spelled out

    try:
        return int(text2num(words, lang))
    except (ValueError, IndexError, KeyError, AssertionError):
        return None


def _digits_number(text: str, lang: str) -> str | None:
    s = text.replace(" ", "")
    if _THOUSANDS.fullmatch(s) and lang == "en":
        s = s.replace(",", "")
    if not _DIGITS.fullmatch(s):
        return None
    s = s.replace(",", ".").lstrip("+")
    if s.startswith((".", "-.")):
        s = s.replace(".", "0.", 1)
    return s


def parse_number(text: str, lang: str) -> str | None:
    """``text`` as a number in digits (``"123.45"``), or None."""
    direct = _digits_number(text.strip(), lang)
    if direct is not None:
        return direct
    words = [w for w in re.split(r"[\s\-]+", text.casefold().strip()) if w]
    if not words:
        return None
    sign = ""
    if words[0] in _MINUS:
        sign, words = "-", words[1:]
    if not words:
        return None
    if len(words) == 1 and (inner := _digits_number(words[0], lang)) is not None:
        return sign + inner.lstrip("-") if sign else inner
    points = [i for i, w in enumerate(words) if fold(w) in _POINT]
    if len(points) > 1:
        return None
    if points:
        i = points[0]
        whole = _text2num(" ".join(words[:i]), lang) if i else 0
        fraction = _fraction(words[i + 1:], lang)
        if whole is None or fraction is None:
            return None
        return f"{sign}{whole}.{fraction}"
    value = _text2num(" ".join(words), lang)
    if value is None and lang in _T2N_LANGUAGES and words[0] in ("a", "an") and len(words) > 1:
        value = _text2num(" ".join(["one", *words[1:]]), lang) if lang == "en" else None
    return None if value is None else f"{sign}{value}"


def _fraction(words: list[str], lang: str) -> str | None:
    if not words:
        return None
    if all(w.isdigit() for w in words):
        return "".join(words)
    singles = [_text2num(w, lang) if not w.isdigit() else int(w) for w in words]
    if all(s is not None and 0 <= s <= 9 for s in singles) and len(words) > 1:
        return "".join(str(s) for s in singles)
    value = _text2num(" ".join(words), lang)
    return None if value is None else str(value)


def number(text: str, ctx: Context) -> Resolution | None:
    value = parse_number(text, ctx.lang)
    return strict(text.strip(), value) if value is not None else None


# -- dates -------------------------------------------------------------------------

# Week, month and year phrases: unit words, modifier words (0 this, 1 next, -1 last), words to ignore.
_PERIODS: dict[str, tuple[dict[str, str], dict[str, int], frozenset[str]]] = {
    "en": ({"week": "week", "month": "month", "year": "year"},
           {"this": 0, "current": 0, "next": 1, "coming": 1, "last": -1, "previous": -1, "past": -1},
           frozenset({"the"})),
    "es": ({"semana": "week", "mes": "month", "ano": "year"},
           {"esta": 0, "este": 0, "actual": 0, "proxima": 1, "proximo": 1, "viene": 1, "pasada": -1, "pasado": -1},
           frozenset({"la", "el", "que"})),
    "fr": ({"semaine": "week", "mois": "month", "annee": "year", "lannee": "year"},
           {"cette": 0, "ce": 0, "prochaine": 1, "prochain": 1, "derniere": -1, "dernier": -1},
           frozenset({"la", "le", "l", "ci"})),
    "it": ({"settimana": "week", "mese": "month", "anno": "year", "lanno": "year", "questanno": "year"},
           {"questa": 0, "questo": 0, "questanno": 0, "prossima": 1, "prossimo": 1, "scorsa": -1, "scorso": -1},
           frozenset({"la", "il", "l", "lo"})),
    "pt": ({"semana": "week", "mes": "month", "ano": "year"},
           {"esta": 0, "este": 0, "proxima": 1, "proximo": 1, "vem": 1, "passada": -1, "passado": -1},
           frozenset({"a", "o", "na", "no", "que"})),
    "de": ({"woche": "week", "monat": "month", "jahr": "year"},
           {"diese": 0, "diesen": 0, "dieses": 0, "nachste": 1, "nachsten": 1, "nachstes": 1, "kommende": 1,
            "kommenden": 1, "letzte": -1, "letzten": -1, "letztes": -1, "vorige": -1, "vorigen": -1},
           frozenset({"in", "der", "im"})),
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?")
_ORDINAL_DAY = re.compile(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?:\s+of\s+(?:the|this)\s+month)?")
_MDY_LOCALES = frozenset({"en_US", "es_US"})


def _shift_month(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


def period_date(unit: str, offset: int, today: date) -> date:
    """The date AMAZON.Date gives a week, month or year ``offset`` away (see the module docstring)."""
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(days=6) if offset > 0 else monday + timedelta(weeks=offset)
    if unit == "month":
        year, month = _shift_month(today.year, today.month, offset)
        if offset > 0:
            return date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, 1)
    return date(today.year + offset, 12, 31) if offset > 0 else date(today.year + offset, 1, 1)


def _period_phrase(text: str, lang: str) -> tuple[str, int] | None:
    table = _PERIODS.get(lang)
    if table is None:
        return None
    units, modifiers, ignored = table
    words = [w for w in re.split(r"[\s\-]+", fold(text)) if w and w not in ignored]
    unit = [units[w] for w in words if w in units]
    mods = [modifiers[w] for w in words if w in modifiers]
    if len(unit) == 1 and len(mods) == 1 and all(w in units or w in modifiers for w in words):
        return unit[0], mods[0]
    return None


@functools.lru_cache(maxsize=4096)
def _dateparser(text: str, lang: str, order: str, base: datetime) -> tuple[datetime, str] | None:
    from dateparser.date import DateDataParser  # lazily: ~0.1 s to import, plus its language data

    parser = DateDataParser(languages=[lang], settings={
        "PREFER_DATES_FROM": "future", "DATE_ORDER": order, "RETURN_TIME_AS_PERIOD": True, "RELATIVE_BASE": base})
    try:
        data = parser.get_date_data(text)
    except (ValueError, OverflowError, TypeError):
        return None
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.replace(tzinfo=None), data.period or "day"


def _dateparse(text: str, ctx: Context) -> tuple[datetime, str] | None:
    order = "MDY" if ctx.locale_id in _MDY_LOCALES else "DMY"
    base = ctx.now.replace(tzinfo=None, microsecond=0)
    lang = ctx.lang
    try:
        return _dateparser(text, lang, order, base)
    except ValueError:  # a language dateparser does not know
        return None


def parse_date(text: str, ctx: Context) -> str | None:
    s = text.strip()
    today = ctx.now.date()
    if m := _ISO_DATE.fullmatch(s):
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    if (phrase := _period_phrase(s, ctx.lang)) is not None:
        return period_date(phrase[0], phrase[1], today).isoformat()
    folded = fold(s)
    if ctx.lang == "en" and (m := _ORDINAL_DAY.fullmatch(folded)):
        return _day_of_month(int(m[1]), today)
    has_letters = any(c.isalpha() for c in folded)
    if len(folded) < 3 or len(folded.split()) > 8 or not (has_letters or _NUMERIC_DATE.fullmatch(folded)):
        return None
    if has_letters and parse_time(s, ctx) is not None:  # "3 pm" is a time, not a date
        return None
    parsed = _dateparse(s, ctx) or (_dateparse(spelled, ctx) if (spelled := _ordinal_digits(s, ctx.lang)) != s
                                     else None)
    if parsed is None:
        return None
    when, period = parsed
    day = when.date()
    if period == "month":
        return period_date("month", (day.year - today.year) * 12 + day.month - today.month, today).isoformat()
    if period == "year":
        return period_date("year", day.year - today.year, today).isoformat()
    if period == "week":
        weeks = ((day - timedelta(days=day.weekday())) - (today - timedelta(days=today.weekday()))).days // 7
        return period_date("week", weeks, today).isoformat()
    if when.date() > today and not re.search(r"\b\d{4}\b", s):
        try:  # "on or after the current date": dateparser's "future" skips today's own date to next year
            same = day.replace(year=today.year)
        except ValueError:
            same = None
        if same is not None and today <= same < day:
            day = same
    return day.isoformat()


def _ordinal_digits(text: str, lang: str) -> str:
    """Spelled numbers as digits ("november twenty-fifth" -> "november 25th"), where text2num knows the language."""
    if lang not in _T2N_LANGUAGES:
        return text
    from text_to_num import alpha2digit

    if lang == "en":  # text2num leaves these alone (they are also words of their own)
        text = re.sub(r"\b(twenty|thirty)[\s-]+(first|second|third)\b",
                      lambda m: f"{_TENS[m[1].lower()]}{_ORDINALS[m[2].lower()]}", text, flags=re.IGNORECASE)
        text = re.sub(r"\b(first|second|third)\b", lambda m: f"{_ORDINALS[m[1].lower()]}", text, flags=re.IGNORECASE)
    return alpha2digit(text, lang)


_TENS = {"twenty": "2", "thirty": "3"}
_ORDINALS = {"first": "1st", "second": "2nd", "third": "3rd"}


def _day_of_month(day: int, today: date) -> str | None:
    year, month = today.year, today.month
    for _ in range(3):
        if day >= (today.day if (year, month) == (today.year, today.month) else 1) \
                and day <= calendar.monthrange(year, month)[1]:
            return date(year, month, day).isoformat()
        year, month = _shift_month(year, month, 1)
    return None


def date_value(text: str, ctx: Context) -> Resolution | None:
    value = parse_date(text, ctx)
    return strict(text.strip(), value) if value is not None else None


# -- times -------------------------------------------------------------------------

_RANGES = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI"}
_NOON = {"noon", "midday", "mezzogiorno", "midi", "mediodia", "meiodia", "meio-dia", "mittag"}
_MIDNIGHT = {"midnight", "mezzanotte", "minuit", "medianoche", "meianoite", "meia-noite", "mitternacht"}
_TIME_AMPM = re.compile(r"(\d{1,2})(?:[:.\s]?(\d{2}))?\s*(am|pm)")
_TIME_DAYPART = re.compile(r"(\d{1,2})(?:[:.\s](\d{2}))?\s+(?:in\s+the\s+|at\s+|this\s+)?(morning|afternoon|evening|night)")
_TIME_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")
_TIME_OCLOCK = re.compile(r"(\d{1,2})(?:\s*oclock)?")
_TIME_24 = re.compile(r"(\d{1,2})\s*(?:h|uhr|heures?|horas?|ore|hrs?)\s*(\d{2})?")
_TIME_PAST = re.compile(r"(half|quarter)\s+(past|after|to)\s+(\d{1,2})")


def _hhmm(hour: int, minute: int) -> str | None:
    return f"{hour:02d}:{minute:02d}" if 0 <= hour <= 23 and 0 <= minute <= 59 else None


def _ambiguous(hour: int, minute: int) -> tuple[str | None, tuple[str, ...]] | None:
    """A clock time without am/pm: exact from 13 h (and 0 h), else both readings and no interpretation."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if hour == 0 or hour > 12:
        value = _hhmm(hour, minute)
        return value, (value,)
    other = 0 if hour == 12 else hour + 12
    return None, (_hhmm(hour, minute), _hhmm(other, minute))


def _digits_for_words(text: str, lang: str) -> str:
    if lang not in _T2N_LANGUAGES:
        return text
    from text_to_num import alpha2digit

    out = alpha2digit(text, lang)
    return " ".join(str(n) if (n := _text2num(w, lang)) is not None and not w.isdigit() else w for w in out.split())


def parse_time(text: str, ctx: Context) -> tuple[str | None, tuple[str, ...]] | None:
    """(interpreted, resolved) for a time, interpreted None when ambiguous; None when not a time."""
    s = fold(text).replace("a.m", "am").replace("p.m", "pm").replace("o clock", "oclock")
    s = re.sub(r"^(?:at|around|about|by|a las|alle|a|um|vers|as)\s+", "", s.strip()).strip(" .")
    if not s:
        return None
    if s in _NOON or s in {"12 noon", "noon time"}:
        return "12:00", ("12:00",)
    if s in _MIDNIGHT or s == "12 midnight":
        return "00:00", ("00:00",)
    bare = re.sub(r"^(?:in\s+the|this|at|the)\s+", "", s)
    if bare in _RANGES:
        return _RANGES[bare], (_RANGES[bare],)
    if bare in ("am", "pm"):
        return bare.upper(), (bare.upper(),)
    s = _digits_for_words(s, ctx.lang)
    if m := _TIME_PAST.fullmatch(s):
        hour, minute = int(m[3]), 30 if m[1] == "half" else 15
        if m[2] == "to":
            hour, minute = (hour - 1) % 24, 45
        return _ambiguous(hour, minute)
    if m := _TIME_AMPM.fullmatch(s):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m[3] == "pm" else 0)
        value = _hhmm(hour, minute)
        return (value, (value,)) if value else None
    if m := _TIME_DAYPART.fullmatch(s):
        hour, minute = int(m[1]), int(m[2] or 0)
        if not 1 <= hour <= 12:
            return None
        pm = m[3] in ("afternoon", "evening") or (m[3] == "night" and hour != 12 and hour >= 6)
        value = _hhmm(hour % 12 + (12 if pm else 0), minute)
        return (value, (value,)) if value else None
    if m := _TIME_CLOCK.fullmatch(s):
        return _ambiguous(int(m[1]), int(m[2]))
    if m := _TIME_24.fullmatch(s):
        value = _hhmm(int(m[1]), int(m[2] or 0))
        return (value, (value,)) if value else None
    if (m := _TIME_OCLOCK.fullmatch(s)) and ("oclock" in s or ctx.eliciting):
        return _ambiguous(int(m[1]), 0) if 1 <= int(m[1]) <= 12 else None
    if ctx.lang != "en" and any(c.isdigit() for c in s) and len(s.split()) <= 5:
        parsed = _dateparse(text, ctx)
        if parsed is not None and parsed[1] == "time":
            value = _hhmm(parsed[0].hour, parsed[0].minute)
            return (value, (value,)) if value else None
    return None


def time_value(text: str, ctx: Context) -> Resolution | None:
    parsed = parse_time(text, ctx)
    return Resolution(text.strip(), parsed[0], parsed[1]) if parsed else None


# -- confirmation --------------------------------------------------------------------

_CONFIRMATION: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"Yes": ("yes", "yeah", "yep", "yup", "ya", "y", "ok", "okay", "k", "sure", "of course", "certainly",
                   "absolutely", "definitely", "correct", "right", "thats right", "that is right", "i have it",
                   "i can agree", "i agree", "affirmative", "please do", "go ahead", "yes please", "sounds good",
                   "alright", "all right", "fine", "true", "confirm", "confirmed"),
           "No": ("no", "nope", "nah", "naw", "n", "negative", "forget it", "ill decline", "i decline", "no way",
                  "not really", "no thanks", "no thank you", "never", "not at all", "false", "incorrect", "wrong"),
           "Maybe": ("maybe", "perhaps", "its possible", "it is possible", "possibly", "sometimes", "i might",
                     "that could be right", "could be", "probably", "might be"),
           "Don't know": ("dont know", "i dont know", "dunno", "unknown", "no idea", "i have no idea", "not sure",
                          "not sure about it", "im not sure", "who knows", "no clue", "i do not know")},
    "es": {"Yes": ("si", "claro", "vale", "por supuesto", "de acuerdo", "correcto", "exacto", "afirmativo", "ok"),
           "No": ("no", "nunca", "de ninguna manera", "para nada", "negativo"),
           "Maybe": ("tal vez", "quizas", "quiza", "a lo mejor", "puede ser", "posiblemente"),
           "Don't know": ("no se", "no lo se", "ni idea", "no estoy seguro", "no estoy segura")},
    "fr": {"Yes": ("oui", "ouais", "bien sur", "daccord", "exact", "exactement", "absolument", "ok", "volontiers"),
           "No": ("non", "pas du tout", "jamais", "non merci"),
           "Maybe": ("peut-etre", "peut etre", "possible", "cest possible", "probablement"),
           "Don't know": ("je ne sais pas", "je sais pas", "sais pas", "aucune idee", "je ne suis pas sur")},
    "it": {"Yes": ("si", "certo", "va bene", "daccordo", "esatto", "certamente", "ok", "sicuro"),
           "No": ("no", "per niente", "mai", "no grazie", "assolutamente no"),
           "Maybe": ("forse", "puo darsi", "magari", "probabilmente", "e possibile"),
           "Don't know": ("non lo so", "non so", "boh", "non ne ho idea", "non sono sicuro")},
    "pt": {"Yes": ("sim", "claro", "com certeza", "certo", "isso", "exato", "ok", "pode"),
           "No": ("nao", "nunca", "de jeito nenhum", "negativo", "nao obrigado"),
           "Maybe": ("talvez", "pode ser", "possivelmente", "provavelmente"),
           "Don't know": ("nao sei", "sei la", "nao faco ideia", "nao tenho certeza")},
    "de": {"Yes": ("ja", "jawohl", "klar", "sicher", "genau", "naturlich", "na klar", "ok", "okay", "gerne"),
           "No": ("nein", "nee", "niemals", "auf keinen fall", "nein danke"),
           "Maybe": ("vielleicht", "moglicherweise", "eventuell", "wahrscheinlich"),
           "Don't know": ("weiss nicht", "ich weiss nicht", "ich weiss es nicht", "keine ahnung", "wei nicht")},
}
_CONFIRMATION_INDEX = {lang: {phrase: value for value, phrases in table.items() for phrase in phrases}
                       for lang, table in _CONFIRMATION.items()}
_POLITE = re.compile(r"^(?:(?:uh|um|well|oh|hmm)\s+)?(.*?)(?:\s+(?:please|thanks|thank you|por favor|gracias|"
                     r"merci|sil vous plait|grazie|per favore|obrigado|obrigada|bitte|danke))?$")


def confirmation(text: str, ctx: Context) -> Resolution | None:
    folded = " ".join(fold(text).replace(",", " ").replace("!", " ").split()).strip(" .?")
    folded = _POLITE.fullmatch(folded)[1] if folded else folded
    for lang in (ctx.lang, "en"):
        value = _CONFIRMATION_INDEX.get(lang, {}).get(folded)
        if value is not None:
            return strict(text.strip(), value)
    return None


# -- addresses and codes --------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SPOKEN_EMAIL = {"at": "@", "dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "plus": "+"}


def email(text: str, ctx: Context) -> Resolution | None:
    s = text.strip()
    candidate = s.replace(" ", "")
    if not _EMAIL.fullmatch(candidate):
        candidate = "".join(_SPOKEN_EMAIL.get(w.casefold(), w) for w in s.split())
        if not _EMAIL.fullmatch(candidate):
            return None
    return strict(s, candidate)


_DIGIT_WORDS_EN = {"oh": "0", "o": "0"}


def phone(text: str, ctx: Context) -> Resolution | None:
    s = text.strip()
    compact = re.sub(r"[\s().\-/]", "", s)
    if not re.fullmatch(r"\+?\d{7,15}", compact):
        digits = []
        for word in re.split(r"[\s,\-]+", s.casefold()):
            if not word:
                continue
            if word.isdigit():
                digits.append(word)
            elif ctx.lang == "en" and word in _DIGIT_WORDS_EN:
                digits.append(_DIGIT_WORDS_EN[word])
            elif (n := _text2num(word, ctx.lang)) is not None and 0 <= n <= 99:
                digits.append(str(n))
            else:
                return None
        compact = "".join(digits)
        if not re.fullmatch(r"\d{7,15}", compact):
            return None
    return strict(s, compact)


_UK_POSTCODE = re.compile(r"([A-Z]{2}\d[A-Z]|[A-Z]\d[A-Z]|[A-Z]\d|[A-Z]\d{2}|[A-Z]{2}\d|[A-Z]{2}\d{2})(\d[A-Z]{2})")


def uk_postal_code(text: str, ctx: Context) -> Resolution | None:
    compact = re.sub(r"\s+", "", text).upper()
    m = _UK_POSTCODE.fullmatch(compact)
    return strict(text.strip(), f"{m[1]} {m[2]}") if m else None


def alphanumeric(text: str, ctx: Context) -> Resolution | None:
    words = text.split()
    if not words or not all(re.fullmatch(r"[^\W_]+", w) for w in words):
        return None
    joined = "".join(words)
    has_digit = any(c.isdigit() for c in joined)
    if len(words) > 1 and not (all(len(w) == 1 for w in words) or (has_digit and len(words) <= 3)):
        return None
    return Resolution(text.strip(), joined, (joined,), 1.0 if has_digit or len(words) > 1 else LOOKS_LIKE)


# -- names, places, anything ------------------------------------------------------------

_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’.\-][^\W\d_]+)*\.?")
_STREET_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*\.?")


ARTICLES = frozenset({"the", "a", "la", "el", "le", "il", "lo", "o", "der", "die", "das"})


def _looks_like(text: str, ctx: Context, most: int, word: re.Pattern) -> Resolution | None:
    words = text.split()
    if not 1 <= len(words) <= most or not all(word.fullmatch(w) for w in words):
        return None
    if fold(words[0]) in LEAD_INS.get(ctx.lang, frozenset()) - ARTICLES:
        return None
    return as_said(text, LOOKS_LIKE)


def free_form(text: str, ctx: Context) -> Resolution | None:
    if not ctx.eliciting or not text.strip():  # "only recognized when elicited for"
        return None
    return as_said(text, 1.0)


def percentage(text: str, ctx: Context) -> Resolution | None:
    s = text.strip()
    m = re.fullmatch(r"(.+?)\s*(%|percent|per cent|por ciento|pour cent|per cento|por cento|prozent)", s,
                     re.IGNORECASE)
    value = parse_number(m[1] if m else s, ctx.lang)
    if value is None:
        return None
    return strict(s, f"{value}%" if m else value)


_DURATION_UNITS = {"second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M", "year": "Y"}


def duration(text: str, ctx: Context) -> Resolution | None:
    s = text.strip()
    m = re.fullmatch(r"(.+?)\s+(second|minute|hour|day|week|month|year)s?", fold(s))
    if not m:
        return None
    amount = "1" if m[1] in ("a", "an", "one") else parse_number(m[1], ctx.lang)
    if amount is None:
        return None
    unit = m[2]
    time_part = unit in ("second", "minute", "hour")
    return strict(s, f"P{'T' if time_part else ''}{amount}{_DURATION_UNITS[unit]}")


Resolver = Callable[[str, Context], "Resolution | None"]

BUILT_INS: dict[str, Resolver] = {
    "AMAZON.Number": number,
    "AMAZON.Date": date_value,
    "AMAZON.Time": time_value,
    "AMAZON.Confirmation": confirmation,
    "AMAZON.EmailAddress": email,
    "AMAZON.PhoneNumber": phone,
    "AMAZON.UKPostalCode": uk_postal_code,
    "AMAZON.AlphaNumeric": alphanumeric,
    "AMAZON.FreeFormInput": free_form,
    "AMAZON.FirstName": lambda t, c: _looks_like(t, c, 3, _NAME_WORD),
    "AMAZON.LastName": lambda t, c: _looks_like(t, c, 3, _NAME_WORD),
    "AMAZON.City": lambda t, c: _looks_like(t, c, 4, _NAME_WORD),
    "AMAZON.Country": lambda t, c: _looks_like(t, c, 4, _NAME_WORD),
    "AMAZON.State": lambda t, c: _looks_like(t, c, 4, _NAME_WORD),
    "AMAZON.StreetName": lambda t, c: _looks_like(t, c, 6, _STREET_WORD),
    "AMAZON.Percentage": percentage,
    "AMAZON.Duration": duration,
}
# Built-ins whose values a text can be searched for (strict forms), as opposed to ones accepting any words.
STRICT_BUILT_INS = frozenset({"AMAZON.Number", "AMAZON.Date", "AMAZON.Time", "AMAZON.Confirmation",
                              "AMAZON.EmailAddress", "AMAZON.PhoneNumber", "AMAZON.UKPostalCode",
                              "AMAZON.Percentage", "AMAZON.Duration"})


def resolve_builtin(signature: str, text: str, ctx: Context) -> Resolution | None:
    """``text`` as a value of the built-in slot type ``signature``; an unknown one takes the text as said."""
    if not text.strip():
        return None
    resolver = BUILT_INS.get(signature)
    if resolver is None:
        return as_said(text, LOOKS_LIKE)
    return resolver(text, ctx)


# What each built-in recognises, one phrase per language (tests fill sample utterances with them).
EXAMPLES: dict[str, dict[str, str]] = {
    "AMAZON.Number": {"en": "two", "es": "dos", "fr": "deux", "it": "due", "pt": "dois", "de": "zwei", "": "2"},
    "AMAZON.Date": {"en": "tomorrow", "es": "mañana", "fr": "demain", "it": "domani", "pt": "amanhã",
                    "de": "morgen", "": "2030-01-15"},
    "AMAZON.Time": {"en": "3 pm", "": "15:00"},
    "AMAZON.Confirmation": {"en": "yes", "es": "sí", "fr": "oui", "it": "sì", "pt": "sim", "de": "ja"},
    "AMAZON.EmailAddress": {"": "jane.doe@example.com"},
    "AMAZON.PhoneNumber": {"": "555 123 4567"},
    "AMAZON.UKPostalCode": {"": "SW1A 1AA"},
    "AMAZON.AlphaNumeric": {"": "ABC123"},
    "AMAZON.FreeFormInput": {"en": "anything at all", "": "ok"},
    "AMAZON.FirstName": {"": "Emily"},
    "AMAZON.LastName": {"": "Smith"},
    "AMAZON.City": {"en": "Seattle", "es": "Madrid", "fr": "Montréal", "it": "Roma", "pt": "Lisboa",
                    "de": "Berlin", "": "London"},
    "AMAZON.Country": {"": "France"},
    "AMAZON.State": {"": "Texas"},
    "AMAZON.StreetName": {"": "Main Street"},
    "AMAZON.Percentage": {"en": "50 percent", "": "50%"},
    "AMAZON.Duration": {"en": "five minutes"},
}


def example(signature: str, locale_id: str) -> str | None:
    table = EXAMPLES.get(signature, {})
    return table.get(language(locale_id), table.get(""))
