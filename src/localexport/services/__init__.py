"""One package per AWS service; this module lists them."""

from ..core.runtime import Operations, Runtime
from . import lexv1, lexv2

_SERVICES = (lexv2, lexv1)


def operations() -> dict[str, Operations]:
    return {s.operations.service: s.operations for s in _SERVICES}


def install(runtime: Runtime) -> None:
    for service in _SERVICES:
        service.install(runtime)
