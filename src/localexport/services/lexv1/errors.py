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


def in_use(message: str, reference_type: str, example: str) -> AWSError:
    return AWSError("ResourceInUseException", message, referenceType=reference_type,
                    exampleReference={"name": example.split(":")[0], "version": example.split(":")[-1]})
