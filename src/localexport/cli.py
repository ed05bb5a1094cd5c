"""``localexport`` command line."""

from __future__ import annotations

import os
from pathlib import Path

import click


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        from .remote import ControlError

        try:
            return super().invoke(ctx)
        except ControlError as error:  # e.g. 401 without the token: one line, not a traceback
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group)
def main() -> None:
    """localexport: AWS export/import job APIs, locally."""


def _data_dir_problem(settings) -> str | None:
    """Why the data dir cannot be written, or None: found before anything starts, as one line, where
    otherwise a traceback from deep inside SQLite or the artifact store would come, or a server
    that starts and fails its first export."""
    path = settings.data_dir
    if path.exists() and not path.is_dir():
        return f"the data dir {path} is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
        # the folders the server writes into, where they exist already (a read-only mount of one of them, say)
        for folder in (path, path / "artifacts" / "objects", path / "artifacts" / "tmp", path / "s3"):
            if folder.exists() and not folder.is_dir():
                return f"the data dir {path} cannot be written: {folder} is not a directory"
            if folder.is_dir():
                probe = folder / f".localexport-write-probe-{os.getpid()}"
                fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, b"probe")
                    os.fsync(fd)
                finally:
                    os.close(fd)
                    probe.unlink()
        database = path / "localexport.db"
        if settings.database_url is None and database.exists():
            open(database, "r+b").close()  # opened for writing, not changed
    except OSError as error:
        where = f" ({error.filename})" if error.filename and str(error.filename) != str(path) else ""
        return f"the data dir {path} cannot be written: {error.strerror or error}{where}"
    return None


def _on_loopback(host: str) -> bool:
    from .control_api import host_name, is_loopback

    return is_loopback(host_name(host))


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 4577).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Where the database and archives live.")
@click.option("--job-mode", type=click.Choice(["immediate", "realistic", "manual"]), default=None)
@click.option("--job-delay", type=float, default=None, help="Seconds a job takes in realistic mode.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes on this host (more than one: the store is shared, S3 must be external).")
def serve(host, port, data_dir, job_mode, job_delay, workers) -> None:
    """Run the server (settings also from LOCALEXPORT_* variables)."""
    import uvicorn

    overrides = {k: v for k, v in {"host": host, "port": port, "data_dir": data_dir, "job_mode": job_mode,
                                    "job_delay": job_delay}.items() if v is not None}
    if workers > 1:
        overrides["shared_state"] = True
    settings = _settings(overrides)
    if not settings.control_token and not _on_loopback(settings.host):
        click.echo(f"WARNING: localexport listens on {settings.host} with no control token: anyone who can reach "
                   f"port {settings.port} can read, fail and erase every job and account through the control API "
                   f"(/_localexport/control/). Set LOCALEXPORT_CONTROL_TOKEN=<a long random secret> for the server "
                   f"(and --token or the same variable for its clients), or listen on 127.0.0.1.", err=True)
    if workers > 1 and settings.s3_endpoint_url is None:
        click.echo("localexport: cannot start: --workers needs an external S3 (the embedded one lives in one "
                   "process's memory): set LOCALEXPORT_S3_ENDPOINT_URL (MinIO, AWS, a moto server)", err=True)
        raise SystemExit(2)
    instance = _instance(settings)
    from .core.shared_state import StoredState

    given = _given(settings)
    if isinstance(instance.runtime.engine.state, StoredState) and {"job_mode", "job_delay"} & given:
        # a shared instance keeps its timing in the store: what this start was told wins over what it kept
        instance.controls.set_timing(settings.job_mode if "job_mode" in given else None,
                                     settings.job_delay if "job_delay" in given else None)
    runner = "`localexport worker` processes" if settings.uses_workers() else "threads"
    click.echo(f"localexport on http://{settings.host}:{settings.port} (data in {settings.data_dir}, "
               f"jobs {settings.job_mode}, run by {runner}, {workers} server process{'es' if workers > 1 else ''})",
               err=True)
    if workers > 1:  # each process makes its own instance from the same settings (passed as variables)
        instance.close()
        os.environ.update(_as_variables(settings, overrides))
        uvicorn.run("localexport.app:create_app", factory=True, workers=workers, host=settings.host,
                    port=settings.port, log_level=settings.log_level, access_log=False)
        return
    try:
        uvicorn.run(instance.app, host=settings.host, port=settings.port, log_level=settings.log_level,
                    access_log=False)
    finally:
        instance.close()


@main.command()
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Jobs run at once (default: LOCALEXPORT_JOB_WORKERS, 4).")
def worker(concurrency) -> None:
    """Run jobs of a distributed instance (PostgreSQL store, Procrastinate queue), until stopped.

    Settings from LOCALEXPORT_* variables, as the servers have them: the same database, S3 and artifacts."""
    import logging

    settings = _settings({"job_runner": "workers"})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    instance = _instance(settings)
    engine = instance.runtime.engine
    click.echo(f"localexport worker: jobs of {settings.resolved_database_url().split('@')[-1]}, "
               f"{concurrency or settings.job_workers} at a time", err=True)
    try:
        engine.queue.run_worker(engine.run_task, concurrency or settings.job_workers, on_start=engine.resume,
                                sweep=engine.sweep)
    finally:
        instance.close()


def _settings(overrides: dict):
    from pydantic import ValidationError

    from .config import Settings

    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
        click.echo(f"localexport: cannot start: {problems}", err=True)
        raise SystemExit(2) from None
    problem = _data_dir_problem(settings)
    if problem is not None:
        click.echo(f"localexport: cannot start: {problem}", err=True)
        raise SystemExit(2)
    return settings


