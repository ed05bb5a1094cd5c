"""What a handler gets: the process-wide parts and the caller's scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..aws.validation import ValidationStyle
from .artifacts import Artifacts
from .clock import Clock
from .embedded_s3 import EmbeddedS3
from .ids import Ids
from .jobs import JobEngine
from .objects import ObjectStore
from .store import Job, Scope, Store
from .urls import UrlSigner


@dataclass(frozen=True)
class Limits:
    """What an uploaded archive may hold before it is refused as hostile."""

    archive_entries: int = 10_000
    archive_bytes: int = 100 * 1024 * 1024


@dataclass
class Runtime:
    store: Store
    artifacts: Artifacts
    clock: Clock
    ids: Ids
    engine: JobEngine
    urls: UrlSigner
    limits: Limits = Limits()
    objects: ObjectStore = field(default_factory=EmbeddedS3)
    # Free-form settings a service reads (e.g. ``export_part_rows``).
    options: dict[str, Any] = field(default_factory=dict)
    # What a service keeps in memory for this instance (by a name of its own), e.g. a built bot's NLU model:
    # derived from the store, rebuilt when missing, gone with the instance.
    caches: dict[str, Any] = field(default_factory=dict)


@dataclass
class RequestContext:
    runtime: Runtime
    account: str
    region: str
    service: str
    operation: str
    base_url: str
    request_id: str = ""  # the x-amzn-RequestId of the answer (some services repeat it in the body)

    @property
    def scope(self) -> Scope:
        return Scope(self.account, self.region, self.service)

    def as_service(self, service: str) -> RequestContext:
        """The same call seen from another service's scope (a runtime reading the bots its models API made)."""
        return replace(self, service=service)

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def ids(self) -> Ids:
        return self.runtime.ids

    @property
    def engine(self) -> JobEngine:
        return self.runtime.engine


Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
Claim = Callable[[RequestContext, dict[str, Any]], bool]


@dataclass(frozen=True)
class JobName:
    """How the service's own API names a job (the engine id is often a hash of it), and where its result
    is when it lives in the account's S3 rather than as an archive."""

    aws_id: str
    output: str | None = None  # an s3:// URI


Namer = Callable[[Job], JobName]


class Operations:
    """Handlers of one service, registered by operation name."""

    def __init__(self, service: str, validation: ValidationStyle | None = None):
        self.service = service
        self.validation = validation  # how this service words constraint failures, where not as the default
        self.handlers: dict[str, Handler] = {}
        self.claims: dict[str, Claim] = {}
        self.console_actions: dict[str, Handler] = {}
        self.job_names: dict[str, Namer] = {}  # job kind -> its name; a kind not here is named by its engine id

    def __call__(self, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[name] = fn
            return fn

        return register

    def console(self, name: str) -> Callable[[Handler], Handler]:
        """An action the AWS console has and the API lacks (or what stands in for an AWS service here, such as a
        Lambda function), offered through the test controls."""

        def register(fn: Handler) -> Handler:
            self.console_actions[name] = fn
            return fn

        return register

    def names_jobs(self, *kinds: str) -> Callable[[Namer], Namer]:
        """How jobs of ``kinds`` are named by the service's API, for the test controls and the CLI."""

        def register(fn: Namer) -> Namer:
            for kind in kinds:
                self.job_names[kind] = fn
            return fn

        return register

    def claim(self, *names: str) -> Callable[[Claim], Claim]:
        """Where another service's operation has the same route, whether a request for ``names``
        names something of this service (its id exists here, its ARN has this service's form)."""

        def register(fn: Claim) -> Claim:
            for name in names:
                self.claims[name] = fn
            return fn

        return register


def holds_job(kind: str, id_param: str) -> Claim:
    """A claim for operations naming a job: the caller has a job of ``kind`` with that id."""

    def claim(ctx: RequestContext, params: dict[str, Any]) -> bool:
        job = ctx.store.get_job(params[id_param], ctx.scope)
        return job is not None and job.kind == kind

    return claim
