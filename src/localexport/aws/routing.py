"""HTTP request -> (service, operation) candidates, from the models' http traits.

json-1.1 services are routed by the X-Amz-Target header; rest-json services by
method and requestUri.  The signing service in the credentials narrows the
candidates.  Two models may still claim one request: Lex V1 and V2 both sign
as ``lex`` and share routes (``DELETE /bots/{x}``, ``GET /imports/{x}``,
``POST /imports/``, the tag routes) that only a trailing slash tells apart, and
the JavaScript SDK v3 drops trailing slashes.  ``route`` ranks the candidates
by what the request itself says, most telling first:

1. the API the SDK names in its user agent (``api/lex-models-v2#3.x``): when it names one, only that one;
2. a trailing slash where the template has one (SDKs that keep it send it as is): a path that ends with one
   goes only to templates that do; a path without one may be either (the JS SDK dropped it);
3. the template's literal length.

Where candidates of two services are left, the gateway parses the request with
each and asks the services which one the request's ids and ARNs belong to
(``Gateway``'s ``claims``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import unquote

from botocore.model import OperationModel

from .models import KNOWN, service_model

_SIGNERS = frozenset(known.signing_name for known in KNOWN.values())


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    operation: OperationModel
    regex: str  # compiled at its first use (the ~450 templates cost 65 ms to compile; a call tries ~20)
    params: tuple[str, ...]
    query_literals: tuple[str, ...]
    weight: int
    trailing_slash: bool
    segments: int | None  # how many path segments it matches (None: any, it has a greedy parameter)


@dataclass(frozen=True, slots=True)
class Match:
    service: str
    operation: OperationModel
    uri_params: dict[str, str]


@cache
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


def _template(uri: str) -> tuple[str, tuple[str, ...], tuple[str, ...], int]:
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
    return regex + "/?", tuple(params), literals, weight


def _first_segment(path: str) -> str:
    """The first path segment, or "" when it is a parameter (such routes are tried for every path)."""
    first = path.lstrip("/").split("/", 1)[0]
    return "" if first.startswith("{") else first


@cache
def _rest_routes(signer: str) -> dict[tuple[str, str], list[Route]]:
    """(method, first path segment) -> the routes of the services signed as ``signer`` ("*": unsigned, all),
    most literal first; built for a signing name at its first request, loading only its models."""
    table: dict[tuple[str, str], list[Route]] = {}
    for name, known in KNOWN.items():
        if known.protocol != "rest-json" or signer not in (known.signing_name, "*"):
            continue
        model = service_model(name)
        for op_name in model.operation_names:
            op = model.operation_model(op_name)
            regex, params, literals, weight = _template(op.http["requestUri"])
            slash = op.http["requestUri"].split("?")[0].endswith("/")
            path = op.http["requestUri"].split("?")[0]
            segments = None if "+}" in path else path.strip("/").count("/") + 1  # (a greedy one spans several)
            route = Route(name, op, regex, params, literals, weight, slash, segments)
            first = _first_segment(path)
            table.setdefault((op.http["method"], first), []).append(route)
    for routes in table.values():
        routes.sort(key=lambda r: -r.weight)
    return table


_MAX_SEGMENTS = 12  # more than any template has: such paths get every route of their first segment, uncached


def _candidates(signer: str, method: str, first: str, segments: int) -> tuple[Route, ...]:
    """The routes a path of ``segments`` segments can match, most literal first: those of its first segment,
    then those starting with a parameter; of each, those with as many segments or a greedy parameter."""
    table = _rest_routes(signer)
    if (method, first) not in table:  # a first segment no template starts with: all such paths are alike
        if (method, "") not in table:
            return ()
        first = None
    if segments > _MAX_SEGMENTS:
        return (*table.get((method, first), ()), *table.get((method, ""), ()))
    return _candidates_of_length(signer, method, first, segments)  # (cached per segment a template starts with)


@cache
def _candidates_of_length(signer: str, method: str, first: str | None, segments: int) -> tuple[Route, ...]:
    table = _rest_routes(signer)
    return tuple(r for r in (*table.get((method, first), ()), *table.get((method, ""), ()))
                 if r.segments in (segments, None))


@cache
def _json_targets() -> dict[str, tuple[str, OperationModel]]:
    table = {}
    for name, known in KNOWN.items():
        if known.protocol == "json":
            model = service_model(name)
            prefix = model.metadata["targetPrefix"]
            for op_name in model.operation_names:
                table[f"{prefix}.{op_name}"] = (name, model.operation_model(op_name))
    return table


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@cache
def _api_ids() -> dict[str, str]:
    """The names SDKs give each API in their user agent (``serviceId``, lower-cased, no separators) -> service."""
    return {_plain(known.service_id): name for name, known in KNOWN.items()}


_UA_API = re.compile(r"(?:^|\s)api/([A-Za-z0-9._-]+)")


def named_api(headers) -> str | None:
    """The service an SDK's user agent names (JS v3 ``api/lex-models-v2#3.x``, Go v2 ``api/lexmodelsv2#1.x``)."""
    for header in ("x-amz-user-agent", "user-agent"):
        for found in _UA_API.findall(headers.get(header) or ""):
            service = _api_ids().get(_plain(found))
            if service is not None:
                return service
    return None


