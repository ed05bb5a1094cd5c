"""What Lex V2 export and import jobs share: status names, retention, lookup and listing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...aws.errors import AWSError
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import Job
from .errors import validation

RETENTION = 7 * 24 * 3600  # exports and imports are listed for 7 days
STATUS = {"queued": "InProgress", "running": "InProgress", "succeeded": "Completed", "failed": "Failed",
          "deleting": "Deleting"}


def single_member(spec: dict[str, Any], what: str) -> str:
    members = [k for k, v in spec.items() if v is not None]
    if len(members) != 1:
        raise validation(f"You can only specify one type of resource to {what}: provide exactly one member of "
                         "resourceSpecification.")
    return members[0]


def load(ctx: RequestContext, kind: str, job_id: str, missing: Callable[[str], AWSError], label: str) -> Job:
    ctx.engine.expire(ctx.scope, kind, RETENTION)
    job = ctx.store.get_job(job_id, ctx.scope)
    if job is None or job.kind != kind:
        raise missing(f"{label} {job_id} does not exist.")
    return job


def listing(ctx: RequestContext, kind: str, params: dict[str, Any], keep: Callable[[Job], bool]) -> tuple[list[Job], str | None]:
    """Jobs of ``kind`` that ``keep`` selects, sorted by last update (newest first unless asked) and paged."""
    ctx.engine.expire(ctx.scope, kind, RETENTION)
    selected = [j for j in ctx.store.jobs(ctx.scope, kind) if keep(j)]
    sort = params.get("sortBy")
    selected.sort(key=lambda j: j.updated_at, reverse=not sort or sort["order"] == "Descending")
    try:
        return page(selected, params.get("maxResults", 50), params.get("nextToken"),
                    {k: v for k, v in params.items() if k not in ("maxResults", "nextToken")})
    except InvalidToken as error:
        raise validation(str(error)) from None


def matches_filters(value: str, filters: list[dict[str, Any]]) -> bool:
    for flt in filters:
        wanted = flt["values"]
        if flt["operator"] == "EQ" and value not in wanted:
            return False
        if flt["operator"] == "CO" and not any(w.lower() in value.lower() for w in wanted):
            return False
    return True
