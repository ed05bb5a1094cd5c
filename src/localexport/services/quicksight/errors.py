"""QuickSight errors, named as the model names them (the model gives each its HTTP status)."""

from __future__ import annotations

from ...aws.errors import AWSError


def _error(code: str, message: str, resource_type: str | None = None) -> AWSError:
    """``resource_type``: the ResourceType member some errors carry (USER, GROUP, NAMESPACE, ...)."""
    fields = {"ResourceType": resource_type} if resource_type else {}
    return AWSError(code, message, **fields)  # the gateway adds RequestId


def invalid(message: str) -> AWSError:
    return _error("InvalidParameterValueException", message)


def not_found(message: str, resource_type: str | None = None) -> AWSError:
    return _error("ResourceNotFoundException", message, resource_type)


def exists(message: str, resource_type: str | None = None) -> AWSError:
    return _error("ResourceExistsException", message, resource_type)


def conflict(message: str) -> AWSError:
    return _error("ConflictException", message)


def limit(message: str, resource_type: str | None = None) -> AWSError:
    return _error("LimitExceededException", message, resource_type)


def access_denied(message: str) -> AWSError:
    return _error("AccessDeniedException", message)


def invalid_token(message: str) -> AWSError:
    return _error("InvalidNextTokenException", message)
