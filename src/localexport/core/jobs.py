"""The job engine: one lifecycle for every service's export and import jobs.

    queued -> running -> succeeded | failed        (and deleting -> gone)
    held -> queued                                 (a job its service keeps back until it releases it)

Timing modes decide when a queued job runs: ``immediate`` (before the create
call returns), ``realistic`` (after a delay, on a worker thread) or ``manual``
(only when advanced).  Jobs live in the store, so a restart loses none: start-up
recovery puts running jobs back in the queue under the timing of the recovering
process, or, after too many attempts, ends them through their kind's
``on_abandoned`` (which knows what a half-run job of its service left behind).

With a task queue (``task_queue.py``: several processes on PostgreSQL) the same
steps run in ``localexport worker`` processes: this engine defers a task where it
would start a thread (and waits for it where the mode says "before the call
returns"), and a task that finds its job interrupted recovers it as start-up would.
The timing mode and injected failures live in ``state`` (``shared_state.py``).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ..aws.errors import write_failure
from . import inline, processes
from .artifacts import Artifacts
from .clock import Clock, duration
from .shared_state import MemoryState, State
from .store import Job, Scope, Store

log = logging.getLogger(__name__)

MODES = ("immediate", "realistic", "manual")
SECRETS = "secrets"  # the key in Job.extra of what a job may use but must not keep
RUNNER = "runner"  # the key in Job.extra of the process running it (pid and start time)
HELD = "held"
ACTIVE = (HELD, "queued", "running")
# A job can be older than the oldest a sweep saw by this much: its maker read the clock before the sweep's
# query and committed after it (a SQLite writer may wait 60 s for the lock), or runs on a server whose clock
# is a little behind this one's.
_SWEEP_MARGIN = 300.0
_SWEEPS_KEPT = 4096  # scopes and kinds whose next sweep is remembered (past that, all are swept again)
# What a failure may store: reasons can echo the input (a value, a file), and an answer must stay small.
MAX_REASONS = 100
MAX_REASON_CHARS = 1_000


def cut(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """``text`` at most ``limit`` characters, ending in "..." when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def bounded(reasons: list[Any]) -> list[str]:
    """At most MAX_REASONS reasons (then one "... and K more") of at most MAX_REASON_CHARS each."""
    kept = [cut(str(r)) for r in reasons[:MAX_REASONS]]
    if len(reasons) > MAX_REASONS:
        kept.append(f"... and {len(reasons) - MAX_REASONS} more")
    return kept


def internal_reason(error: BaseException) -> str:
    """Why a runner's unexpected error failed its job; a full or read-only disk (maybe wrapped) says so."""
    return write_failure(error) or f"Internal error: {error}"


def _without_secrets(job: Job) -> dict[str, Any]:
    return {k: v for k, v in job.extra.items() if k not in (SECRETS, RUNNER)}


def scoped_job_id(scope: Scope, *names: str) -> str:
    """A job id derived from what the caller names the job (Personalize and QuickSight let
    callers name jobs; job ids are global, names are unique only within an account and region)."""
    return hashlib.sha256(":".join((scope.account, scope.region, scope.service, *names)).encode()).hexdigest()[:32]


class JobFailed(Exception):
    """Raised by a runner: the job fails with these reasons (and ``result``, what it found on the way)."""

    def __init__(self, *reasons: str, result: dict[str, Any] | None = None):
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)
        self.result = result


@dataclass(slots=True)
class JobOutcome:
    result: dict[str, Any]
    artifact: str | None = None


Runner = Callable[[Job], JobOutcome]
# What recovery calls for a job it will not retry: an outcome if the job's work is in fact done (committed
# before the crash), else JobFailed with the given reasons (and the service's result, e.g. its rollback).
Abandoned = Callable[[Job, list[str]], JobOutcome]


