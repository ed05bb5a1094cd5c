"""Personalize errors, named as the model names them (json 1.1: all HTTP 400)."""

from __future__ import annotations

from ...aws.errors import AWSError


def invalid(message: str) -> AWSError:
    return AWSError("InvalidInputException", message)


# One wording for every Personalize resource, as real answers read: moto's captures for a missing
# resource, and a real CreateSchema answer quoted in aws-samples/retail-demo-store#219 for a duplicate.
def not_found(arn: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"Resource Arn {arn} does not exist.")


def already_exists(arn: str) -> AWSError:
    return AWSError("ResourceAlreadyExistsException", f"Another resource with Arn {arn} already exists.")


def in_use(message: str) -> AWSError:
    return AWSError("ResourceInUseException", message)


def limit(message: str) -> AWSError:
    return AWSError("LimitExceededException", message)


def invalid_token(message: str) -> AWSError:
    return AWSError("InvalidNextTokenException", message)


def too_many_tags(message: str) -> AWSError:
    return AWSError("TooManyTagsException", message)
