"""A real PostgreSQL server for the tests, from the system's binaries, on loopback.

``PostgresServer.start()`` runs ``initdb`` and ``pg_ctl`` in a temporary directory (as ``nobody`` when the
tests run as root, which PostgreSQL refuses); ``database()`` makes a new, empty database and gives its URL.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

UNPRIVILEGED = "nobody"


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, else the newest Debian package's."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    def __init__(self, bin_dir: Path, port: int):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="localexport-pg-"))
        self.port = port
        self._names = itertools.count()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, UNPRIVILEGED)
            self._as = ["runuser", "-u", UNPRIVILEGED, "--"]

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bin_dir / tool), *args], capture_output=True, text=True,
                              cwd=self.root, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr or done.stdout}")

    def start(self) -> PostgresServer:
        data = str(self.root / "data")
        self._run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        self._run("pg_ctl", "-D", data, "-l", str(self.root / "log"), "-w", "start",
                  "-o", f"-k {self.root} -p {self.port} -h 127.0.0.1 -c fsync=off -c max_connections=200")
        return self

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database (what a fresh shared instance starts from)."""
        name = f"le{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)



# Run a test on the in-memory SQLite store and on a PostgreSQL database (the ``backend`` fixture of conftest).
on_both_backends = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
