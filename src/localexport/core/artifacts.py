"""Artifact bytes (archives, uploads, Personalize record files), published atomically.

Two stores behind one interface, ``Artifacts``; services never know which one they use:

- ``ArtifactStore``: a local folder (the default, ``<data_dir>/artifacts``);
- ``S3Artifacts`` (``artifacts_s3.py``): a bucket and prefix that any number of
  servers and workers share.

Both write into a local temporary file and publish it in one step only once it
is complete (a rename; a PutObject of the whole file), so no reader ever sees
half an artifact and a crash leaves only a temporary file. A published artifact
is never changed in place, only replaced or deleted: that is what lets the S3
store keep local copies of the files DuckDB reads.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from . import processes


def account_prefix(account: str) -> str:
    """The folder of artifacts that belong to an account's resources (not to a job)."""
    return f"accounts/{account}"


class Incoming:
    """A temporary file that ``commit`` publishes in one step once complete."""

    def __init__(self, temp: Path, commit: Callable[[Path, bool], None], durable: bool = True):
        self.temp = temp
        self._commit = commit
        self._durable = durable
        self.file = open(temp, "wb")  # noqa: SIM115  (closed by publish or discard)

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def publish(self, exclusive: bool = False) -> None:
        """Flush to disk and publish; ``exclusive``: only if the key has no artifact yet (FileExistsError else):
        of two writers exactly one wins."""
        self.file.flush()
        if self._durable:
            os.fsync(self.file.fileno())
        self.file.close()
        self._commit(self.temp, exclusive)

    def discard(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)


class Artifacts(ABC):
    """Keys are ``/``-separated paths; a "folder" is a key prefix."""

    # Whether a published artifact is synced to disk first (an in-memory instance's temp folder dies with the
    # process: nothing there outlives a crash, so nothing needs the sync)
    durable = True

    # path() is the published file itself, not a copy: it can be served as a file (with ranges and validators).
    local: bool

    def __init__(self, tmp: Path):
        self._tmp = tmp  # temporary files and scratch folders; always on local disk

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
        self._check(key)
        return Incoming(self._tmp / uuid.uuid4().hex, lambda temp, exclusive: self._commit(temp, key, exclusive),
                        self.durable)

    @contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private local folder for a job's working files, removed afterwards."""
        folder = self._tmp / uuid.uuid4().hex
        folder.mkdir()
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, file: Path, key: str) -> None:
        """Publish a finished local file (from ``scratch``) as ``key``; the file is gone afterwards."""
        self._check(key)
        self._commit(file, key, False)

    def read(self, key: str) -> bytes:
        with self.open(key) as file:
            return file.read()

    @abstractmethod
    def _check(self, key: str) -> None:
        """ValueError unless ``key`` names an artifact of this store."""

    @abstractmethod
    def _commit(self, temp: Path, key: str, exclusive: bool) -> None:
        """Make the complete file ``temp`` the artifact ``key``, in one step."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The bytes of ``key``, to stream (FileNotFoundError if there is no such artifact)."""

    @abstractmethod
    def path(self, key: str) -> Path:
        """A local file with the bytes of ``key``, for readers that need one (DuckDB, zipfile)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int | None: ...

    @abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """The keys under the folder ``prefix``, sorted."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def delete_tree(self, prefix: str) -> None:
        """Every artifact under the folder ``prefix``."""

    @abstractmethod
    def clear(self) -> None: ...


class ArtifactStore(Artifacts):
    """A local folder: files in ``objects/``, temporary files in ``tmp/<process>@<host>/``.

    At start-up what this host's dead processes left in ``tmp/`` is swept; the temporary files of another
    live process sharing the folder (``serve --workers N``), or of another host's, are its own."""

    local = True

    def __init__(self, root: Path):
        self.root = Path(root)
        self._objects = self.root / "objects"
        tmp = self.root / "tmp"
        self._objects.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(parents=True, exist_ok=True)
        here = f"@{socket.gethostname()}"
        for left in tmp.iterdir():
            made_by, at, host = left.name.partition("@")
            if left.name.startswith("."):  # (serve's write probe)
                continue
            # this host's dead processes' folders, and what versions before per-process folders left
            if (not at and "-" not in made_by) or (f"@{host}" == here and not processes.alive(made_by)):
                shutil.rmtree(left, ignore_errors=True) if left.is_dir() else left.unlink(missing_ok=True)
        own = tmp / f"{processes.THIS}{here}"
        own.mkdir(exist_ok=True)
        super().__init__(own)

    def _path(self, key: str) -> Path:
        path = (self._objects / key).resolve()
        if not path.is_relative_to(self._objects.resolve()):
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return path

    def _check(self, key: str) -> None:
        self._path(key)

    def _commit(self, temp: Path, key: str, exclusive: bool) -> None:
        final = self._path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:  # a hard link, unlike a rename, never replaces a file
            os.link(temp, final)
            temp.unlink()
        else:
            os.replace(temp, final)

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def path(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None

    def keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        return sorted(p.relative_to(self._objects.resolve()).as_posix() for p in folder.rglob("*") if p.is_file())

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_tree(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def clear(self) -> None:
        shutil.rmtree(self._objects, ignore_errors=True)
        self._objects.mkdir(parents=True, exist_ok=True)