class JobEngine:
    def __init__(
        self,
        store: Store,
        artifacts: Artifacts,
        clock: Clock,
        mode: str = "immediate",
        delay: float = 2.0,
        workers: int = 4,
        max_attempts: int = 3,
        *,
        state: State | None = None,
        queue: Any = None,
    ):
        self.store = store
        self.artifacts = artifacts
        self.clock = clock
        self.state = state or MemoryState(mode, delay)
        self.queue = queue  # a task_queue.TaskQueue: jobs run in worker processes
        self.max_attempts = max_attempts
        self._runners: dict[str, Runner] = {}
        self._abandoned: dict[str, Abandoned] = {}
        # Called with a job's service when no runner of its kind is registered yet (a service registers its
        # runners when it is first used; a job recovered at start or run by a worker may come first).
        self.loader: Callable[[str], object] | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="localexport-job")
        self._timers: list[tuple[float, int, str]] = []
        # (scope, kind, retention) -> the earliest time a job of that kind can pass its retention (``expire``)
        self._sweeps: dict[tuple[Scope, str, float], float] = {}
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        if queue is None:
            self._scheduler = threading.Thread(target=self._schedule_loop, name="localexport-scheduler",
                                               daemon=True)
            self._scheduler.start()

    @property
    def mode(self) -> str:
        return self.state.mode

    @property
    def delay(self) -> float:
        return self.state.delay

    # -- configuration -------------------------------------------------------

    def register(self, kind: str, runner: Runner, on_abandoned: Abandoned | None = None) -> None:
        self._runners[kind] = runner
        if on_abandoned is not None:
            self._abandoned[kind] = on_abandoned

    def _runner_of(self, job: Job) -> Runner | None:
        runner = self._runners.get(job.kind)
        if runner is None and self.loader is not None:
            self.loader(job.scope.service)
            runner = self._runners.get(job.kind)
        return runner

    def configure(self, mode: str | None = None, delay: float | None = None) -> None:
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode must be one of {', '.join(MODES)}")
            self.state.mode = mode
        if delay is not None:
            self.state.delay = duration(delay, "delay")

    def settle_at(self) -> float:
        """When a transition started now should end (resource statuses follow the timing mode too)."""
        return self.clock.now() + self._delay()

    # -- lifecycle -----------------------------------------------------------

    def submit(self, scope: Scope, kind: str, job_id: str, spec: dict[str, Any],
               secrets: dict[str, Any] | None = None) -> Job:
        """Queue a job. ``secrets`` (e.g. an archive password) reach the runner and are
        erased once the job has ended, whatever the outcome."""
        now = self.clock.now()
        job = Job(id=job_id, scope=scope, kind=kind, state="queued", spec=spec, created_at=now, updated_at=now,
                  extra={SECRETS: secrets} if secrets else {})
        self.store.insert_job(job)
        self._schedule(job.id)
        return self.store.get_job(job.id) or job

    def hold(self, scope: Scope, kind: str, job_id: str, spec: dict[str, Any]) -> Job:
        """Record a job that must not run yet (e.g. it waits behind another on the same resource): it stays
        ``held``, untouched by recovery, until ``release``."""
        now = self.clock.now()
        job = Job(id=job_id, scope=scope, kind=kind, state=HELD, spec=spec, created_at=now, updated_at=now)
        self.store.insert_job(job)
        return job

    def release(self, job_id: str) -> bool:
        """Queue a held job under the current timing mode; False if it was not held (released by someone else)."""
        if not self.store.update_job(job_id, only_from=(HELD,), state="queued", updated_at=self.clock.now()):
            return False
        self._schedule(job_id)
        return True

    def delete(self, job_id: str) -> None:
        """Start deleting a job: it reports ``deleting`` until purged (same timing as runs)."""
        self.store.update_job(job_id, state="deleting", updated_at=self.clock.now())
        self._schedule(job_id)

    def advance(self, job_id: str) -> Job | None:
        """Take one job one step now, whatever the mode (the manual mode's handle)."""
        if self.queue is None:
            self._step(job_id)
        else:
            before = self.store.get_job(job_id)
            if before is not None and before.state in ("queued", "deleting"):
                self.queue.defer(job_id)
                self._await(job_id, lambda job: job is None or job.state not in (before.state, "running"))
        return self.store.get_job(job_id)

    def fail(self, job_id: str, reasons: list[str]) -> bool:
        """Fail an unfinished job at once with ``reasons``."""
        job = self.store.get_job(job_id)
        return job is not None and self._failed(job, ACTIVE, reasons)

    def inject_failure(self, reasons: list[str], kind: str | None = None) -> None:
        """The next job to run (of ``kind``, or any) fails with ``reasons``."""
        self.state.push_failure(kind, list(reasons))

    def purge(self, job: Job) -> None:
        inline.check()  # before the artifacts go
        for key in {job.artifact, *((job.result or {}).get("artifacts", []))} - {None}:
            self.artifacts.delete(key)
        self.store.delete_job(job.id)

    def expire(self, scope: Scope, kind: str, retention: float) -> None:
        """Purge ``kind`` jobs of ``scope`` older than ``retention`` seconds.

        Every Describe and List of jobs calls this; until the oldest job it last saw can be due, nothing can
        (jobs are only ever created at their maker's ``now``), and no query is needed."""
        key = (scope, kind, retention)
        now = self.clock.now()
        if now < self._sweeps.get(key, -math.inf):
            return
        for job in self.store.old_jobs(scope, kind, now - retention):
            if job.state not in ACTIVE:
                self.purge(job)
        first = self.store.first_created(scope, kind)  # (an old job still running keeps this in the past)
        if len(self._sweeps) >= _SWEEPS_KEPT:
            self._sweeps.clear()
        self._sweeps[key] = min(now if first is None else first, now - _SWEEP_MARGIN) + retention

    def recover(self) -> None:
        """At start-up: re-queue (or fail) interrupted jobs and reschedule pending ones.

        With a task queue, a server recovers nothing (a job ``running`` may be running in a worker: the
        queue's stalled-task check finds the interrupted ones); a worker starting (``resume``) defers again
        what waits, in case a process stopped between recording a job and deferring it."""
        if self.queue is not None:
            return
        for job in self.store.jobs(states=("running",)):
            if not self._runner_alive(job):  # (a sibling of `serve --workers N` may still run it)
                self._interrupted(job)
        for job in self.store.jobs(states=("queued", "deleting")):
            self._schedule(job.id)

    def _interrupted(self, job: Job) -> bool:
        """A job found ``running`` by no one running it: queued again (True), or ended after its attempts."""
        if job.attempts >= self.max_attempts:
            self._runner_of(job)  # (its service installs what a half-run job of its kind needs undone)
            self._finish(job, self._abandoned.get(job.kind) or _abandon,
                         [f"The job was interrupted {job.attempts} times and was not retried."])
            return False
        queued = self.store.update_job(job.id, only_from=("running",), only_attempt=job.attempts, state="queued",
                                       updated_at=self.clock.now())
        log.info("re-queued job %s, interrupted", job.id)
        return queued

    def _runner_alive(self, job: Job) -> bool:
        """Whether the process (or worker) that took ``job`` still runs it."""
        runner = job.extra.get(RUNNER)
        return self.queue.running(runner, job.id) if self.queue is not None else processes.alive(runner)

    def _runner(self) -> str:
        return self.queue.worker_id if self.queue is not None else processes.THIS

    def sweep(self) -> None:
        """A worker's periodic look for jobs left ``running`` by no live worker (its task failed, or its
        worker died and its task was lost): each is deferred again, and its task recovers it."""
        for job in self.store.jobs(states=("running",)):
            if not self._runner_alive(job):
                self.queue.defer(job.id)

    def resume(self) -> None:
        """A worker's start: defer every job waiting to run, due when its delay ends (a job deferred already
        gets a second task, which finds nothing left to do)."""
        if self.mode == "manual":
            return
        delay, now = self._delay(), self.clock.now()
        for job in self.store.jobs(states=("queued", "deleting")):
            self.queue.defer(job.id, max(0.0, job.updated_at + delay - now))

    def run_task(self, job_id: str) -> None:
        """A worker's step of ``job_id``. A job found ``running`` is still run by its worker if that worker's
        heartbeat says so (looked at again later), else it was interrupted and is recovered."""
        job = self.store.get_job(job_id)
        if job is None:
            return
        log.info("job %s (%s, %s): %s", job_id, job.kind, job.scope.account, job.state)
        if job.state == "running":
            if self._runner_alive(job):  # a worker stopping (its task looked stalled) still runs it: look later
                self.queue.defer(job_id, self.queue.heartbeat)
                return
            if not self._interrupted(job):
                return
        try:
            self._step(job_id)
        except Exception as error:  # the store refused the outcome, say: the job must not stay running
            log.exception("job %s: its step failed", job_id)
            current = self.store.get_job(job_id)
            if current is not None and current.state == "running" and current.extra.get(RUNNER) == self._runner():
                self._failed(current, ("running",), [internal_reason(error)])
        after = self.store.get_job(job_id)
        log.info("job %s (%s, %s): %s", job_id, job.kind, job.scope.account, after.state if after else "gone")

    def close(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.queue is not None:
            self.queue.close()

    # -- running -------------------------------------------------------------

    def _delay(self) -> float:
        mode, delay = self.state.timing()
        return delay if mode == "realistic" else 0.0

    def _schedule(self, job_id: str) -> None:
        mode, delay = self.state.timing()
        if mode == "immediate":
            if self.store.in_transaction():  # the runner's all-or-nothing would join the caller's and not roll back
                raise RuntimeError("an immediate job cannot run inside a store transaction: submit it after it")
            if self.queue is None:
                self._step(job_id)
            else:  # done before the call returns, by a worker
                self.queue.defer(job_id)
                self._await(job_id, lambda job: job is None or job.state not in ("queued", "running", "deleting"))
        elif mode == "realistic":
            if self.queue is not None:
                self.queue.defer(job_id, delay)
                return
            with self._wake:
                heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), job_id))
                self._wake.notify()

    # How long a call waits for a worker to run its job (immediate mode, advance) before it answers anyway.
    WAIT_SECONDS = 60.0

    def _await(self, job_id: str, done: Callable[[Job | None], bool]) -> None:
        if not self.queue.health()["workers"]:  # no one would run it: answer now, the job waits for a worker
            log.warning("job %s is queued, but no `localexport worker` is running", job_id)
            return
        deadline = time.monotonic() + self.WAIT_SECONDS
        pause = 0.002
        while not done(self.store.get_job(job_id)):
            if time.monotonic() > deadline:
                log.warning("job %s: no worker ran it within %.0f s (is a `localexport worker` running?)",
                            job_id, self.WAIT_SECONDS)
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _schedule_loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._timers or self._timers[0][0] > time.monotonic()):
                    timeout = self._timers[0][0] - time.monotonic() if self._timers else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, job_id = heapq.heappop(self._timers)
            try:
                self._pool.submit(self._step, job_id)
            except RuntimeError:  # pool shut down
                return

    def _take_injected(self, kind: str) -> list[str] | None:
        return self.state.take_failure(kind)

    def _step(self, job_id: str) -> None:
        job = self.store.get_job(job_id)
        if job is None:
            return
        if job.state == "deleting":
            self.purge(job)
            return
        if job.state != "queued":
            return
        now = self.clock.now()
        claimed = replace(job, state="running", attempts=job.attempts + 1, extra={**job.extra, RUNNER: self._runner()})
        if not self.store.update_job(job_id, only_from=("queued",), state="running", attempts=claimed.attempts,
                                     updated_at=now, extra=claimed.extra):
            return  # someone else took it
        job = claimed
        injected = self._take_injected(job.kind)
        runner = self._runner_of(job)
        if injected is not None:
            self._failed(job, ("running",), injected)
        elif runner is None:
            self._failed(job, ("running",), [f"No runner for job kind {job.kind}."])
        else:
            self._finish(job, lambda j, _: runner(j), [])

    def _finish(self, job: Job, work: Abandoned, reasons: list[str]) -> None:
        """Run ``work`` for a running job and store how it ended."""
        try:
            outcome = work(job, reasons)
        except JobFailed as failure:
            self._failed(job, ("running",), failure.reasons, failure.result)
        except Exception as error:  # a bug of ours (or a full disk): the job fails, the server goes on
            log.exception("job %s failed", job.id)
            self._failed(job, ("running",), [internal_reason(error)])
        else:
            done = self.store.update_job(job.id, only_from=("running",), only_attempt=job.attempts,
                                         state="succeeded", result=outcome.result, artifact=outcome.artifact,
                                         extra=_without_secrets(job), updated_at=self.clock.now())
            if not done:  # deleted, failed or taken over meanwhile: drop what we wrote, not what the job keeps
                current = self.store.get_job(job.id)
                kept = {current.artifact, *(current.result or {}).get("artifacts", [])} if current else set()
                for key in {outcome.artifact, *outcome.result.get("artifacts", [])} - kept - {None}:
                    self.artifacts.delete(key)

    def _failed(self, job: Job, only_from: tuple[str, ...], reasons: list[Any],
                result: dict[str, Any] | None = None) -> bool:
        """Every failure is stored here: bounded, and without the job's secrets."""
        kept = {"result": result} if result is not None else {}
        if only_from == ("running",):  # a run ends only its own attempt
            kept["only_attempt"] = job.attempts
        return self.store.update_job(job.id, only_from=only_from, state="failed", failure=bounded(reasons),
                                     extra=_without_secrets(job), updated_at=self.clock.now(), **kept)


def _abandon(job: Job, reasons: list[str]) -> JobOutcome:
    raise JobFailed(*reasons)
