"""What Personalize's named jobs (dataset import, export and data deletion jobs) share: ids from ARNs,
statuses, listing, the runner's context."""

from __future__ import annotations

from typing import Any

from ...core.jobs import scoped_job_id
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import resources as r
from .errors import already_exists, not_found

STATUS = {"queued": "CREATE PENDING", "running": "CREATE IN_PROGRESS", "succeeded": "ACTIVE",
          "failed": "CREATE FAILED", "deleting": "CREATE FAILED"}
Statuses = dict[str, str]  # the engine's job states -> a job type's status vocabulary
ACTIVE_STATES = ("queued", "running")


def job_id(ctx: RequestContext, arn: str) -> str:
    return scoped_job_id(r.scope(ctx), arn)


def submit(ctx: RequestContext, kind: str, arn_part: str, arn_field: str, spec: dict[str, Any]) -> str:
    arn = r.arn(ctx, f"{arn_part}/{spec['jobName']}")
    if ctx.store.get_job(job_id(ctx, arn)) is not None:
        raise already_exists(arn)
    ctx.engine.submit(r.scope(ctx), kind, job_id(ctx, arn), {**spec, "arn": arn, "arnField": arn_field})
    return arn


def load(ctx: RequestContext, kind: str, arn: str) -> Job:
    job = ctx.store.get_job(job_id(ctx, arn), r.scope(ctx))
    if job is None or job.kind != kind:
        raise not_found(arn)
    return job


def view(job: Job, members: tuple[str, ...], status: Statuses = STATUS) -> dict[str, Any]:
    """A job as Describe*/List* show it: its request fields, status (in ``status``'s words) and times."""
    out = {m: job.spec.get(m) for m in members}
    out[job.spec["arnField"]] = job.spec["arn"]
    out.update(status=status[job.state], creationDateTime=job.created_at, lastUpdatedDateTime=job.updated_at,
               failureReason="; ".join(job.failure) if job.failure and job.state == "failed" else None)
    return out


def listing(ctx: RequestContext, kind: str, params: dict[str, Any], members: tuple[str, ...],
            parent: str = "datasetArn", status: Statuses = STATUS) -> tuple[list, Any]:
    """Jobs of ``kind`` (of one dataset, or whatever ``parent`` names, when the request gives it), newest
    first, paged."""
    owner = params.get(parent)  # an unknown one lists nothing (List* declare no ResourceNotFound)
    jobs = [j for j in ctx.store.jobs(r.scope(ctx), kind) if not owner or j.spec[parent] == owner]
    jobs.sort(key=lambda j: (j.created_at, j.id), reverse=True)
    return r.page_of([view(j, members, status) for j in jobs], params, [kind, owner])


def active(ctx: RequestContext, kind: str | None = None, dataset: str | None = None) -> list[Job]:
    return [j for j in ctx.store.jobs(r.scope(ctx), kind, states=ACTIVE_STATES)
            if dataset is None or j.spec.get("datasetArn") == dataset]


def runner_context(runtime: Runtime, job: Job) -> RequestContext:
    return RequestContext(runtime, job.scope.account, job.scope.region, r.SERVICE, job.kind, "")
