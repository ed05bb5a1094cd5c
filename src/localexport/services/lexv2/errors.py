"""Lex V2 errors, named as the model names them."""

from __future__ import annotations

from ...aws.errors import AWSError
from ...aws.models import operation


def validation(message: str) -> AWSError:
    return AWSError("ValidationException", message)


def conflict(message: str) -> AWSError:
    return AWSError("ConflictException", message)


def precondition(message: str) -> AWSError:
    return AWSError("PreconditionFailedException", message)


def in_use(message: str) -> AWSError:
    """What DeleteBot and DeleteBotVersion documents for a bot or version an alias uses; the model
    has no shape for it, so it is answered with a 400 as Lex V1's ResourceInUseException is."""
    return AWSError("ResourceInUseException", message, status=400)


def quota(message: str) -> AWSError:
    return AWSError("ServiceQuotaExceededException", message)


def not_found(op_name: str, message: str) -> AWSError:
    """A missing resource: ResourceNotFoundException where the operation declares it,
    else PreconditionFailedException (Create*/Delete* of children do not declare it)."""
    declared = {s.name for s in operation("lexv2-models", op_name).error_shapes}
    code = "ResourceNotFoundException" if "ResourceNotFoundException" in declared else "PreconditionFailedException"
    return AWSError(code, message)
