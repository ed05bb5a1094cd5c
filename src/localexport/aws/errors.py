"""Errors raised anywhere below a handler and serialized once, by the wire layer."""

from __future__ import annotations

from typing import Any


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
    """Input that fails the model's constraints; the code is chosen per service."""

    def __init__(self, messages: list[str]):
        count = len(messages)
        noun = "error" if count == 1 else "errors"
        super().__init__(
            "ValidationException",
            f"{count} validation {noun} detected: " + "; ".join(messages),
        )
        self.messages = messages


def not_implemented(service: str, operation: str) -> AWSError:
    return AWSError(
        "NotImplementedException",
        f"The operation {operation} of {service} is not implemented by localexport yet.",
        status=501,
    )
