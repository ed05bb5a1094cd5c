"""The file tree of a finished job's archive: its zip entries (names are readable in a password-protected
zip too), each with its depth, for an indented listing."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from ..core.artifacts import Artifacts

MAX_ENTRIES = 2000  # a page, not a dump


@dataclass(frozen=True)
class Entry:
    path: str
    name: str
    depth: int
    folder: bool
    size: int = 0


def entries(artifacts: Artifacts, key: str) -> list[Entry] | None:
    """None if the artifact is not a zip (a JSON document, say)."""
    try:
        with zipfile.ZipFile(artifacts.path(key)) as archive:
            infos = archive.infolist()[:MAX_ENTRIES]
    except (zipfile.BadZipFile, FileNotFoundError, ValueError):
        return None
    files = {i.filename.rstrip("/"): i.file_size for i in infos if not i.is_dir()}
    folders = {"/".join(path.split("/")[:n]) for path in files for n in range(1, path.count("/") + 1)}
    folders |= {i.filename.rstrip("/") for i in infos if i.is_dir()}
    out = [Entry(p, p.rsplit("/", 1)[-1], p.count("/"), True) for p in folders]
    out += [Entry(p, p.rsplit("/", 1)[-1], p.count("/"), False, size) for p, size in files.items()]
    # a folder before what it holds: sort by the path's parts, folders first among siblings
    return sorted(out, key=lambda e: [*("0" + part for part in e.path.split("/")[:-1]),
                                      ("0" if e.folder else "1") + e.name])
