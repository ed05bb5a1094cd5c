"""Optional SigV4 verification, for a shared instance: who may call, and in which account.

Off unless ``LOCALEXPORT_CREDENTIALS`` names a credentials file, a JSON object of access key id -> secret
access key and account::

    {"AKIAIOSFODNN7EXAMPLE": {"secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "account": "111111111111"}}

Each request's signature is recomputed with botocore's own signer (its canonical request, string to sign and
signing key: nothing of the algorithm is written here) from the method, the path and query as sent, the headers
its SignedHeaders names and the body (or, for S3, the ``x-amz-content-sha256`` it signed), then compared in
constant time.  Header (``Authorization``) and presigned (query) SigV4 are verified for every service; S3's
Signature Version 2, which botocore still presigns S3 URLs with, too (path-style URLs).  S3 streaming bodies
(``STREAMING-*``) and ``UNSIGNED-PAYLOAD`` are taken as signed; chunk signatures are not checked.  Session
tokens are not checked either: the file has no tokens.

Failures raise SignatureError, named as AWS names them per family: S3's XML codes (SignatureDoesNotMatch,
InvalidAccessKeyId, AccessDenied, ...) or the JSON services' (InvalidSignatureException,
UnrecognizedClientException, MissingAuthenticationTokenException, ...).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.auth import (
    SIGV4_TIMESTAMP,
    HmacV1Auth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import HTTPHeaders
from botocore.credentials import Credentials

from .errors import AWSError

_MISMATCH = "The request signature we calculated does not match the signature you provided."

# (code, message, status) per failure, as the JSON services and S3 answer it.  The JSON services' statuses are
# those of rest-json; the gateway answers 400 for the json protocol (see gateway._authenticate).
_JSON = {
    "missing": ("MissingAuthenticationTokenException", "Request is missing Authentication Token", 403),
    "incomplete": ("IncompleteSignatureException", "The request signature does not conform to AWS standards.", 400),
    "unknown": ("UnrecognizedClientException", "The security token included in the request is invalid.", 403),
    "mismatch": ("InvalidSignatureException", (f"{_MISMATCH} Check your AWS Secret Access Key and signing method. "
                                               "Consult the service documentation for details."), 403),
    "expired": ("InvalidSignatureException", "Signature expired: {date} is now earlier than {limit} ({now} - {window})",
                403),
    "early": ("InvalidSignatureException",
              "Signature not yet current: {date} is still later than {limit} ({now} + {window})", 403),
}
_JSON["skewed"] = _JSON["expired"]
_JSON["body"] = _JSON["mismatch"]
_S3 = {
    "missing": ("AccessDenied", "Access Denied", 403),
    "incomplete": ("AuthorizationHeaderMalformed", "The authorization header is malformed.", 400),
    "unknown": ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", 403),
    "mismatch": ("SignatureDoesNotMatch", f"{_MISMATCH} Check your key and signing method.", 403),
    "expired": ("AccessDenied", "Request has expired", 403),
    "skewed": ("RequestTimeTooSkewed", "The difference between the request time and the current time is too large.",
               403),
    "body": ("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
             400),
    "not_yet": ("AccessDenied", "Request is not valid yet", 403),
}
_JSON["not_yet"] = _JSON["early"]
# A presigned URL lives at most a week, in S3's words (and the same rule for the JSON services' query signatures).
_MAX_EXPIRES = 7 * 24 * 3600
for _family, _code in ((_S3, "AuthorizationQueryParametersError"), (_JSON, "IncompleteSignatureException")):
    _family["too_long"] = (_code, f"X-Amz-Expires must be less than a week (in seconds) that is; {_MAX_EXPIRES}", 400)
    _family["negative"] = (_code, "X-Amz-Expires must be non-negative", 400)

# How far a header-signed request's time may be from ours: 5 minutes for the JSON services ("Signature expired:
# ... (... - 5 min.)"), 15 for S3 (RequestTimeTooSkewed).
_SKEW = {False: 5 * 60, True: 15 * 60}

_AUTH_PARTS = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SignatureError(AWSError):
    """A request that does not prove who sent it; ``kind`` is one of the keys above."""

    def __init__(self, kind: str, s3: bool, **details: str):
        code, message, status = (_S3 if s3 else _JSON)[kind]
        super().__init__(code, message.format(**details) if details else message, status=status)
        self.kind = kind
        self.s3 = s3

    def s3_xml(self, request_id: str = "") -> bytes:
        """S3's error document for this failure."""
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
                f"<Message>{escape(self.message)}</Message><RequestId>{escape(request_id)}</RequestId></Error>"
                ).encode()


