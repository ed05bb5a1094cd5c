"""Model-driven input validation with AWS's message form.

Every constraint a botocore shape declares (required, type, min/max length or
value, pattern, enum) is checked here; nothing about any service is.  Patterns
are matched against the whole value (the spec's X-1: AWS rejects values with
extra characters even where the model's pattern is unanchored).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import Shape

from .errors import AWSError


class SerializationError(AWSError):
    def __init__(self, message: str):
        super().__init__("SerializationException", message, status=400)


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave it to the service
        return None


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _fail(errors: list[str], value: Any, path: str, constraint: str, secret: bool = False) -> None:
    shown = "***" if secret else _show(value)
    errors.append(f"Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}")


_NUMBER_TYPES = {"integer", "long", "float", "double", "bigdecimal", "biginteger"}


def _check_type(shape: Shape, value: Any, path: str) -> None:
    kind = shape.type_name
    ok = {
        "structure": lambda v: isinstance(v, dict),
        "map": lambda v: isinstance(v, dict),
        "list": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "blob": lambda v: isinstance(v, (bytes, bytearray, str)),
        "timestamp": lambda v: isinstance(v, (int, float, str)) and not isinstance(v, bool),
    }.get(kind)
    if kind in ("integer", "long"):
        good = isinstance(value, int) and not isinstance(value, bool)
    elif kind in _NUMBER_TYPES:
        good = isinstance(value, (int, float)) and not isinstance(value, bool)
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


def validate(shape: Shape, value: Any, path: str, errors: list[str], style: ValidationStyle = DEFAULT_STYLE) -> Any:
    """Check ``value`` against ``shape``; append AWS-form messages to ``errors``.

    Returns the value with unknown structure members dropped.  Type mismatches
    raise SerializationError at once, as AWS does for undeserializable input.
    """
    _check_type(shape, value, path)
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            sub = _member_path(path, name, style)
            if name in value and value[name] is not None:
                out[name] = validate(member, value[name], sub, errors, style)
            elif name in shape.required_members:
                errors.append(f"Value null at '{sub}' failed to satisfy constraint: Member must not be null")
        return out
    if kind == "list":
        _length(value, meta, path, errors)
        return [validate(shape.member, item, f"{path}.{i}.member", errors, style) for i, item in enumerate(value, 1)]
    if kind == "map":
        _length(value, meta, path, errors)
        out = {}
        for key, item in value.items():
            _validate_key(shape, value, key, path, errors, style)
            out[key] = validate(shape.value, item, f"{path}.{key}.value", errors, style) if item is not None else None
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


def _validate_key(shape: Shape, value: dict, key: str, path: str, errors: list[str], style: ValidationStyle) -> None:
    if not style.joined_map_keys:
        validate(shape.key, key, f"{path}.{key}.key", errors, style)
        return
    found: list[str] = []
    validate(shape.key, key, path, found, style)
    if found:  # AWS lists every key constraint, at the map, once for the map (as the Java map prints)
        constraints = _key_constraints(shape.key)
        shown = "{" + ", ".join(f"{k}=..." for k in value) + "}"
        message = f"Value '{shown}' at '{path}' failed to satisfy constraint: Map keys must satisfy constraint: " \
                  f"[{', '.join(constraints)}]"
        if message not in errors:
            errors.append(message)


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
