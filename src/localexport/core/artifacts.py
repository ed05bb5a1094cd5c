"""Archive bytes in a local folder, published atomically.

A writer streams into ``tmp/`` and the file is renamed into ``objects/`` only
when it is complete, so no reader ever sees half an archive; a crash leaves
only a temporary file, swept at start-up.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def account_prefix(account: str) -> str:
    """The folder of artifacts that belong to an account's resources (not to a job)."""
    return f"accounts/{account}"


class Incoming:
    """A temporary file that becomes ``final`` in one step once complete."""

    def __init__(self, final: Path, temp: Path):
        self.final = final
        self.temp = temp
        self.file = open(temp, "wb")  # noqa: SIM115  (closed by publish or discard)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def publish(self, exclusive: bool = False) -> None:
        """Flush to disk and publish; ``exclusive``: only if ``final`` does not exist yet (FileExistsError
        else). A hard link, unlike a rename, never replaces a file: of two writers exactly one wins."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.final.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            os.link(self.temp, self.final)
            self.temp.unlink()
        else:
            os.replace(self.temp, self.final)

    def discard(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)


class ArtifactStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._objects.mkdir(parents=True, exist_ok=True)
        if self._tmp.exists():
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self._objects / key).resolve()
        if not path.is_relative_to(self._objects.resolve()):
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return path

    @contextmanager
    def writer(self, key: str, exclusive: bool = False) -> Iterator[BinaryIO]:
        """A file to write ``key`` into, published when the block ends (and not at all if it raises)."""
        incoming = self.incoming(key)
        try:
            yield incoming.file
            incoming.publish(exclusive)
        finally:
            incoming.discard()

    def incoming(self, key: str) -> Incoming:
        """``key`` being written piece by piece (e.g. from a request, a thread at a time)."""
        return Incoming(self._path(key), self._tmp / uuid.uuid4().hex)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private folder for a job's working files, removed afterwards (and at start-up)."""
        folder = self._tmp / uuid.uuid4().hex
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, file: Path, key: str) -> Path:
        """Move a finished file (from ``scratch``) to ``key`` in one rename."""
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file, final)
        return final

    def folder(self, key: str) -> Path:
        """The folder ``key``, created if need be (for files appended in place)."""
        path = self._path(key)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def path(self, key: str) -> Path:
        """The published file of ``key`` (FileNotFoundError if there is none)."""
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_tree(self, prefix: str) -> None:
        """Every artifact under the folder ``prefix``."""
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def clear(self) -> None:
        shutil.rmtree(self._objects, ignore_errors=True)
        self._objects.mkdir(parents=True, exist_ok=True)