def route(method: str, path: str, query: dict[str, list[str]], headers, signing: str | None) -> list[Match]:
    """Every (service, operation) the request can be, best first."""
    target = headers.get("x-amz-target")
    if target:
        found = _json_targets().get(target)
        return [Match(found[0], found[1], {})] if found else []
    if signing is not None and signing not in _SIGNERS:
        return []  # signed for a service none of ours is
    agents = (headers.get("x-amz-user-agent"), headers.get("user-agent"))
    query_names = frozenset(query)
    if len(method) + len(path) + sum(len(a) for a in agents if a) + sum(map(len, query_names)) > _MOST_CACHED:
        return list(_rest_route(method, path, query_names, signing, agents))
    return list(_cached_rest_route(method, path, query_names, signing, agents))


# Characters of a cached key (method, path, user agents, query names): a client repeats its own, and whatever others
# send, the cache holds at most 4,096 keys of this size.
_MOST_CACHED = 2048


def _rest_route(method: str, path: str, query: frozenset[str], signing: str | None,
                agents: tuple[str | None, str | None]) -> tuple[Match, ...]:
    """``route`` of a REST request: all it reads of the request is in the arguments, so a client's repeated
    calls (the same path, query names and user agent) are answered from the cache below.  (Its matches are
    shared: their ``uri_params`` are read, never written.)"""
    candidates = _candidates(signing or "*", method, _first_segment(path), path.strip("/").count("/") + 1)
    scored: list[tuple[tuple, Match]] = []
    named = named_api({"x-amz-user-agent": agents[0], "user-agent": agents[1]})
    for r in candidates:
        m = _pattern(r.regex).fullmatch(path)
        if m and all(q in query for q in r.query_literals):
            params = {name: unquote(m.group(f"p{i}")) for i, name in enumerate(r.params)}
            score = (named is not None and r.service == named, r.trailing_slash == path.endswith("/"), r.weight)
            scored.append((score, Match(r.service, r.operation, params)))
    scored.sort(key=lambda s: s[0], reverse=True)
    if named is not None and scored and scored[0][1].service == named:  # the SDK said which API: no other
        scored = [s for s in scored if s[1].service == named]
    elif path.endswith("/") and any(s[0][1] for s in scored):  # a slash is only ever sent where a template has one
        scored = [s for s in scored if s[0][1]]
    best: dict[str, Match] = {}
    for _, match in scored:  # one match per service: its most telling one
        best.setdefault(match.service, match)
    return tuple(best.values())


_cached_rest_route = lru_cache(maxsize=4096)(_rest_route)
