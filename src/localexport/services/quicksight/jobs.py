"""What asset bundle export and import jobs share: ids, statuses, the 5-job limit,
14-day retention, listing and error records."""

from __future__ import annotations

from typing import Any

from ...core.jobs import MAX_REASONS, cut, scoped_job_id
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import assets as a
from .errors import conflict, limit, not_found

RETENTION = 14 * 24 * 3600
MAX_ACTIVE = 5
STATUS = {"queued": "QUEUED_FOR_IMMEDIATE_EXECUTION", "running": "IN_PROGRESS", "succeeded": "SUCCESSFUL",
          "failed": "FAILED", "deleting": "FAILED"}
ERROR_TYPE = "com.amazonaws.services.quicksight.model.{}"


def error_record(arn: str | None, code: str, message: str) -> dict[str, Any]:
    return {"Arn": arn, "Type": ERROR_TYPE.format(code), "Message": message}


def bounded(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Error or warning records as the job engine bounds failure reasons: they can echo a bundle's values."""
    kept = [{**r, "Message": cut(r["Message"])} for r in records[:MAX_REASONS]]
    if len(records) > MAX_REASONS:
        kept.append({**records[MAX_REASONS], "Arn": None, "Message": f"... and {len(records) - MAX_REASONS} more"})
    return kept


def engine_id(ctx: RequestContext, kind: str, job_id: str) -> str:
    return scoped_job_id(a.scope(ctx), kind, job_id)


def submit(ctx: RequestContext, kind: str, job_id: str, spec: dict[str, Any], label: str,
           secrets: dict[str, Any] | None = None) -> None:
    """Start a job; an id may be reused once its job has finished (the old one is then forgotten)."""
    ctx.engine.expire(a.scope(ctx), kind, RETENTION)
    old = ctx.store.get_job(engine_id(ctx, kind, job_id), a.scope(ctx))
    if old is not None and old.state in ("queued", "running"):
        raise conflict(f"{label} {job_id} is already in progress; a job id can be reused once its job has ended.")
    active = ctx.store.jobs(a.scope(ctx), kind, states=("queued", "running"))
    if len(active) >= MAX_ACTIVE:
        raise limit(f"You can run at most {MAX_ACTIVE} concurrent {label.lower()}s per account.")
    if old is not None:
        ctx.engine.purge(old)
    ctx.engine.submit(a.scope(ctx), kind, engine_id(ctx, kind, job_id), spec, secrets)


def load(ctx: RequestContext, kind: str, job_id: str, label: str) -> Job:
    ctx.engine.expire(a.scope(ctx), kind, RETENTION)
    job = ctx.store.get_job(engine_id(ctx, kind, job_id), a.scope(ctx))
    if job is None:
        raise not_found(f"{label} {job_id} is not found")
    return job


def status(job: Job) -> str:
    if job.state == "succeeded":
        return (job.result or {}).get("status", "SUCCESSFUL")
    if job.state == "failed" and job.spec.get("FailureAction") == "ROLLBACK":
        return "FAILED_ROLLBACK_COMPLETED"  # an import applies in one transaction: a failed one left nothing
    return STATUS[job.state]


def errors(job: Job) -> list[dict[str, Any]]:
    if job.state == "failed":
        return [error_record(None, "InternalFailureException", reason) for reason in job.failure or []]
    return (job.result or {}).get("errors") or []


def listing(ctx: RequestContext, kind: str, params: dict[str, Any], summary) -> tuple[list, str | None]:
    a.check_account(ctx, params)
    ctx.engine.expire(a.scope(ctx), kind, RETENTION)
    jobs = sorted(ctx.store.jobs(a.scope(ctx), kind), key=lambda j: j.created_at, reverse=True)
    return a.paged([summary(ctx, j) for j in jobs], params, kind)


def runner_context(runtime: Runtime, job: Job) -> RequestContext:
    return RequestContext(runtime, job.scope.account, job.scope.region, a.SERVICE, job.kind, "")