@dataclass(frozen=True, slots=True)
class Key:
    secret: str
    account: str


class _Request(SimpleNamespace):
    """What botocore's signers read of a request: method, url, headers, body, params, context."""


def _signed_only(base: type) -> type:
    class Signer(base):
        """botocore's signer, signing exactly the headers the request says it signed."""

        def __init__(self, credentials, service, region, signed: list[str]):
            super().__init__(credentials, service, region)
            self._signed = signed

        def headers_to_sign(self, request):
            found = HTTPHeaders()
            for name in self._signed:
                if name in request.headers:
                    found[name] = request.headers[name]
            return found

    return Signer


_SIGNERS = {(False, False): _signed_only(SigV4Auth), (True, False): _signed_only(S3SigV4Auth),
            (False, True): _signed_only(SigV4QueryAuth), (True, True): _signed_only(S3SigV4QueryAuth)}


class _V2(HmacV1Auth):
    """botocore's S3 Signature Version 2, dated as the request was (it would otherwise stamp the time now)."""

    def __init__(self, credentials, date: str):
        super().__init__(credentials)
        self._date = date

    def _get_date(self):
        return self._date


class Verifier:
    def __init__(self, keys: Mapping[str, Key], now: Callable[[], float] = time.time):
        self.keys = dict(keys)
        self.now = now

    @classmethod
    def load(cls, path: Path | str) -> Verifier:
        """Read a credentials file (format in the module docstring); a malformed one stops start-up."""
        document = json.loads(Path(path).read_text())
        if not isinstance(document, dict):
            raise TypeError(f"{path}: expected a JSON object of access key -> {{secret, account}}")
        keys = {}
        for access_key, entry in document.items():
            if not (isinstance(entry, dict) and isinstance(entry.get("secret"), str) and entry["secret"]
                    and re.fullmatch(r"\d{12}", str(entry.get("account", "")))):
                raise ValueError(f"{path}: {access_key} needs a non-empty secret and a 12-digit account")
            keys[access_key] = Key(entry["secret"], entry["account"])
        return cls(keys)

    def verify(self, method: str, raw_path: str, query_string: str, headers: Mapping[str, str],
               body: bytes | None, *, s3: bool = False) -> str:
        """The caller's account, if the request is signed by a known key; else SignatureError.

        ``raw_path`` and ``query_string`` as sent (still percent-encoded); ``headers`` with lower-case names;
        ``body`` None where it is streamed (its hash is then the signed ``x-amz-content-sha256``); ``s3`` for
        requests to S3, whose errors and rules differ (also taken from a credential scoped to s3)."""
        pairs = [(unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in query_string.split("&") if p)]
        query = dict(pairs)
        authorization = headers.get("authorization", "")
        if authorization.startswith("AWS ") or ("AWSAccessKeyId" in query and "Signature" in query):
            return self._verify_v2(method, raw_path, query_string, query, headers, authorization)
        if authorization.startswith("AWS4-HMAC-SHA256 "):
            parts = dict(_AUTH_PARTS.findall(authorization))
            credential, signed, signature = (parts.get(k) for k in ("Credential", "SignedHeaders", "Signature"))
            date, presigned = headers.get("x-amz-date") or _basic(headers.get("date")), False
        elif "X-Amz-Credential" in query:
            credential, signed, signature = (query.get(k) for k in
                                             ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"))
            date, presigned = query.get("X-Amz-Date"), True
            pairs = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
        else:
            raise SignatureError("missing", s3)
        scope = (credential or "").split("/")  # key/day/region/service/aws4_request
        s3 = s3 or (len(scope) == 5 and scope[3] == "s3")
        if not (signed and signature and date and len(scope) == 5 and scope[4] == "aws4_request"):
            raise SignatureError("incomplete", s3)
        access_key, _day, region, service, _ = scope
        key = self._key(access_key, s3)
        self._check_time(date, query.get("X-Amz-Expires") if presigned else None, s3)
        content_hash = headers.get("x-amz-content-sha256")
        if body is not None and content_hash and _SHA256.match(content_hash) \
                and not hmac.compare_digest(content_hash, hashlib.sha256(body).hexdigest()):
            raise SignatureError("body", s3)  # the signature covers the claimed hash: the body must have it
        signer = _SIGNERS[s3, presigned](Credentials(access_key, key.secret), service, region, signed.split(";"))
        request = _Request(method=method, url=f"http://{headers.get('host', '')}{raw_path}",
                           headers=HTTPHeaders(), body=body or b"", params=pairs, context={"timestamp": date})
        for name, value in headers.items():
            request.headers[name] = value
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not _same(expected, signature):
            raise SignatureError("mismatch", s3)
        return key.account

    def _key(self, access_key: str, s3: bool) -> Key:
        key = self.keys.get(access_key)
        if key is None:
            raise SignatureError("unknown", s3)
        return key

    def _check_time(self, date: str, expires: str | None, s3: bool) -> None:
        try:
            signed_at = datetime.strptime(date, SIGV4_TIMESTAMP).replace(tzinfo=UTC).timestamp()
            lifetime = int(expires) if expires is not None else None
        except ValueError:
            raise SignatureError("incomplete", s3) from None
        now = self.now()
        if lifetime is not None:  # presigned: good from its date for its X-Amz-Expires seconds
            if lifetime < 0:
                raise SignatureError("negative", s3)
            if lifetime > _MAX_EXPIRES:
                raise SignatureError("too_long", s3)
            if signed_at > now + _SKEW[s3]:  # dated ahead: it would otherwise outlive its lifetime
                raise SignatureError("not_yet", s3, **_window(signed_at, now, _SKEW[s3]))
            if now > signed_at + lifetime:
                raise SignatureError("expired", s3, **_window(signed_at, now, -lifetime))
        elif signed_at < now - _SKEW[s3]:
            raise SignatureError("skewed", s3, **_window(signed_at, now, -_SKEW[s3]))
        elif signed_at > now + _SKEW[s3]:
            raise SignatureError("skewed" if s3 else "early", s3, **_window(signed_at, now, _SKEW[s3]))

    def _verify_v2(self, method: str, raw_path: str, query_string: str, query: dict[str, str],
                   headers: Mapping[str, str], authorization: str) -> str:
        """S3's Signature Version 2, in an ``Authorization: AWS key:signature`` header or a presigned URL."""
        if authorization.startswith("AWS "):
            access_key, _, signature = authorization[4:].partition(":")
            date = "" if "x-amz-date" in headers else headers.get("date", "")  # the Date line, empty under x-amz-date
        else:
            access_key, signature, date = query["AWSAccessKeyId"], query["Signature"], query.get("Expires", "")
        key = self._key(access_key, True)
        try:
            if authorization:
                if abs(self.now() - parsedate_to_datetime(headers.get("x-amz-date") or date).timestamp()) > _SKEW[True]:
                    raise SignatureError("skewed", True)
            elif self.now() > int(date):
                raise SignatureError("expired", True)
        except (TypeError, ValueError):
            raise SignatureError("incomplete", True) from None
        signer = _V2(Credentials(access_key, key.secret), date)
        signed = HTTPHeaders()
        for name, value in headers.items():
            if name != "date":
                signed[name] = value
        expected = signer.get_signature(method, urlsplit(f"http://host{raw_path}?{query_string}"), signed)
        if not _same(expected, signature):
            raise SignatureError("mismatch", True)
        return key.account


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison, for any text a client sends (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def _basic(date: str | None) -> str | None:
    """An HTTP Date header as SigV4's timestamp (the spec lets it stand in for X-Amz-Date)."""
    try:
        return parsedate_to_datetime(date).astimezone(UTC).strftime(SIGV4_TIMESTAMP) if date else None
    except (TypeError, ValueError):
        return None


def _window(signed_at: float, now: float, window: int) -> dict[str, str]:
    """The parts of AWS's "Signature expired: <date> is now earlier than <limit> (<now> - 5 min.)"."""
    def stamp(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).strftime(SIGV4_TIMESTAMP)

    size = abs(window)
    return {"date": stamp(signed_at), "limit": stamp(now + window), "now": stamp(now),
            "window": f"{size // 60} min." if size % 60 == 0 else f"{size} s"}
