"""``localexport`` command line."""

from __future__ import annotations

import os
from pathlib import Path

import click

# The exit codes of the client commands (each command's --help lists its own).
FAILED, TIMED_OUT, UNREACHABLE, UNKNOWN_ID = 1, 2, 3, 4


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        from .remote import AmbiguousJob, ControlError, Unreachable

        try:
            return super().invoke(ctx)
        except Unreachable as error:  # one line naming the URL, not an httpx traceback
            click.echo(f"localexport: {error}; start it with localexport serve or pass --url", err=True)
            raise SystemExit(UNREACHABLE) from None
        except AmbiguousJob as error:
            hint = ("--account" if len(error.accounts) > 1 else "--region" if len(error.regions) > 1
                    else "its internal id (localexport jobs --wide)")
            click.echo(f"localexport: {error}: pass {hint}", err=True)
            raise SystemExit(UNKNOWN_ID) from None
        except ControlError as error:  # e.g. 401 without the token: one line, not a traceback
            raise click.ClickException(str(error)) from None


@click.group(cls=_Group)
@click.version_option(package_name="localexport", prog_name="localexport")
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


def _default_text(field) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None or value == []:
        return "unset"
    return str(value).lower() if isinstance(value, bool) else str(value)


class _Serve(click.Command):
    """`serve --help` ends with every setting, from the Settings model: a new one is listed by itself."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .config import Settings

        with formatter.section("Settings (LOCALEXPORT_* variables; an option above wins over its variable)"):
            formatter.write_dl([(f"LOCALEXPORT_{name.upper()}", f"{field.description} [default: {_default_text(field)}]")
                                for name, field in Settings.model_fields.items()])


@main.command(cls=_Serve)
@click.option("--host", default=None, help="Address to listen on (LOCALEXPORT_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (LOCALEXPORT_PORT, default 4577).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where the database and archives live (LOCALEXPORT_DATA_DIR).")
@click.option("--job-mode", type=click.Choice(["immediate", "realistic", "manual"]), default=None,
              help="How jobs advance: immediate (done before the create call returns), realistic (after "
                   "--job-delay seconds, the default), manual (only when advanced through the test controls). "
                   "LOCALEXPORT_JOB_MODE.")
@click.option("--job-delay", type=float, default=None,
              help="Seconds a job takes in realistic mode (LOCALEXPORT_JOB_DELAY, default 2).")
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
    from .app import LocalExport
    from .config import SetupError
    from .core.migrations import SchemaError
    from .core.s3_disk import S3StateError
    from .core.store import Store

    try:
        return LocalExport(settings)
    except OSError as error:  # what the probe could not foresee (e.g. an unreadable file in the data dir)
        click.echo(f"localexport: cannot start: {error.filename or settings.data_dir}: {error.strerror or error}",
                   err=True)
        raise SystemExit(2) from None
    except (S3StateError, SchemaError, SetupError) as error:  # saved by another version, or settings at odds
        click.echo(f"localexport: cannot start: {error}", err=True)
        raise SystemExit(2) from None
    except Store.backend(settings.resolved_database_url()).errors as error:  # not there (yet), or refuses us
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
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
_ACCOUNT = click.option("--account", default=None, help="The job's account: where its AWS id is in several "
                                                         "(QuickSight job ids), or to list only that account's.")
_REGION = click.option("--region", default=None, help="The job's region: where its AWS id is in several, or to "
                                                       "list only that region's.")
_JOB_ID = click.argument("job_id", metavar="JOB_ID")
_IDS = ("JOB_ID is the id the service's API answered (a Lex V2 exportId or importId, a Lex V1 importId or "
        "migrationId, a Lex V1 export as name:version:resourceType, a QuickSight AssetBundleExportJobId or "
        "AssetBundleImportJobId, a Personalize job ARN) or the internal id `localexport jobs --wide` shows.")


def _exit_codes(*lines: str) -> str:
    """An epilog listing exit codes; \\b keeps click from joining the lines."""
    return "\b\nExit codes:\n" + "\n".join(f"  {line}" for line in lines)


_UNREACHABLE, _UNKNOWN = "3  the server cannot be reached", "4  no such job (or its id names several: say which)"


def _stop(code: int, message: str):
    click.echo(f"localexport: {message}", err=True)
    raise SystemExit(code)


def _controls(url: str, token: str | None):
    from .remote import RemoteControls

    return RemoteControls(url, token=token or "")  # "": no token, not the variable again


def _find(controls, ident: str, account: str | None, region: str | None) -> dict:
    """The job by AWS id or internal id, or exit 4 saying there is none."""
    job = controls.job(ident, account, region)
    if job is None:
        where = ", ".join(filter(None, (f"account {account}" if account else "", f"region {region}" if region else "")))
        _stop(UNKNOWN_ID, f"no job {ident}{' in ' + where if where else ''}")
    return job


@main.command(epilog=_exit_codes("0  listed", _UNREACHABLE, _UNKNOWN))
@_URL
@_TOKEN
@click.argument("job_id", metavar="[JOB_ID]", required=False)
@click.option("--service", help="Only jobs of this service (e.g. lexv2-models).")
@click.option("--state", type=click.Choice(["queued", "running", "succeeded", "failed", "deleting"]))
@_ACCOUNT
@_REGION
@click.option("--wide", is_flag=True, help="Every column (region, kind, resource, size, attempts, internal id, "
                                           "output), however wide.")
@click.option("--json", "as_json", is_flag=True, help="The jobs as the control API describes them, as JSON.")
def jobs(url, token, job_id, service, state, account, region, wide, as_json) -> None:
    """List the jobs of every service on a running server (or the job JOB_ID).

    JOB_ID, when given, is an AWS id or an internal id, as `localexport wait` takes."""
    import json

    from rich.console import Console

    from .job_table import job_table

    controls = _controls(url, token)
    rows = [_find(controls, job_id, account, region)] if job_id else controls.jobs(service, state, account, region)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no jobs at {url}")
        return
    console = Console()
    table = job_table(rows, console.width, wide)
    if wide:  # as wide as it takes: a pipe or a wide terminal gets whole ids
        console = Console(width=max(console.width, Console(width=1 << 16).measure(table).maximum))
    console.print(table)


@main.command(epilog=_IDS + "\n\n" + _exit_codes("0  the job succeeded", "1  the job failed (or was deleted)",
                                                 "2  time-out: still queued or running", _UNREACHABLE, _UNKNOWN))
@_URL
@_TOKEN
@_JOB_ID
@_ACCOUNT
@_REGION
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds to wait at most.")
def wait(url, token, job_id, account, region, timeout) -> None:
    """Follow a job until it ends: live progress on a terminal, only the outcome otherwise."""
    import time
    from contextlib import nullcontext

    from rich.console import Console

    from .job_table import size_text

    controls = _controls(url, token)
    job = _find(controls, job_id, account, region)
    engine_id = job["id"]  # found once; polled by the id that cannot be ambiguous
    console = Console()
    started = time.monotonic()
    live = console.status(f"{job_id}: {job['state']}") if console.is_terminal else nullcontext()
    with live as status:
        while job and job["state"] in ("queued", "running") and time.monotonic() < started + timeout:
            time.sleep(0.2)
            job = controls.job(engine_id, job["account"], job["region"])
            if status is not None and job:
                attempt = f", attempt {job['attempts']}" if job["attempts"] > 1 else ""
                status.update(f"{job_id}: {job['state']}, {time.monotonic() - started:.0f} s{attempt}")
    def say(line: str) -> None:  # one line, never wrapped: what a script reads
        console.print(line, soft_wrap=True, highlight=False)

    if job is None:
        say(f"[red]{job_id}: gone (deleted)[/]")
        raise SystemExit(FAILED)
    if job["state"] == "succeeded":
        result = f"output in {job['output']}" if job["output"] else size_text(job["size"])
        say(f"[green]{job_id}: succeeded[/] ({result})")
        return
    if job["state"] in ("failed", "deleting"):
        say(f"[red]{job_id}: {job['state']}[/]: " + "; ".join(job["failure"] or []))
        raise SystemExit(FAILED)
    say(f"[yellow]{job_id}: still {job['state']} after {timeout:g} s[/]")
    raise SystemExit(TIMED_OUT)


@main.command(epilog=_IDS + "\n\n" + _exit_codes(
    "0  saved", "1  nothing to save: the job failed or has not finished, its output is in S3 (without "
    "--from-s3), or it makes no archive (an import)", _UNREACHABLE, _UNKNOWN))
@_URL
@_TOKEN
@_JOB_ID
@click.argument("path", required=False, type=click.Path(path_type=Path))
@_ACCOUNT
@_REGION
@click.option("--from-s3", is_flag=True, help="For a job whose output is in S3 (a Personalize dataset export): "
                                               "copy the objects under its output prefix into the folder PATH.")
def download(url, token, job_id, path, account, region, from_s3) -> None:
    """Save a finished job's archive (to PATH, or its own name in this folder)."""
    controls = _controls(url, token)
    job = _find(controls, job_id, account, region)
    if job["state"] != "succeeded":
        reasons = "; ".join(job["failure"] or [])
        if job["state"] in ("queued", "running"):
            _stop(FAILED, f"{job_id} is still {job['state']}: nothing to save yet (localexport wait follows it)")
        _stop(FAILED, f"{job_id} {'failed' if job['state'] == 'failed' else 'is being deleted'}, nothing to save"
              + (f": {reasons}" if reasons else ""))
    if job["output"]:
        if not from_s3:
            _stop(FAILED, f"{job_id} wrote its output to S3, not an archive: {job['output']} "
                          "(--from-s3 copies it here)")
        _copy_from_s3(url, job, path or Path("."))
        return
    signed = controls.download_url(job["id"])
    if signed is None:
        _stop(FAILED, f"{job_id} ({job['kind']}) made no archive")
    _save(url, signed, path)


