"""Opaque page tokens over an ordered list of items."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class InvalidToken(ValueError):
    pass


def _fingerprint(query: Any) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:12]


def page(items: Sequence[T], limit: int, token: str | None, query: Any = None) -> tuple[Sequence[T], str | None]:
    """One page of ``items`` and the token for the next, bound to ``query``.

    A token from another query, or not made here, is refused with InvalidToken.
    """
    start = 0
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode() + b"=="))
            start, bound = int(data["o"]), data["q"]
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("The nextToken is not valid.") from None
        if bound != _fingerprint(query) or start < 0:
            raise InvalidToken("The nextToken is not valid for this request.")
    end = start + limit
    if end >= len(items):  # the last page (most lists are one): no token, nothing to hash
        return items[start:], None
    raw = json.dumps({"o": end, "q": _fingerprint(query)}, separators=(",", ":")).encode()
    return items[start:end], base64.urlsafe_b64encode(raw).decode().rstrip("=")