def _instance(settings):
    """The instance of these settings, or one line on why there can be none."""
    from sqlalchemy.exc import OperationalError

    from .app import LocalExport
    from .config import SetupError
    from .core.migrations import SchemaError
    from .core.s3_disk import S3StateError

    try:
        return LocalExport(settings)
    except OSError as error:  # what the probe could not foresee (e.g. an unreadable file in the data dir)
        click.echo(f"localexport: cannot start: {error.filename or settings.data_dir}: {error.strerror or error}",
                   err=True)
        raise SystemExit(2) from None
    except (S3StateError, SchemaError, SetupError) as error:  # saved by another version, or settings at odds
        click.echo(f"localexport: cannot start: {error}", err=True)
        raise SystemExit(2) from None
    except OperationalError as error:  # the database is not there (yet), or refuses us
        first = str(error.orig or error).strip().splitlines()[0]
        click.echo(f"localexport: cannot start: the database cannot be used: {first}", err=True)
        raise SystemExit(2) from None


def _given(settings) -> set[str]:
    """The settings given to this process (options or LOCALEXPORT_* variables), not defaulted."""
    return set(settings.model_fields_set) | {name for name in type(settings).model_fields
                                             if f"LOCALEXPORT_{name.upper()}" in os.environ}


def _as_variables(settings, overrides: dict) -> dict[str, str]:
    """The command line's settings as the LOCALEXPORT_* variables the server processes read."""
    return {f"LOCALEXPORT_{name.upper()}": str(getattr(settings, name)).lower()
            if isinstance(getattr(settings, name), bool) else str(getattr(settings, name)) for name in overrides}


_URL = click.option("--url", envvar="LOCALEXPORT_URL", default="http://127.0.0.1:4577", show_default=True,
                    help="The running server (also LOCALEXPORT_URL).")
_TOKEN = click.option("--token", envvar="LOCALEXPORT_CONTROL_TOKEN", default=None,
                      help="The server's control token, if it has one (better: LOCALEXPORT_CONTROL_TOKEN, "
                           "which other users cannot see in the process list).")


def _controls(url: str, token: str | None):
    from .remote import RemoteControls

    return RemoteControls(url, token=token or "")  # "": no token, not the variable again


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _size(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


@main.command()
@_URL
@_TOKEN
@click.option("--service", help="Only jobs of this service (e.g. lexv2-models).")
@click.option("--state", type=click.Choice(["queued", "running", "succeeded", "failed", "deleting"]))
def jobs(url, token, service, state) -> None:
    """List the jobs of every service on a running server."""
    import time

    from rich.console import Console
    from rich.table import Table

    rows = _controls(url, token).jobs(service, state)
    now = time.time()
    table = Table(title=f"localexport jobs at {url}")
    for column in ("id", "service", "kind", "resource", "status", "age", "size"):
        table.add_column(column, overflow="fold")
    colors = {"succeeded": "green", "failed": "red", "running": "yellow", "queued": "cyan"}
    for job in rows:
        table.add_row(job["id"], job["service"], job["kind"], job["resource"],
                      f"[{colors.get(job['state'], 'white')}]{job['state']}[/]", _age(now - job["created_at"]),
                      _size(job["size"]))
    Console().print(table)


@main.command()
@_URL
@_TOKEN
@click.argument("job_id")
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds to wait at most.")
def wait(url, token, job_id, timeout) -> None:
    """Follow a job until it ends; exit 0 if it succeeded, 1 if it failed, 2 on time-out."""
    import time

    from rich.console import Console

    controls = _controls(url, token)
    console = Console()
    deadline = time.monotonic() + timeout
    job = controls.job(job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    with console.status(f"{job_id}: {job['state']}") as status:
        while job and job["state"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = controls.job(job_id)
            if job:
                status.update(f"{job_id}: {job['state']} (attempt {job['attempts']})")
    if job is None:
        console.print(f"{job_id}: gone (deleted)")
        raise SystemExit(1)
    if job["state"] == "succeeded":
        console.print(f"[green]{job_id}: succeeded[/] ({_size(job['size'])})")
        return
    if job["state"] == "failed":
        console.print(f"[red]{job_id}: failed[/]: " + "; ".join(job["failure"] or []))
        raise SystemExit(1)
    console.print(f"[yellow]{job_id}: still {job['state']} after {timeout:g} s[/]")
    raise SystemExit(2)


@main.command()
@_URL
@_TOKEN
@click.argument("job_id")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def download(url, token, job_id, path) -> None:
    """Save a finished job's archive (to PATH, or its own name in this folder)."""
    import httpx

    signed = _controls(url, token).download_url(job_id)
    if signed is None:
        raise click.ClickException(f"job {job_id} has no finished archive")
    response = httpx.get(signed, timeout=60)
    response.raise_for_status()
    target = path or Path(httpx.URL(signed).path.rsplit("/", 1)[-1])
    if target.is_dir():
        target = target / httpx.URL(signed).path.rsplit("/", 1)[-1]
    target.write_bytes(response.content)
    click.echo(f"{target} ({len(response.content)} bytes)")


@main.command()
@_URL
@_TOKEN
@click.option("--account", help="Clear only this account (default: everything).")
def reset(url, token, account) -> None:
    """Clear the state of a running server (one account, or all of it)."""
    _controls(url, token).reset(account)
    click.echo(f"reset {'account ' + account if account else 'everything'}")
