"""Parse requests into plain dicts and serialize dicts back, for rest-json and json 1.1.

Driven only by botocore shapes: locations (uri, querystring, header, statusCode),
payload members, timestamp and blob encodings.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from itertools import accumulate, count
from operator import sub
from typing import Any, NoReturn

import orjson
from botocore.model import OperationModel, Shape

from .errors import MAX_MESSAGE, AWSError, ValidationError, cut
from .models import service_model, validation_error_code
from .validation import DEFAULT_STYLE, MAX_DEPTH, Problems, SerializationError, ValidationStyle, validate

JSON_TYPES = {"rest-json": "application/json", "json": "application/x-amz-json-1.1"}


def _scalar(shape: Shape, raw: str, where: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
    except ValueError:
        raise SerializationError(f"Cannot convert '{cut(raw)}' at '{where}' to {kind}.") from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise SerializationError(f"Cannot convert '{cut(raw)}' at '{where}' to boolean.")
        return raw.lower() == "true"
    return raw


def parse_request(
    op: OperationModel, uri_params: dict[str, str], query: dict[str, list[str]], headers, body: bytes,
    style: ValidationStyle = DEFAULT_STYLE,
) -> dict[str, Any]:
    """The operation's input as a validated dict (raises ValidationError / SerializationError)."""
    shape, located, body_members, payload_name = _request_plan(op)
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    for name, member, loc, wire in located:
        if loc == "uri":
            if wire in uri_params:
                params[name] = _scalar(member, uri_params[wire], name)
        elif loc == "querystring":
            if member.type_name == "map":
                params[name] = {k: v[-1] for k, v in query.items()}
            elif wire in query:
                values = query[wire]
                params[name] = (
                    [_scalar(member.member, v, name) for v in values]
                    if member.type_name == "list"
                    else _scalar(member, values[-1], name)
                )
        elif loc == "header":
            if wire in headers:
                params[name] = _scalar(member, headers[wire], name)
        else:  # "headers": a prefix
            found = {k[len(wire):]: v for k, v in headers.items() if k.lower().startswith(wire)}
            if found:
                params[name] = found
    if payload_name:
        member = shape.members[payload_name]
        if member.type_name in ("blob", "string"):
            if body:
                params[payload_name] = body if member.type_name == "blob" else body.decode("utf-8", "replace")
        elif body.strip():
            params[payload_name] = _json_object(body)
    elif body_members and body.strip():
        document = _json_object(body)
        params.update({k: v for k, v in document.items() if k in body_members})
    errors = Problems()
    parsed = validate(shape, params, "", errors, style)
    if errors:
        raise ValidationError(errors)
    return parsed


_LOCATED = ("uri", "querystring", "header", "headers")
_REQUEST_PLANS: dict[int, tuple[OperationModel, tuple]] = {}  # id -> (the operation, kept alive; its plan)


def _once(table: dict[int, tuple[Any, Any]], model: Any, make: Callable[[Any], Any]) -> Any:
    """``make(model)`` for a botocore model object, made once: kept by its id with the object itself (alive,
    so that id is never another's)."""
    found = table.get(id(model))
    if found is None or found[0] is not model:
        found = table[id(model)] = (model, make(model))
    return found[1]


def _request_plan(op: OperationModel) -> tuple:
    """What ``parse_request`` reads of an operation's input shape, made once: (shape, (member name, shape,
    location, wire name: lower case for headers) of the members outside the body, the body members' names,
    payload member)."""
    return _once(_REQUEST_PLANS, op, _make_request_plan)


def _make_request_plan(op: OperationModel) -> tuple:
    shape = op.input_shape
    located, body_members, payload_name = [], set(), None
    if shape is not None:
        payload_name = shape.serialization.get("payload")
        for name, member in shape.members.items():
            loc = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if loc in _LOCATED:
                located.append((name, member, loc, wire.lower() if loc.startswith("header") else wire))
            elif name != payload_name:
                body_members.add(name)
    return shape, tuple(located), frozenset(body_members), payload_name


# A JSON string, even one left open at the end of the body: matched without backtracking (possessive), so the
# depth scan below stays linear whatever quotes and backslashes a body holds.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = bytes.maketrans(b"{}", b"[]"), bytes(sorted(set(range(256)) - set(b"[]{}")))  # keep only, as [ ]
_STEPS = bytes.maketrans(b"[]", b"\x02\x00")  # +1 / -1 per bracket, stored as 2 / 0
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# 19 digits in a row: maybe an integer past 64 bits, which orjson reads as a float (the standard library exactly)
_LONG_DIGITS = re.compile(rb"\d{19}")


