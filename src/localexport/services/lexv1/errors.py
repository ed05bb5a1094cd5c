"""Lex V1 errors, named as the model names them."""

from __future__ import annotations

from ...aws.errors import AWSError


def bad_request(message: str) -> AWSError:
    return AWSError("BadRequestException", message)


def not_found(message: str) -> AWSError:
    return AWSError("NotFoundException", message)


def conflict(message: str) -> AWSError:
    return AWSError("ConflictException", message)


def precondition(message: str) -> AWSError:
    return AWSError("PreconditionFailedException", message)


def in_use(message: str, reference_type: str, example: dict[str, str]) -> AWSError:
    """``example``: the ``{name, version}`` (or just ``name``) of one resource that refers to it."""
    return AWSError("ResourceInUseException", message, referenceType=reference_type, exampleReference=example)
