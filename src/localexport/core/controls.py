"""Test controls (what a test double needs and AWS lacks), one API for Python and HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .artifacts import account_prefix
from .clock import duration
from .runtime import Handler, JobName, RequestContext, Runtime
from .store import Job


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [str(value)] if isinstance(value, (str, int)) and not isinstance(value, bool) else []


def job_view(job: Job, size: int | None = None, name: JobName | None = None) -> dict[str, Any]:
    """A job in core terms, for the control API and the CLI, with what its service's API calls it."""
    return {
        "id": job.id,
        "aws_id": name.aws_id if name else job.id,
        "output": name.output if name else None,
        "service": job.scope.service,
        "account": job.scope.account,
        "region": job.scope.region,
        "kind": job.kind,
        "state": job.state,
        "failure": job.failure,
        "attempts": job.attempts,
        "resource": "/".join(_leaves(job.spec))[:80],  # the spec's values, e.g. bot id and version
        "size": size,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


class UnknownAction(LookupError):
    pass


class AmbiguousJob(LookupError):
    """An AWS id that names several jobs: QuickSight's are unique only per account, region and kind."""

    def __init__(self, ident: str, jobs: list[Job]):
        self.accounts = sorted({j.scope.account for j in jobs})
        self.regions = sorted({j.scope.region for j in jobs})
        if len(self.accounts) > 1:
            where = f"accounts {', '.join(self.accounts)}"
        elif len(self.regions) > 1:
            where = f"regions {', '.join(self.regions)} of account {self.accounts[0]}"
        else:
            where = f"account {self.accounts[0]}, of kinds {', '.join(sorted({j.kind for j in jobs}))}"
        super().__init__(f"{ident} names jobs in {where}")


class Controls:
    def __init__(self, runtime: Runtime, console_action: Callable[[str, str], Handler | None] | None = None,
                 job_name: Callable[[Job], JobName | None] | None = None):
        self.runtime = runtime
        self._console_action = console_action  # (service, action) -> what the service registered, or None
        self._job_name = job_name or (lambda job: None)  # what the job's service calls it; None: its engine id

    def console(self, service: str, action: str, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        """Do what the AWS console can and the API cannot (a service registers such actions), in one
        account and region; the service's AWS errors are raised as they are."""
        handler = self._console_action(service, action) if self._console_action else None
        if handler is None:
            raise UnknownAction(f"{service} has no console action {action}")
        return handler(RequestContext(self.runtime, account, region, service, action, ""), params)

    def timing(self) -> dict[str, Any]:
        mode, delay = self.runtime.engine.state.timing()
        return {"mode": mode, "delay": delay}

    def set_timing(self, mode: str | None = None, delay: float | None = None) -> dict[str, Any]:
        self.runtime.engine.configure(mode, None if delay is None else duration(delay, "delay"))
        return self.timing()

    def _view(self, job: Job) -> dict[str, Any]:
        return job_view(job, self.runtime.artifacts.size(job.artifact) if job.artifact else None,
                        self._job_name(job))

    def jobs(self, service: str | None = None, state: str | None = None, account: str | None = None,
             region: str | None = None) -> list[dict[str, Any]]:
        wanted = {"service": service, "account": account, "region": region}
        return [self._view(j) for j in self.runtime.store.jobs(states=(state,) if state else ())
                if all(value is None or getattr(j.scope, field) == value for field, value in wanted.items())]

    def find(self, ident: str, account: str | None = None, region: str | None = None) -> Job | None:
        """The job with this engine id, or with this AWS id (AmbiguousJob if that names jobs of several
        accounts, regions or kinds and ``account`` / ``region`` do not say which)."""

        def wanted(job: Job) -> bool:
            return (account is None or job.scope.account == account) and (region is None or job.scope.region == region)

        job = self.runtime.store.get_job(ident)
        if job is not None and wanted(job):
            return job
        named = [j for j in self.runtime.store.jobs() if wanted(j) and (self._job_name(j) or JobName(j.id)).aws_id
                 == ident]
        if len({(j.scope.account, j.scope.region, j.kind) for j in named}) > 1:
            raise AmbiguousJob(ident, named)
        # within one account, region and kind, an id names one job at a time: the newest (a Lex V1 export's,
        # as GetExport reports it)
        return max(named, key=lambda j: j.created_at) if named else None

    def job(self, ident: str, account: str | None = None, region: str | None = None) -> dict[str, Any] | None:
        """A job by engine id or AWS id (see ``find``), in core terms."""
        job = self.find(ident, account, region)
        return self._view(job) if job else None

    def advance(self, job_id: str) -> dict[str, Any] | None:
        job = self.runtime.engine.advance(job_id)
        return self._view(job) if job else None

    def download_url(self, job_id: str, base_url: str, seconds: int = 300) -> str | None:
        """A signed URL for a finished job's archive (what the service's Describe call would hand out)."""
        job = self.runtime.store.get_job(job_id)
        if job is None or job.state != "succeeded" or not job.artifact:
            return None
        return self.runtime.urls.sign(base_url, job.artifact, seconds)

    def fail(self, job_id: str, reasons: list[str]) -> bool:
        return self.runtime.engine.fail(job_id, reasons)

    def fail_next(self, reasons: list[str], kind: str | None = None) -> None:
        self.runtime.engine.inject_failure(reasons, kind)

    def advance_clock(self, seconds: float) -> float:
        """Move the server clock forward (ValueError unless ``seconds`` is finite and not negative)."""
        return self.runtime.clock.advance(seconds)

    def reset(self, account: str | None = None) -> None:
        """Forget everything of ``account`` (its jobs' archives too), or of every account."""
        self.runtime.objects.reset(account)
        if account is None:
            self.runtime.store.clear()
            self.runtime.artifacts.clear()
            return
        self.runtime.artifacts.delete_tree(account_prefix(account))
        for job in self.runtime.store.jobs():
            if job.scope.account == account:
                self.runtime.engine.purge(job)
        self.runtime.store.clear(account)