def _too_deep(body: bytes) -> bool:
    """Whether arrays and objects nest past MAX_DEPTH, found in linear time before a recursive parser (json's
    runs out of stack near 1,000 levels) sees the body."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    brackets = _STRING.sub(b"", body).translate(*_BRACKETS)
    if brackets.count(b"[") <= MAX_DEPTH:
        return False
    if b"[" * (MAX_DEPTH + 1) in brackets:
        return True
    # the depth after each bracket: the sum of its steps minus one per position (in C: no loop of ours per byte)
    return max(map(sub, accumulate(brackets.translate(_STEPS)), count(1))) > MAX_DEPTH


def _not_a_number(token: str) -> NoReturn:
    raise SerializationError(f"The request body holds {token}, which JSON has no number for.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: no JSON answer could carry it back
        raise SerializationError(f"The number {cut(text, 64)} in the request body is out of range.")
    return value


def load_json(body: bytes) -> Any:
    """A request body's JSON, or SerializationError for anything AWS's parsers refuse: bad syntax or UTF-8,
    NaN/Infinity tokens, numbers beyond a double, lone surrogates, nesting past MAX_DEPTH."""
    if _too_deep(body):
        raise SerializationError(f"The request body nests arrays and objects deeper than {MAX_DEPTH} levels.")
    if not _LONG_DIGITS.search(body):
        # orjson refuses all the standard library is told to refuse below (and a few things it reads, e.g. a
        # BOM): what it reads is the answer, five times as fast; what it refuses, the standard library decides
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        text = body.decode("utf-8-sig")  # what the SDKs send; AWS takes no other encoding
        document = json.loads(text, parse_constant=_not_a_number, parse_float=_finite_float)
        if _LONE_SURROGATE.search(text):  # "\ud800" alone decodes, then fails wherever it is encoded (the store)
            json.dumps(document, ensure_ascii=False).encode()
    except (ValueError, UnicodeError):
        raise SerializationError("The request body is not valid JSON.") from None
    return document


def _json_object(body: bytes) -> dict[str, Any]:
    document = load_json(body)
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    return document


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


_PLAIN = frozenset({"string", "integer", "long", "boolean", "float", "double"})


def to_wire(shape: Shape, value: Any) -> Any:
    """A handler's value in the JSON form the SDKs parse: model members only, no nulls."""
    return writer(shape)(value)


_WRITERS: dict[int, tuple[Shape, Callable[[Any], Any]]] = {}  # id -> (the shape, kept alive; its writer)


def writer(shape: Shape) -> Callable[[Any], Any]:
    """``to_wire`` for one shape, made once: looking up each member's wire name and type on every value
    was a third of a listing's time."""
    return _once(_WRITERS, shape, _make_writer)


def _identity(value: Any) -> Any:
    return value


def _make_writer(shape: Shape) -> Callable[[Any], Any]:
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape)
    if kind == "list":
        item = shape.member
        if item.type_name in _PLAIN:
            return list
        return lambda value: list(map(writer(item), value))  # (looked up per call: shapes may recurse)
    if kind == "map":
        of = shape.value

        def write_map(value: dict[str, Any]) -> dict[str, Any]:
            write = writer(of)
            return {k: write(v) for k, v in value.items() if v is not None}

        return write_map
    if kind == "timestamp":
        return _epoch
    if kind == "blob":
        return lambda value: base64.b64encode(value).decode()
    return _identity


def _structure_writer(shape: Shape) -> Callable[[Any], Any]:
    members = shape.members
    fields: dict[str, tuple[str, Callable[[Any], Any] | None]] | None = None  # name -> (wire name, writer or None)

    def write(value: dict[str, Any]) -> dict[str, Any]:
        nonlocal fields
        if fields is None:  # (made whole, then shared: a recursive shape's members are made as data needs them)
            fields = {name: (m.serialization.get("name", name), None if m.type_name in _PLAIN else writer(m))
                      for name, m in members.items()}
        table = fields
        out = {}
        if len(value) > len(table):  # a whole document answered as a summary: walk the few members it has
            for name, (wire, write_member) in table.items():
                item = value.get(name)
                if item is not None:
                    out[wire] = item if write_member is None else write_member(item)
            return out
        for name, item in value.items():
            field = table.get(name)
            if field is not None and item is not None:
                out[field[0]] = item if field[1] is None else field[1](item)
        return out

    return write


