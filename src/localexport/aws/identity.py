"""Who is calling: account, region and signing service from SigV4 credentials.

By default signatures are not verified (as in every local emulator): the access key
id only selects the account, and the credential scope gives region and service.
With a credentials file (``LOCALEXPORT_CREDENTIALS``) the gateway verifies every
signature (signatures.Verifier) and the account is the one the file maps the key to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_QUERY_CREDENTIAL = re.compile(r"^([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request$")


@dataclass(frozen=True, slots=True)
class Caller:
    access_key: str
    account: str
    region: str
    signing_service: str | None


def account_for(access_key: str) -> str:
    return access_key if len(access_key) == 12 and access_key.isdigit() else DEFAULT_ACCOUNT


def caller_from(authorization: str | None, query_credential: str | None = None,
                query_v2_key: str | None = None) -> Caller:
    """``query_v2_key``: the AWSAccessKeyId of a SigV2 presigned URL."""
    v2 = authorization[4:].split(":", 1)[0] if authorization and authorization.startswith("AWS ") else query_v2_key
    if v2 and not query_credential:  # Signature Version 2 is S3's alone (botocore still presigns S3 URLs with it)
        return Caller(v2, account_for(v2), DEFAULT_REGION, "s3")
    match = None
    if authorization:
        match = _CREDENTIAL.search(authorization)
    elif query_credential:
        match = _QUERY_CREDENTIAL.match(query_credential)
    if not match:
        return _ANONYMOUS
    key, region, service = match.groups()
    if len(key) + len(region) + len(service) > 256:  # (never a real scope: not kept)
        return Caller(key, account_for(key), region, service)
    return _signed(key, region, service)


_ANONYMOUS = Caller("", DEFAULT_ACCOUNT, DEFAULT_REGION, None)


@lru_cache(maxsize=1024)
def _signed(key: str, region: str, service: str) -> Caller:
    """(One for each credential scope a client signs with: made once, as a frozen dataclass costs to make.)"""
    return Caller(key, account_for(key), region, service)
