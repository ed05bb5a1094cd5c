"""Which process on this host made something (a running job, a temporary folder), and whether it still runs.

A marker is the pid and the process's start time (Linux: /proc), so a pid a later process reuses is not taken
for the one that made the thing.  Several processes share one data dir under `serve --workers N`: what a dead
one left behind is recovered or swept, what a live one holds is left to it.
"""

from __future__ import annotations

import os
from pathlib import Path


def marker(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{pid}-{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, starttime, after the command name
    except (OSError, IndexError):
        return None


THIS = marker(os.getpid()) or f"{os.getpid()}-0"


def _forked() -> None:  # a forked child is another process: its own marker
    global THIS
    THIS = marker(os.getpid()) or f"{os.getpid()}-0"


os.register_at_fork(after_in_child=_forked)


def alive(made_by: str | None) -> bool:
    """Whether the process of ``made_by`` still runs, other than this one (False for a marker of no process)."""
    if not made_by or made_by == THIS:
        return False
    pid = made_by.split("-", 1)[0]
    return pid.isdigit() and marker(int(pid)) == made_by
