"""QuickSight errors, named as the model names them (the model gives each its HTTP status)."""

from __future__ import annotations

from ...aws.errors import AWSError


def _error(code: str, message: str, **fields) -> AWSError:
    return AWSError(code, message, **fields)  # the gateway adds RequestId


def invalid(message: str) -> AWSError:
    return _error("InvalidParameterValueException", message)


def not_found(message: str) -> AWSError:
    return _error("ResourceNotFoundException", message)


def exists(message: str) -> AWSError:
    return _error("ResourceExistsException", message)


def conflict(message: str) -> AWSError:
    return _error("ConflictException", message)


def limit(message: str) -> AWSError:
    return _error("LimitExceededException", message)


def access_denied(message: str) -> AWSError:
    return _error("AccessDeniedException", message)


def invalid_token(message: str) -> AWSError:
    return _error("InvalidNextTokenException", message)
