"""HTTP request -> (service, operation), from the models' http traits.

json-1.1 services are routed by the X-Amz-Target header; rest-json services by
method and requestUri.  The signing service in the credentials narrows the
candidates.  Lex V1 and V2 both sign as ``lex`` and share four routes (the tag
routes and ``POST /imports/``); they are told apart by the request itself:
V2 ARNs name resources with ``/`` (``bot/BOTID``), V1 ARNs with ``:``
(``bot:Name``), and V1 StartImport carries a ``payload`` body member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

from botocore.model import OperationModel

from .models import SERVICES, service_model, signing_name


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    operation: OperationModel
    pattern: re.Pattern[str]
    params: tuple[str, ...]
    query_literals: tuple[str, ...]
    weight: int
    trailing_slash: bool


@dataclass(frozen=True, slots=True)
class Match:
    service: str
    operation: OperationModel
    uri_params: dict[str, str]


def _compile(uri: str) -> tuple[re.Pattern[str], tuple[str, ...], tuple[str, ...], int]:
    path, _, query = uri.partition("?")
    params: list[str] = []
    regex = ""
    for piece in re.split(r"(\{[^}]+\})", path.rstrip("/")):
        if piece.startswith("{"):
            name = piece[1:-1]
            greedy = name.endswith("+")
            params.append(name.rstrip("+"))
            regex += f"(?P<p{len(params) - 1}>{'.+' if greedy else '[^/]+'})"
        else:
            regex += re.escape(piece)
    literals = tuple(q.split("=")[0] for q in query.split("&") if q)
    weight = len(re.sub(r"\{[^}]+\}", "", path)) + 10 * len(literals)
    return re.compile(regex + "/?"), tuple(params), literals, weight


def _first_segment(path: str) -> str:
    """The first path segment, or "" when it is a parameter (such routes are tried for every path)."""
    first = path.lstrip("/").split("/", 1)[0]
    return "" if first.startswith("{") else first


@cache
def _rest_routes() -> dict[tuple[str, str, str], list[Route]]:
    """(signing name, method, first path segment) -> routes, most literal first."""
    table: dict[tuple[str, str, str], list[Route]] = {}
    for name in SERVICES:
        model = service_model(name)
        if model.protocol != "rest-json":
            continue
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            pattern, params, literals, weight = _compile(op.http["requestUri"])
            slash = op.http["requestUri"].split("?")[0].endswith("/")
            route = Route(name, op, pattern, params, literals, weight, slash)
            first = _first_segment(op.http["requestUri"].split("?")[0])
            for signer in (signing_name(model), "*"):
                table.setdefault((signer, op.http["method"], first), []).append(route)
    for routes in table.values():
        routes.sort(key=lambda r: -r.weight)
    return table


@cache
def _json_targets() -> dict[str, tuple[str, OperationModel]]:
    table = {}
    for name in SERVICES:
        model = service_model(name)
        if model.protocol == "json":
            prefix = model.metadata["targetPrefix"]
            for op_name in model.operation_names:
                table[f"{prefix}.{op_name}"] = (name, model.operation_model(op_name))
    return table


def route(method: str, path: str, query: dict[str, list[str]], headers, signing: str | None, body: bytes) -> Match | None:
    target = headers.get("x-amz-target")
    if target:
        found = _json_targets().get(target)
        return Match(found[0], found[1], {}) if found else None
    matches = []
    table = _rest_routes()
    signer = signing or "*"
    candidates = [*table.get((signer, method, _first_segment(path)), ()), *table.get((signer, method, ""), ())]
    exact = []  # SDKs send a template's trailing slash as it is: Lex V2 paths end with one, V1 paths do not
    for r in candidates:
        m = r.pattern.fullmatch(path)
        if m and all(q in query for q in r.query_literals):
            params = {name: unquote(m.group(f"p{i}")) for i, name in enumerate(r.params)}
            matches.append(Match(r.service, r.operation, params))
            if r.trailing_slash == path.endswith("/"):
                exact.append(matches[-1])
    if not matches:
        return None
    matches = exact or matches
    if len(matches) > 1 and {m.service for m in matches} == {"lexv2-models", "lex-models"}:
        return _lex_version(matches, body)
    return matches[0]


def _lex_version(matches: list[Match], body: bytes) -> Match:
    by_service: dict[str, Match] = {}
    for m in matches:  # each service's most literal match
        by_service.setdefault(m.service, m)
    v1, v2 = by_service["lex-models"], by_service["lexv2-models"]
    arn = next((v for k, v in v2.uri_params.items() if k.lower() == "resourcearn"), None)
    if arn is not None:
        resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else arn
        return v2 if "/" in resource else v1
    return v1 if b'"payload"' in body else v2
