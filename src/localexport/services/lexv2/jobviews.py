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


def list_bot_jobs(ctx: RequestContext, kind: str, params: dict[str, Any],
                  resource_types: dict[str, str]) -> tuple[list[Job], str | None]:
    """ListExports/ListImports: jobs filtered by bot, version, locale and resource type
    (``resource_types`` maps a resourceSpecification member to its type name)."""

    def keep(job: Job) -> bool:
        spec = job.spec["resourceSpecification"]
        member = single_member(spec, "list")
        target = spec[member]
        for field in ("botId", "botVersion", "localeId"):
            if params.get(field) is not None and target.get(field) != params[field]:
                return False
        return matches_filters(resource_types[member], params.get("filters", []))

    return listing(ctx, kind, params, keep)


def echo_bot_filters(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params.get(k) for k in ("botId", "botVersion", "localeId")}


def deletable(ctx: RequestContext, kind: str, job_id: str, label: str) -> Job:
    """A finished job that DeleteExport/DeleteImport may remove; an unknown or unfinished one is
    PreconditionFailedException, since these operations declare no ResourceNotFoundException (LV2-10)."""

    def refused(message: str) -> AWSError:
        return AWSError("PreconditionFailedException", f"{message[:-1]} or is not in a state that allows deletion.")

    job = load(ctx, kind, job_id, refused, label)
    if job.state in ("queued", "running", "deleting"):
        raise refused(f"{label} {job.id} is {STATUS[job.state]}.")
    return job
