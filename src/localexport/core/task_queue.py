"""Jobs on Procrastinate, a task queue on PostgreSQL, for an instance of several processes.

A server only defers a task per job step (``localexport.step_job``, locked and queueing-locked by the job
id, so one job is never stepped twice at once nor queued twice); ``localexport worker`` processes, any
number on any host, run them.  A realistic delay is the task's ``schedule_in``.

A worker killed mid-job stops sending Procrastinate heartbeats; every worker looks for such stalled tasks
(``get_stalled_jobs``) every few seconds and puts them back in the queue (``retry_job``).  The task that
runs again finds its job still ``running`` in the store, the mark of an interrupted run, and the job engine
treats it as start-up recovery would: it runs the job again, or ends it once it has used its attempts.
The job rows stay ours (``core/jobs.py``): Procrastinate only carries the "step this job now" messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

TASK = "localexport.step_job"
QUEUE = "localexport"
# How often a worker says it is alive, and after how long without a word its tasks are taken over.
HEARTBEAT_SECONDS = 2.0
STALLED_AFTER_SECONDS = 10.0


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://...``)."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def schema_sql() -> str:
    """Procrastinate's schema, as the installed version ships it (our migrations apply it)."""
    from procrastinate.schema import SchemaManager

    return SchemaManager.get_schema()


class TaskQueue:
    def __init__(self, database_url: str):
        import procrastinate

        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url)))
        self._step: Callable[[str], None] | None = None
        self.task = self.app.task(name=TASK, queue=QUEUE)(self._run)
        self._opened = False

    def _run(self, job_id: str) -> None:
        if self._step is None:  # a server's app has the task only to defer it
            raise RuntimeError("this process runs no jobs")
        self._step(job_id)

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
        """Have a worker step ``job_id`` after ``delay`` seconds (once: already queued is fine)."""
        from procrastinate.exceptions import AlreadyEnqueued

        self.open()
        options = {"lock": job_id, "queueing_lock": job_id}
        if delay > 0:
            options["schedule_in"] = {"seconds": delay}
        try:
            self.task.configure(**options).defer(job_id=job_id)
        except AlreadyEnqueued:
            pass

    def health(self) -> dict[str, int]:
        """Queue depth (tasks waiting, due or not; tasks running) and the workers alive (a heartbeat lately)."""
        self.open()
        stats = next(iter(self.app.job_manager.list_queues(queue=QUEUE)), {})
        rows = self.app.connector.get_sync_connector().execute_query_all(
            query="SELECT count(*) AS alive FROM procrastinate_workers "
                  "WHERE last_heartbeat > now() - make_interval(secs => %(seconds)s)",
            seconds=STALLED_AFTER_SECONDS)
        return {"queued": stats.get("todo", 0), "running": stats.get("doing", 0), "workers": rows[0]["alive"]}

    def run_worker(self, step: Callable[[str], None], concurrency: int,
                   on_start: Callable[[], None] | None = None) -> None:
        """Run jobs until stopped (SIGINT / SIGTERM): ``step`` for each task, ``concurrency`` at a time."""
        self._step = step
        asyncio.run(self._work(concurrency, on_start))

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
                    fetch_job_polling_interval=1.0, update_heartbeat_interval=HEARTBEAT_SECONDS,
                    stalled_worker_timeout=STALLED_AFTER_SECONDS, delete_jobs="successful")
            finally:
                sweeper.cancel()

    async def _retry_stalled(self) -> None:
        manager = self.app.job_manager
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                for job in await manager.get_stalled_jobs(queue=QUEUE,
                                                          seconds_since_heartbeat=STALLED_AFTER_SECONDS):
                    log.warning("task %s of job %s: its worker stopped; queued again", job.id,
                                job.task_kwargs.get("job_id"))
                    await manager.retry_job(job)
            except Exception:  # the database away for a moment: try again at the next beat
                log.exception("could not look for stalled tasks")
