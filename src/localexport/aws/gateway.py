"""One AWS request, start to end: route -> (verify the signature, when configured) -> parse -> handler -> serialize.

Knows no service: handlers come in through ``dispatch``; everything the SDKs
see on the wire (status, headers, error form) is decided here and in protocols.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from .errors import AWSError, cut, internal_error
from .identity import Caller, caller_from
from .models import internal_error_code, service_model
from .protocols import body_members, has_content, input_members, parse_request, serialize_error, serialize_response
from .request_ids import new_request_id
from .routing import Match, route
from .signatures import SignatureError, Verifier
from .validation import DEFAULT_STYLE, ValidationStyle

log = logging.getLogger(__name__)

# (caller, service, operation, input, base URL of this server as the caller reached it, request id) -> output
Dispatch = Callable[[Caller, str, str, dict[str, Any], str, str], dict[str, Any]]
# (caller, service, operation, input) -> whether that service holds what the request names (an id, an ARN)
Claims = Callable[[Caller, str, str, dict[str, Any]], bool]


@dataclass(slots=True)
class WireResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def has_content(self) -> bool:
        """False for 204/304 (and 1xx): the server must then send neither body nor Content-Length."""
        return has_content(self.status)


_TOO_LARGE = AWSError("RequestEntityTooLargeException", "Request body is too large.", status=413)

# Operations that only read (by AWS's naming), which a server may answer on its event loop (``handle(inline=True)``)
_READS = ("Describe", "List", "Get", "Search")


class WouldBlock(Exception):
    """A call answered inline would wait or change something: nothing has changed yet; answer it on a thread."""


class Gateway:
    def __init__(self, dispatch: Dispatch, max_body: int, claims: Claims | None = None,
                 style_of: Callable[[str], ValidationStyle | None] | None = None, verifier: Verifier | None = None):
        self.dispatch = dispatch
        self.max_body = max_body
        self.claims = claims
        self._style_of = style_of  # service -> how it words a constraint failure (None: the default)
        self.verifier = verifier  # None: signatures unchecked, the access key's digits pick the account

    def _style(self, service: str | None) -> ValidationStyle:
        found = self._style_of(service) if service is not None and self._style_of is not None else None
        return found or DEFAULT_STYLE

    def _parse(self, match: Match, query, headers, body: bytes) -> dict:
        return parse_request(match.operation, match.uri_params, query, headers, body, self._style(match.service))

    def too_large(self) -> WireResponse:
        """The answer to a body over ``max_body``, for servers that stop reading it early."""
        status, headers, body = serialize_error(None, _TOO_LARGE)
        headers["x-amzn-RequestId"] = new_request_id()
        return WireResponse(status, headers, body)

    def handle(
        self, method: str, path: str, query_string: str, headers: Mapping[str, str], body: bytes, base_url: str,
        inline: bool = False,
    ) -> WireResponse:
        """``headers`` must have lower-case names.  ``inline``: the caller is the event loop, which only reads
        (anything else raises ``WouldBlock``, here or in the handler, before it changes anything)."""
        request_id = new_request_id()
        query = parse_qs(query_string, keep_blank_values=True)
        caller = caller_from(headers.get("authorization"), (query.get("X-Amz-Credential") or [None])[0])
        service = operation = None
        try:
            if len(body) > self.max_body:
                raise _TOO_LARGE
            candidates = route(method, path, query, headers, caller.signing_service)
            if candidates:
                service = candidates[0].service  # whose errors a request no candidate can parse gets
                if inline and not all(c.operation.name.startswith(_READS) for c in candidates):
                    raise WouldBlock
            if self.verifier is not None:  # before anything else: AWS tells an unsigned caller nothing
                caller = self._authenticate(caller, service, method, path, query_string, headers, body)
            if not candidates:
                raise AWSError(
                    "UnknownOperationException", f"No operation matches {cut(method, 16)} {cut(path)}.", status=404
                )
            match, params = self._choose(caller, candidates, query, headers, body)
            service, operation = match.service, match.operation.name
            output = self.dispatch(caller, service, operation, params, base_url, request_id)
            status, out_headers, out_body = serialize_response(service, match.operation, output or {})
        except AWSError as error:
            status, out_headers, out_body = serialize_error(service, error, request_id,
                                                            self._style(service))
        except WouldBlock:
            raise
        except Exception as error:  # a fault of ours (or of our disk), never the client's input
            log.exception("unhandled error in %s %s", method, cut(path))
            code = internal_error_code(service, operation) if service else "InternalFailure"
            status, out_headers, out_body = serialize_error(service, internal_error(code, error), request_id)
        out_headers["x-amzn-RequestId"] = request_id
        return WireResponse(status, out_headers, out_body)

    def _authenticate(self, caller: Caller, service: str | None, method: str, path: str, query_string: str,
                      headers: Mapping[str, str], body: bytes) -> Caller:
        """The caller, in the account its verified key maps to.  Auth errors of the json protocol's services are
        400s (Coral: UnrecognizedClientException/InvalidSignatureException from Kinesis, ECS, Cognito come back
        400), of the rest-json ones 403 (Lambda, Glacier); botocore takes the code from either."""
        try:
            account = self.verifier.verify(method, path, query_string, headers, body)
        except SignatureError as error:
            json_protocol = service is not None and service_model(service).protocol == "json"
            raise AWSError(error.code, error.message, status=400 if json_protocol else error.status) from None
        return replace(caller, account=account)

    def _choose(self, caller: Caller, candidates: list[Match], query, headers, body: bytes) -> tuple[Match, dict]:
        """The candidate the request is for, parsed.

        One that parses, sends no body member its input lacks, and whose service claims what the request
        names (holds its id, has its ARN's form) wins, best ranked first.  Failing a claim: the best ranked
        candidate's complaint if it does not parse (a request is never given to another model only because
        it is invalid in the one it looks like), else the best ranked that fits the body."""
        best = candidates[0]
        if len(candidates) == 1:
            return best, self._parse(best, query, headers, body)
        parsed: list[tuple[Match, dict]] = []
        best_error: AWSError | None = None
        for match in candidates:
            try:
                parsed.append((match, self._parse(match, query, headers, body)))
            except AWSError as error:
                best_error = error if match is best else best_error
        sent = body_members(body)
        fitting = [(m, p) for m, p in parsed if sent <= input_members(m.operation)]
        if self.claims is not None:
            for match, params in fitting:
                if self.claims(caller, match.service, match.operation.name, params):
                    return match, params
        if best_error is not None:
            raise best_error
        return fitting[0] if fitting else parsed[0]  # the best ranked whose input has what the body sends
