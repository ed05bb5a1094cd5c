"""Jobs on Procrastinate, a task queue on PostgreSQL, for an instance of several processes.

A server only defers a task per job step (``localexport.step_job``, locked by the job id, so one job's
tasks never run at once; a task finding nothing to do is a no-op, so a job may be deferred twice);
``localexport worker`` processes, any number on any host, run them.  A realistic delay is ``schedule_in``.

A worker killed mid-job stops sending Procrastinate heartbeats; every worker looks for such stalled tasks
(``get_stalled_jobs``) every few seconds and puts them back in the queue (``retry_job``).  Procrastinate's
heartbeat also stops while a worker shuts down (it finishes its jobs first), so every worker keeps a
heartbeat of its own in the store (``worker/<id>``: when last seen, which jobs it runs) until its very end.
A task finding its job ``running`` asks that heartbeat: still running there, it looks again later; gone,
the run was interrupted and the engine recovers it as start-up would (runs it again, or ends it once it has
used its attempts).  Each run ends only its own attempt (``only_attempt``), so a run taken over never ends
the job.  The job rows stay ours (``core/jobs.py``): Procrastinate only carries "step this job now".
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable

log = logging.getLogger(__name__)

TASK = "localexport.step_job"
QUEUE = "localexport"
# How often a worker looks for jobs left running by no live worker (a task that failed, a lost task), in
# heartbeats.
SWEEP_BEATS = 5


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://...``)."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def schema_sql() -> str:
    """Procrastinate's schema, as the installed version ships it (our migrations apply it)."""
    from procrastinate.schema import SchemaManager

    return SchemaManager.get_schema()


class TaskQueue:
    def __init__(self, database_url: str, store, heartbeat: float = 2.0, stalled_after: float = 10.0):
        """``heartbeat``: how often a worker says it is alive; ``stalled_after``: after how long without a word
        its tasks are taken over."""
        import procrastinate

        self.heartbeat = heartbeat
        self.stalled_after = stalled_after
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
        self.store = store
        self.worker_id = f"worker/{uuid.uuid4().hex}"
        self._step: Callable[[str], None] | None = None
        self.task = self.app.task(name=TASK, queue=QUEUE)(self._run)
        self._opened = False
        self._running: set[str] = set()
        self._guard = threading.Lock()

    def _run(self, job_id: str) -> None:
        if self._step is None:  # a server's app has the task only to defer it
            raise RuntimeError("this process runs no jobs")
        with self._guard:
            self._running.add(job_id)
        self._beat()  # before the job is claimed: no one may take it for an orphan meanwhile
        try:
            self._step(job_id)
        finally:
            with self._guard:
                self._running.discard(job_id)
            self._beat()

    def _beat(self) -> None:
        with self._guard:
            jobs = sorted(self._running)
        self.store.put_setting(self.worker_id, {"seen": time.time(), "jobs": jobs})

    def running(self, worker: str | None, job_id: str) -> bool:
        """Whether ``worker`` is alive (its own heartbeat is recent) and says it runs ``job_id``."""
        beat = self.store.setting(worker) if worker and worker.startswith("worker/") else None
        return bool(beat) and time.time() - beat["seen"] < self.stalled_after and job_id in beat["jobs"]

    def open(self) -> None:
        """Connect for deferring (a server, at start)."""
        if not self._opened:
            self.app.open()
            self._opened = True

    def close(self) -> None:
        if self._opened:
            self.app.close()
            self._opened = False

    def defer(self, job_id: str, delay: float = 0.0) -> None:
        """Have a worker step ``job_id`` after ``delay`` seconds."""
        self.open()
        options = {"lock": job_id}
        if delay > 0:
            options["schedule_in"] = {"seconds": delay}
        self.task.configure(**options).defer(job_id=job_id)

    def health(self) -> dict[str, int]:
        """Queue depth (tasks waiting, due or not; tasks running) and the workers alive (a heartbeat lately)."""
        from procrastinate.exceptions import ConnectorException

        try:
            self.open()
            stats = next(iter(self.app.job_manager.list_queues(queue=QUEUE)), {})
            rows = self.app.connector.get_sync_connector().execute_query_all(
                query="SELECT count(*) AS alive FROM procrastinate_workers "
                      "WHERE last_heartbeat > now() - make_interval(secs => %(seconds)s)",
                seconds=self.stalled_after)
        except ConnectorException as error:  # the database away: as any other unreachable store
            raise OSError(f"the task queue cannot be read: {error}") from error
        return {"queued": stats.get("todo", 0), "running": stats.get("doing", 0), "workers": rows[0]["alive"]}

    def run_worker(self, step: Callable[[str], None], concurrency: int,
                   on_start: Callable[[], None] | None = None, sweep: Callable[[], None] | None = None) -> None:
        """Run jobs until stopped (SIGINT / SIGTERM: the running ones are finished first): ``step`` for each
        task, ``concurrency`` at a time; ``sweep`` every SWEEP_BEATS heartbeats."""
        self._step = step
        self._sweep = sweep
        stop = threading.Event()

        def beat() -> None:  # on a thread of its own: alive until the last job is done, whatever the loop does
            while not stop.wait(self.heartbeat):
                try:
                    self._beat()
                except Exception:  # the database away for a moment
                    log.warning("could not record this worker's heartbeat", exc_info=True)

        heart = threading.Thread(target=beat, name="localexport-heartbeat", daemon=True)
        self._beat()
        heart.start()
        try:
            asyncio.run(self._work(concurrency, on_start))
        finally:
            stop.set()
            heart.join()
            self.store.drop_setting(self.worker_id)

    async def _work(self, concurrency: int, on_start: Callable[[], None] | None) -> None:
        from asgiref.sync import sync_to_async

        async with self.app.open_async():
            # Opened for async: a task's own defer (a released job, say) goes through this loop, from the
            # thread Procrastinate runs the (synchronous) task in; so does the start-up's, on asgiref's thread.
            self._opened = True
            if on_start is not None:
                await sync_to_async(on_start)()
            sweeper = asyncio.create_task(self._retry_stalled())
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE], concurrency=concurrency, wait=True, listen_notify=True,
                    fetch_job_polling_interval=1.0, update_heartbeat_interval=self.heartbeat,
                    stalled_worker_timeout=self.stalled_after, delete_jobs="successful")
            finally:
                sweeper.cancel()

    async def _retry_stalled(self) -> None:
        from asgiref.sync import sync_to_async

        manager = self.app.job_manager
        beats = 0
        while True:
            await asyncio.sleep(self.heartbeat)
            beats += 1
            try:
                stalled = await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=self.stalled_after)
            except Exception:  # the database away for a moment: try again at the next beat
                log.warning("could not look for stalled tasks", exc_info=True)
                continue
            for job in stalled:
                try:
                    await manager.retry_job(job)
                    log.warning("task %s of job %s: its worker went silent; queued again", job.id,
                                job.task_kwargs.get("job_id"))
                except Exception:  # another worker retried it first
                    log.debug("task %s: not retried here", job.id, exc_info=True)
            if self._sweep is not None and beats % SWEEP_BEATS == 0:
                try:
                    await sync_to_async(self._sweep)()
                except Exception:
                    log.warning("could not look for orphaned jobs", exc_info=True)
