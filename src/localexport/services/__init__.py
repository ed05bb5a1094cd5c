"""One package per AWS service; this module lists them."""

from ..core.runtime import Operations, Runtime
from . import lexv1, lexv2, personalize, quicksight

_SERVICES = (lexv2, lexv1, personalize, quicksight)


def operations() -> dict[str, Operations]:
    found = {}
    for service in _SERVICES:
        for ops in service.operations if isinstance(service.operations, tuple) else (service.operations,):
            found[ops.service] = ops
    return found


def install(runtime: Runtime) -> None:
    for service in _SERVICES:
        service.install(runtime)
