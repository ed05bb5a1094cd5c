"""Personalize errors, named as the model names them (json 1.1: all HTTP 400)."""

from __future__ import annotations

from ...aws.errors import AWSError


def invalid(message: str) -> AWSError:
    return AWSError("InvalidInputException", message)


def not_found(arn: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"Could not find resource with arn: {arn}")


def already_exists(arn: str) -> AWSError:
    return AWSError("ResourceAlreadyExistsException", f"A resource already exists with the arn: {arn}")


def in_use(message: str) -> AWSError:
    return AWSError("ResourceInUseException", message)


def limit(message: str) -> AWSError:
    return AWSError("LimitExceededException", message)


def invalid_token(message: str) -> AWSError:
    return AWSError("InvalidNextTokenException", message)


def too_many_tags(message: str) -> AWSError:
    return AWSError("TooManyTagsException", message)
