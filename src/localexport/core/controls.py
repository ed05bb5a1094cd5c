"""Test controls (what a test double needs and AWS lacks), one API for Python and HTTP."""

from __future__ import annotations

from typing import Any

from .runtime import Runtime
from .store import Job


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "service": job.scope.service,
        "account": job.scope.account,
        "region": job.scope.region,
        "kind": job.kind,
        "state": job.state,
        "failure": job.failure,
        "attempts": job.attempts,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


class Controls:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def timing(self) -> dict[str, Any]:
        engine = self.runtime.engine
        return {"mode": engine.mode, "delay": engine.delay}

    def set_timing(self, mode: str | None = None, delay: float | None = None) -> dict[str, Any]:
        self.runtime.engine.configure(mode, delay)
        return self.timing()

    def jobs(self) -> list[dict[str, Any]]:
        return [job_view(j) for j in self.runtime.store.jobs()]

    def job(self, job_id: str) -> dict[str, Any] | None:
        job = self.runtime.store.get_job(job_id)
        return job_view(job) if job else None

    def advance(self, job_id: str) -> dict[str, Any] | None:
        job = self.runtime.engine.advance(job_id)
        return job_view(job) if job else None

    def fail(self, job_id: str, reasons: list[str]) -> bool:
        return self.runtime.engine.fail(job_id, reasons)

    def fail_next(self, reasons: list[str], kind: str | None = None) -> None:
        self.runtime.engine.inject_failure(reasons, kind)

    def advance_clock(self, seconds: float) -> float:
        return self.runtime.clock.advance(seconds)

    def reset(self, account: str | None = None) -> None:
        self.runtime.store.clear(account)
        if account is None:
            self.runtime.artifacts.clear()
