"""The botocore service models localexport speaks, loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICES = ("lexv2-models", "lexv2-runtime", "lex-models", "lex-runtime", "personalize", "personalize-events",
            "personalize-runtime", "quicksight")


@dataclass(frozen=True)
class Known:
    """What is needed of a model before loading it (a test holds these to the models): the mock's botocore
    hook and the user-agent routing need the ``serviceId``, the route tables which services a request signed
    for a name can be and their protocol. A model loads in 5 to 60 ms; a call should load only its own."""

    service_id: str
    signing_name: str
    protocol: str


KNOWN = {
    "lexv2-models": Known("Lex Models V2", "lex", "rest-json"),
    "lexv2-runtime": Known("Lex Runtime V2", "lex", "rest-json"),
    "lex-models": Known("Lex Model Building Service", "lex", "rest-json"),
    "lex-runtime": Known("Lex Runtime Service", "lex", "rest-json"),
    "personalize": Known("Personalize", "personalize", "json"),
    "personalize-events": Known("Personalize Events", "personalize", "rest-json"),
    "personalize-runtime": Known("Personalize Runtime", "personalize", "rest-json"),
    "quicksight": Known("QuickSight", "quicksight", "rest-json"),
}

# The error each service uses for input that fails model constraints.
_VALIDATION_ERRORS = (
    "ValidationException",
    "BadRequestException",
    "InvalidInputException",
    "InvalidParameterValueException",
)


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()  # one for all models: a session costs 15 ms to make


@cache
def service_model(name: str) -> ServiceModel:
    return _session().get_service_model(name)


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


@cache
def internal_error_code(service: str, operation_name: str | None = None) -> str:
    """The error a service answers for a fault of its own: the Internal* error the operation declares (QuickSight
    names two), else the model's, else AWS's common ``InternalFailure`` (Personalize declares none; its API
    reference's Common Errors page lists InternalFailure, HTTP 500)."""
    model = service_model(service)
    pools = [model.error_shapes]
    if operation_name is not None:
        pools.insert(0, model.operation_model(operation_name).error_shapes)
    for shapes in pools:
        for shape in shapes:
            if shape.name.startswith("Internal"):
                return shape.name
    return "InternalFailure"
