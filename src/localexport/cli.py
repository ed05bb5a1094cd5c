"""``localexport`` command line."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def main() -> None:
    """localexport: AWS export/import job APIs, locally."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 4577).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Where the database and archives live.")
@click.option("--job-mode", type=click.Choice(["immediate", "realistic", "manual"]), default=None)
@click.option("--job-delay", type=float, default=None, help="Seconds a job takes in realistic mode.")
def serve(host, port, data_dir, job_mode, job_delay) -> None:
    """Run the server (settings also from LOCALEXPORT_* variables)."""
    import uvicorn

    from .app import LocalExport
    from .config import Settings

    overrides = {k: v for k, v in {"host": host, "port": port, "data_dir": data_dir, "job_mode": job_mode,
                                    "job_delay": job_delay}.items() if v is not None}
    settings = Settings(**overrides)
    instance = LocalExport(settings)
    click.echo(f"localexport on http://{settings.host}:{settings.port} (data in {settings.data_dir}, "
               f"jobs {settings.job_mode})", err=True)
    try:
        uvicorn.run(instance.app, host=settings.host, port=settings.port, log_level=settings.log_level,
                    access_log=False)
    finally:
        instance.close()


_URL = click.option("--url", envvar="LOCALEXPORT_URL", default="http://127.0.0.1:4577", show_default=True,
                    help="The running server (also LOCALEXPORT_URL).")


def _controls(url: str):
    from .remote import RemoteControls

    return RemoteControls(url)


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
@click.option("--service", help="Only jobs of this service (e.g. lexv2-models).")
@click.option("--state", type=click.Choice(["queued", "running", "succeeded", "failed", "deleting"]))
def jobs(url, service, state) -> None:
    """List the jobs of every service on a running server."""
    import time

    from rich.console import Console
    from rich.table import Table

    rows = _controls(url).jobs(service, state)
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
@click.argument("job_id")
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds to wait at most.")
def wait(url, job_id, timeout) -> None:
    """Follow a job until it ends; exit 0 if it succeeded, 1 if it failed, 2 on time-out."""
    import time

    from rich.console import Console

    controls = _controls(url)
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
@click.argument("job_id")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def download(url, job_id, path) -> None:
    """Save a finished job's archive (to PATH, or its own name in this folder)."""
    import httpx

    signed = _controls(url).download_url(job_id)
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
@click.option("--account", help="Clear only this account (default: everything).")
def reset(url, account) -> None:
    """Clear the state of a running server (one account, or all of it)."""
    _controls(url).reset(account)
    click.echo(f"reset {'account ' + account if account else 'everything'}")
