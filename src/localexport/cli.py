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
