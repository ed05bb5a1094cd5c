"""Model-driven input validation with AWS's message form.

Every constraint a botocore shape declares (required, type, min/max length or
value, pattern, enum) is checked here; nothing about any service is.  Patterns
are matched against the whole value (the spec's X-1: AWS rejects values with
extra characters even where the model's pattern is unanchored).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import Shape

from .errors import MAX_ECHO, AWSError, cut

# How deep arrays and objects may nest in an input (the JSON body and the validator's walk alike).  The deepest
# input the five models declare nests 21 levels (QuickSight UpdateTemplate); a few shapes are recursive
# (QuickSight HierarchyFilterNode, Lex V2 SlotValueOverride).  Far below Python's recursion limit, so no body
# can make a parser or the validator recurse out of stack.
MAX_DEPTH = 100

_INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}  # the models' Java int and long


class SerializationError(AWSError):
    def __init__(self, message: str):
        super().__init__("SerializationException", message, status=400)


class Problems(list):
    """Validation messages: every one counted (``total``), the first ``KEPT`` kept, so that a body of a million
    bad items costs no million messages (the message shows far fewer anyway)."""

    KEPT = 100

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def append(self, message: str) -> None:
        self.total += 1
        if len(self) < self.KEPT:
            super().append(message)


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave it to the service
        return None


def _pieces(value: Any, keys_only: bool = False):
    """``value`` printed as the Java services print it (``[a, b]``, ``{k=v}``), piece by piece."""
    if isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, list):
        yield "["
        for i, item in enumerate(value):
            yield ", " if i else ""
            yield from _pieces(item)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ", " if i else ""
            yield f"{key}="
            yield from ("...",) if keys_only else _pieces(item)
        yield "}"
    else:
        yield str(value)


def _show(value: Any, keys_only: bool = False) -> str:
    """As much of ``value`` as a message echoes (errors.MAX_ECHO), printed no further than that."""
    shown: list[str] = []
    size = 0
    for piece in _pieces(value, keys_only):
        shown.append(piece)
        size += len(piece)
        if size > MAX_ECHO:
            break
    return cut("".join(shown))


def _fail(errors: list[str], value: Any, path: str, constraint: str, secret: bool = False) -> None:
    shown = "***" if secret else _show(value)
    errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}")


_NUMBER_TYPES = {"integer", "long", "float", "double", "bigdecimal", "biginteger"}


def _finite(number: float) -> bool:
    """No NaN or infinity (``nan`` in a query string, ``1e400`` in a body): no JSON answer could carry them."""
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer beyond any double
        return False


_TYPE_CHECKS = {
    "structure": lambda v: isinstance(v, dict),
    "map": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "blob": lambda v: isinstance(v, (bytes, bytearray, str)),
    "timestamp": lambda v: isinstance(v, (int, float, str)) and not isinstance(v, bool),
}


def _check_type(shape: Shape, value: Any, path: str) -> None:
    kind = shape.type_name
    ok = _TYPE_CHECKS.get(kind)
    if kind in ("integer", "long"):
        good = isinstance(value, int) and not isinstance(value, bool)
        low, high = _INT_RANGE[kind]
        if good and not low <= value <= high:  # AWS's Java parsers refuse it; our store could not hold it
            raise SerializationError(f"Numeric value at '{path}' is out of range of {kind}.")
    elif kind in _NUMBER_TYPES:
        good = isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value)
    elif ok is not None:
        good = ok(value)
    else:  # document and other open types take any JSON value
        good = True
    if not good:
        raise SerializationError(f"Expected {kind} for '{path}', got {type(value).__name__}.")


@dataclass(frozen=True)
class ValidationStyle:
    """How a service words input that breaks the model's constraints, where it differs from the default
    (the first validation error its model declares; member paths as the model spells the members)."""

    code: str | None = None  # e.g. ValidationException where the model declares none
    lower_camel_paths: bool = False  # ``definition.sheets.1.member``: the paths of services written in Java
    joined_map_keys: bool = False  # a map's key failures as one "Map keys must satisfy constraint: [...]"


DEFAULT_STYLE = ValidationStyle()


def _member_path(path: str, name: str, style: ValidationStyle) -> str:
    if style.lower_camel_paths:
        name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def validate(shape: Shape, value: Any, path: str, errors: list[str], style: ValidationStyle = DEFAULT_STYLE,
             depth: int = 1) -> Any:
    """Check ``value`` against ``shape``; append AWS-form messages to ``errors``.

    Returns the value with unknown structure members dropped.  Type mismatches, and
    nesting past MAX_DEPTH, raise SerializationError at once, as AWS does for
    undeserializable input.
    """
    _check_type(shape, value, path)
    meta = shape.metadata
    kind = shape.type_name
    if depth > MAX_DEPTH and kind in ("structure", "list", "map"):
        raise SerializationError(f"The input nests deeper than {MAX_DEPTH} levels at '{cut(path)}'.")
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            if value.get(name) is not None:
                out[name] = validate(member, value[name], _member_path(path, name, style), errors, style,
                                     depth + 1)
            elif name in shape.required_members:
                errors.append(f"Value null at '{_member_path(path, name, style)}' failed to satisfy constraint: "
                              "Member must not be null")
        return out
    if kind == "list":
        _length(value, meta, path, errors)
        return [validate(shape.member, item, f"{path}.{i}.member", errors, style, depth + 1)
                for i, item in enumerate(value, 1)]
    if kind == "map":
        _length(value, meta, path, errors)
        out = {}
        reported = False  # joined key failures: one message for the map, where its first bad key is
        for key, item in value.items():
            shown = cut(key)  # a key is the client's value too
            if not style.joined_map_keys:
                validate(shape.key, key, f"{path}.{shown}.key", errors, style, depth + 1)
            elif not reported and _key_fails(shape, key, path, style, depth):
                errors.append(f"Value '{_show(value, keys_only=True)}' at '{path}' failed to satisfy constraint: "
                              f"Map keys must satisfy constraint: [{', '.join(_key_constraints(shape.key))}]")
                reported = True
            out[key] = validate(shape.value, item, f"{path}.{shown}.value", errors, style, depth + 1) \
                if item is not None else None
        return out
    if kind == "string":
        secret = bool(meta.get("sensitive"))
        _length(value, meta, path, errors, secret)
        if shape.enum and value not in shape.enum:
            _fail(errors, value, path, "Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]")
        pattern = meta.get("pattern")
        if pattern and (compiled := _pattern(pattern)) and not compiled.fullmatch(value):
            _fail(errors, value, path, f"Member must satisfy regular expression pattern: {pattern}", secret)
        return value
    if kind == "blob":
        if isinstance(value, str):  # JSON carries blobs as base64
            try:
                value = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise SerializationError(f"Invalid base64 data for '{path}'.") from None
        _length(value, meta, path, errors, True)
        return value
    if kind in _NUMBER_TYPES:
        if "min" in meta and value < meta["min"]:
            _fail(errors, value, path, f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            _fail(errors, value, path, f"Member must have value less than or equal to {meta['max']}")
    return value


def _key_fails(shape: Shape, key: str, path: str, style: ValidationStyle, depth: int) -> bool:
    """Whether a map key breaks its constraints (AWS then lists every key constraint, at the map, once for the
    map, as the Java map prints)."""
    found: list[str] = []
    validate(shape.key, key, path, found, style, depth + 1)
    return bool(found)


def _key_constraints(shape: Shape) -> list[str]:
    meta = shape.metadata
    found = []
    if "max" in meta:
        found.append(f"Member must have length less than or equal to {meta['max']}")
    if "min" in meta:
        found.append(f"Member must have length greater than or equal to {meta['min']}")
    if meta.get("pattern"):
        found.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    return found


def _length(value: Any, meta: dict, path: str, errors: list[str], secret: bool = False) -> None:
    size = len(value)
    if "min" in meta and size < meta["min"]:
        _fail(errors, value, path, f"Member must have length greater than or equal to {meta['min']}", secret)
    if "max" in meta and size > meta["max"]:
        _fail(errors, value, path, f"Member must have length less than or equal to {meta['max']}", secret)