def _save(url: str, signed: str, path: Path | None) -> None:
    """Stream the archive at ``signed`` to ``path`` (a file, or a folder to keep its own name in)."""
    import httpx

    from .remote import Unreachable

    name = httpx.URL(signed).path.rsplit("/", 1)[-1]
    target = path or Path(name)
    if target.is_dir():
        target = target / name
    size = 0
    try:
        with httpx.stream("GET", signed, timeout=60) as response:
            response.raise_for_status()
            with open(target, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    size += len(chunk)
    except httpx.TransportError as error:
        raise Unreachable(url, error) from None
    click.echo(f"{target} ({size} bytes)")


def _copy_from_s3(url: str, job: dict, folder: Path) -> None:
    """Copy the objects under the job's output prefix through the server's S3, as the job's account (a
    12-digit access key is the account)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from .core.objects import S3Url

    output = S3Url.parse(job["output"])
    s3 = boto3.client("s3", endpoint_url=url, region_name=job["region"], aws_access_key_id=job["account"],
                      aws_secret_access_key="localexport")
    folder.mkdir(parents=True, exist_ok=True)
    copied = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=output.bucket, Prefix=output.key):
            for item in page.get("Contents", []):
                target = (folder / item["Key"][len(output.key):]).resolve()
                if not target.is_relative_to(folder.resolve()):  # a key with ".." stays out
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(output.bucket, item["Key"], str(target))
                click.echo(f"{target} ({item['Size']} bytes)")
                copied += 1
    except (BotoCoreError, ClientError) as error:
        _stop(FAILED, f"cannot copy {job['output']}: {error}")
    if not copied:
        _stop(FAILED, f"nothing under {job['output']}")


@main.command(epilog=_exit_codes("0  cleared", _UNREACHABLE))
@_URL
@_TOKEN
@click.option("--account", help="Clear only this account (default: everything).")
def reset(url, token, account) -> None:
    """Clear the state of a running server (one account, or all of it)."""
    _controls(url, token).reset(account)
    click.echo(f"reset {'account ' + account if account else 'everything'}")