def _header_value(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        when = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
        return format_datetime(when, usegmt=True)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return str(value)


# RFC 9110 15.3.5 / 15.4.5: these answers have no content.  Clients (Node's llhttp, Python's http.client) read
# none whatever the headers claim, so body bytes would be taken for the start of the next response on the connection.
_NO_CONTENT = frozenset({204, 304})
_CONTENT_HEADERS = frozenset({"content-type", "content-length"})


def has_content(status: int) -> bool:
    """Whether an answer with this status may carry a body, and so a Content-Length (RFC 9110 8.6)."""
    return status >= 200 and status not in _NO_CONTENT


def serialize_response(service: str, op: OperationModel, output: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    content_type, status, shape, places, payload_name = _response_plan(service, op)
    headers = {"Content-Type": content_type}
    body_value: dict[str, Any] = {}
    payload: tuple[Shape, Any] | None = None
    # status and headers first: a statusCode member may follow the payload, and decides whether there is a body
    for name, value in output.items():
        place = places.get(name)
        if place is None or value is None:
            continue
        where, member, wire = place
        if where == _BODY:
            body_value[name] = value
        elif where == "statusCode":
            status = int(value)
        elif where == "header":
            headers[wire] = _header_value(member, value)
        elif name == payload_name:
            payload = (member, value)
        else:
            body_value[name] = value
    if not has_content(status):
        # body members of a 204 output (a few models declare some) could never reach a client over HTTP
        return status, {k: v for k, v in headers.items() if k.lower() not in _CONTENT_HEADERS}, b""
    if shape is None:
        return status, headers, b"{}"
    if payload is not None:
        member, value = payload
        if member.type_name in ("blob", "string"):
            return status, headers, value if isinstance(value, bytes) else str(value).encode()
        return status, headers, _dumps(to_wire(member, value))
    return status, headers, _dumps(writer(shape)(body_value))


_BODY = "body"
_PLANS: dict[int, tuple[OperationModel, tuple]] = {}  # id -> (the operation, kept alive; its plan)


def _response_plan(service: str, op: OperationModel) -> tuple:
    """What ``serialize_response`` reads of an operation's model, made once: (content type, default status,
    output shape, member -> (location or body, member shape, wire name), payload member)."""
    def make(op: OperationModel) -> tuple:
        shape = op.output_shape
        members = shape.members if shape is not None else {}
        payload_name = shape.serialization.get("payload") if shape is not None else None
        places = {name: (m.serialization.get("location") or (None if name == payload_name else _BODY), m,
                         m.serialization.get("name", name)) for name, m in members.items()}
        return (JSON_TYPES[service_model(service).protocol], int(op.http.get("responseCode", 200)), shape, places,
                payload_name)

    return _once(_PLANS, op, make)


def _dumps(value: Any) -> bytes:
    """Compact JSON in UTF-8 (as AWS answers)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # what orjson cannot write (integers past 64 bits)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def serialize_error(service: str | None, error: AWSError, request_id: str | None = None,
                    style: ValidationStyle = DEFAULT_STYLE) -> tuple[int, dict[str, str], bytes]:
    code = error.code
    shape = None
    if service is not None:
        if isinstance(error, ValidationError):
            code = style.code or validation_error_code(service)
        model = service_model(service)
        shape = next((s for s in model.error_shapes if s.name == code), None)
        protocol = model.protocol
    else:
        protocol = "rest-json"
    status = error.status or (shape.metadata.get("error", {}).get("httpStatusCode") if shape else None) or 400
    message_key = "message"
    if shape is not None:
        message_key = next((m for m in shape.members if m.lower() == "message"), "message")
    body: dict[str, Any] = {message_key: cut(error.message, MAX_MESSAGE), **error.fields}
    if request_id and shape is not None and "RequestId" in shape.members:  # QuickSight repeats it in the body
        body["RequestId"] = request_id
    headers = {"Content-Type": JSON_TYPES[protocol], "x-amzn-ErrorType": code}
    if protocol == "json":
        body["__type"] = code
    return int(status), headers, json.dumps(body, default=str).encode()


def input_members(op: OperationModel) -> frozenset[str]:
    """The names an operation's input may carry in a JSON body."""
    shape = op.input_shape
    if shape is None:
        return frozenset()
    payload = shape.serialization.get("payload")
    if payload and shape.members[payload].type_name == "structure":
        shape = shape.members[payload]
    return frozenset(m.serialization.get("name", n) for n, m in shape.members.items()
                     if not m.serialization.get("location"))


def body_members(body: bytes) -> frozenset[str]:
    """The top-level member names of a JSON object body (none for anything else)."""
    if not body.strip().startswith(b"{"):
        return frozenset()
    try:
        document = load_json(body)
    except SerializationError:
        return frozenset()
    return frozenset(document) if isinstance(document, dict) else frozenset()
