"""One package per AWS service; this module names them, and imports each the first time it is needed."""

from __future__ import annotations

import importlib
import threading
from typing import Any

from ..core import inline
from ..core.runtime import Claim, Handler, JobName, Operations, Runtime
from ..core.store import Job

# The AWS service (its botocore model's name) -> the package that answers it.
PACKAGES = {
    "lexv2-models": "lexv2",
    "lexv2-runtime": "lexv2",
    "lex-models": "lexv1",
    "lex-runtime": "lexv1",
    "personalize": "personalize",
    "personalize-events": "personalize",
    "personalize-runtime": "personalize",
    "quicksight": "quicksight",
}


def _package(name: str) -> Any:
    return importlib.import_module(f"{__name__}.{name}")


def operations() -> dict[str, Operations]:
    """Every service's operations (each package imported)."""
    found = {}
    for name in dict.fromkeys(PACKAGES.values()):
        declared = _package(name).operations
        for ops in declared if isinstance(declared, tuple) else (declared,):
            found[ops.service] = ops
    return found


class Handlers(dict):
    """(service, operation) -> handler; a miss imports the service first (a test may replace an entry)."""

    def __init__(self, services: Services):
        super().__init__()
        self._services = services

    def __missing__(self, key: tuple[str, str]) -> Handler:
        self._services.operations(key[0])
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise KeyError(key)


class Services:
    """The services of one instance. A package is imported, and its job runners installed, at the first
    call, claim, console action or job of one of its services: the first call under ``mock_export()`` pays
    for the service it calls, not for all four (0.3 s of imports), and a server starts without any."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.handlers = Handlers(self)
        self._operations: dict[str, Operations] = {}
        self._lock = threading.Lock()
        runtime.engine.loader = self.operations  # a job of a service not called yet (recovered, or a worker's)

    def operations(self, service: str) -> Operations | None:
        """The operations of ``service`` (None: not one of ours)."""
        found = self._operations.get(service)
        if found is None and service in PACKAGES:
            inline.check()  # an import is no read: not on the event loop
            with self._lock:
                if service not in self._operations:
                    self._install(PACKAGES[service])
            found = self._operations.get(service)
        return found

    def _install(self, name: str) -> None:
        package = _package(name)
        package.install(self.runtime)
        declared = package.operations
        for ops in declared if isinstance(declared, tuple) else (declared,):
            for operation, handler in ops.handlers.items():
                self.handlers.setdefault((ops.service, operation), handler)  # (an entry a test replaced stays)
            self._operations[ops.service] = ops  # last: whoever sees it sees the runners and handlers too

    def claim(self, service: str, operation: str) -> Claim | None:
        ops = self.operations(service)
        return ops.claims.get(operation) if ops else None

    def console_action(self, service: str, action: str) -> Handler | None:
        ops = self.operations(service)
        return ops.console_actions.get(action) if ops else None

    def job_name(self, job: Job) -> JobName | None:
        """What the job's service calls it (None: its engine id, no output elsewhere)."""
        ops = self.operations(job.scope.service)
        namer = ops.job_names.get(job.kind) if ops else None
        return namer(job) if namer else None

    def validation(self, service: str) -> Any:
        """How ``service`` words a constraint failure (None: as the default)."""
        ops = self.operations(service)
        return ops.validation if ops else None
