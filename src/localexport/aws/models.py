"""The botocore service models localexport speaks, loaded once."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICES = ("lexv2-models", "lex-models", "personalize", "personalize-events", "quicksight")

# The error each service uses for input that fails model constraints.
_VALIDATION_ERRORS = (
    "ValidationException",
    "BadRequestException",
    "InvalidInputException",
    "InvalidParameterValueException",
)


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


def signing_name(model: ServiceModel) -> str:
    return model.metadata.get("signingName") or model.metadata["endpointPrefix"]


@cache
def operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


@cache
def error_shape_names(service: str) -> frozenset[str]:
    return frozenset(s.name for s in service_model(service).error_shapes)


@cache
def validation_error_code(service: str) -> str:
    names = error_shape_names(service)
    return next(n for n in _VALIDATION_ERRORS if n in names)
