"""The ``localexport jobs`` table: what fits a terminal by default, everything with ``--wide``."""

from __future__ import annotations

import time
from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table

_COLORS = {"succeeded": "green", "failed": "red", "running": "yellow", "queued": "cyan"}
_NARROW = ("service", "AWS id", "account", "state", "age")
_WIDE = ("service", "AWS id", "account", "region", "kind", "state", "age", "size", "attempts", "internal id",
         "resource", "output")
_GAP = 3  # between two columns: box.SIMPLE_HEAD pads each side of its blank rule


def age_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def size_text(size: int | None) -> str:
    if size is None:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def shortened(text: str, width: int) -> str:
    """``text`` in ``width`` characters, keeping its tail: what tells ARNs and long ids apart is at the end
    (``…dataset-export-job/items-all``)."""
    return text if len(text) <= width else "…" + text[len(text) - width + 1:]


def _cells(job: dict[str, Any], now: float) -> dict[str, str]:
    return {"service": job["service"], "AWS id": job["aws_id"], "account": job["account"], "region": job["region"],
            "kind": job["kind"], "state": job["state"], "age": age_text(now - job["created_at"]),
            "size": size_text(job["size"]), "attempts": str(job["attempts"]), "internal id": job["id"],
            "resource": job["resource"], "output": job["output"] or "-"}


def job_table(jobs: list[dict[str, Any]], width: int, wide: bool = False) -> Table:
    """The jobs as a table: by default at most ``width`` columns wide (the AWS ids shortened to fit)."""
    now = time.time()
    rows = [_cells(job, now) for job in jobs]
    columns = _WIDE if wide else _NARROW
    if not wide:
        others = sum(max(len(c), *(len(r[c]) for r in rows)) + _GAP for c in columns if c != "AWS id")
        room = max(12, width - others)
        for row in rows:
            row["AWS id"] = shortened(row["AWS id"], room)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=True)
    for row in rows:
        cells = {c: escape(row[c]) for c in columns}  # an id may hold [brackets]
        cells["state"] = f"[{_COLORS.get(row['state'], 'white')}]{row['state']}[/]"
        table.add_row(*(cells[c] for c in columns))
    return table
