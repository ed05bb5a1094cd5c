"""Errors raised anywhere below a handler and serialized once, by the wire layer."""

from __future__ import annotations

import errno
import os
from typing import Any

# How much of a client's value an error message echoes, and how long any message gets.  No AWS source states a
# rule: real messages have been seen echoing whole values (CloudFormation quotes 51 KB templates back,
# aws-amplify/amplify-cli#14855) and others leaving sensitive ones out.  These bounds are ours: enough to recognise
# a value, never a 40 MiB description returned in its error.
MAX_ECHO = 1024
MAX_MESSAGE = 8192


def cut(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` as an error message may show it: its first ``limit`` characters, "..." marking a cut."""
    return text if len(text) <= limit else text[:limit] + "..."


class AWSError(Exception):
    """An error named as the service model names it (e.g. ResourceNotFoundException).

    The serializer looks the code up in the model to pick the HTTP status; ``status``
    overrides it for errors the model does not declare (routing, protocol errors).
    """

    def __init__(self, code: str, message: str, *, status: int | None = None, **fields: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


class ValidationError(AWSError):
    """Input that fails the model's constraints; the code is chosen per service.

    ``messages`` may hold only the first of more failures (``total`` counts them all, see validation.Problems)."""

    def __init__(self, messages: list[str]):
        count = getattr(messages, "total", len(messages))
        noun = "error" if count == 1 else "errors"
        super().__init__(
            "ValidationException",
            cut(f"{count} validation {noun} detected: " + "; ".join(messages), MAX_MESSAGE),
        )
        self.messages = messages


def not_implemented(service: str, operation: str) -> AWSError:
    return AWSError(
        "NotImplementedException",
        f"The operation {operation} of {service} is not implemented by localexport yet.",
        status=501,
    )


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})
# SQLite reports the same conditions without an errno.
_SQLITE_WRITE_FAILURES = {"database or disk is full": errno.ENOSPC, "attempt to write a readonly database": errno.EROFS}


def write_failure(error: BaseException) -> str | None:
    """"The server could not write its data dir: <cause>" when ``error``, or what it wraps (SQLAlchemy,
    a runner), is a full, read-only or over-quota disk; else None."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        number = cause.errno if isinstance(cause, OSError) else next(
            (n for text, n in _SQLITE_WRITE_FAILURES.items() if text in str(cause)), None)
        if number in _WRITE_FAILURES:
            return f"The server could not write its data dir: {os.strerror(number)}"
        cause = cause.__cause__ or cause.__context__
    return None


def internal_error(code: str, error: BaseException) -> AWSError:
    """The 500 for a fault of ours; a full, read-only or over-quota disk says so (an operator can act on it)."""
    reason = write_failure(error)
    if reason is not None:
        return AWSError(code, reason, status=500)
    return AWSError(code, "Internal server error.", status=500)
