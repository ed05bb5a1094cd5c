"""The embedded S3's buckets and objects, written through to the data dir.

moto keeps S3 in memory; this mirrors every change to disk before S3 answers,
so an object PUT answered 200 survives a kill -9:

    <root>/<bucket>/bucket.pickle         the bucket (owner, policy, versioning, ...) without its keys, and its tags
    <root>/<bucket>/keys/<sha256>.pickle  every version of one key: moto's key state and tags, minus the bytes
    <root>/<bucket>/data/<uuid>           one version's bytes

(moto keeps tags apart from buckets and keys, in its backend's ``tagger``: they are saved with them.)

Each file is written to a temporary name, fsynced and renamed, and a key's
metadata names only data files that are complete, so a crash leaves the old
state or the new one, never half.  Bucket names are global, so one folder per
bucket holds any account's bucket (its owner is in ``bucket.pickle``).
In-progress multipart uploads are not kept: a crash aborts them, as their
parts are not objects yet.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

_CHUNK = 8 * 1024 * 1024
_KEY_STATE_SKIPPED = ("_value_buffer", "lock")


class S3StateError(RuntimeError):
    """The saved S3 state cannot be read (another version's format, a damaged file)."""


def _moto():
    from moto.s3.models import s3_backends

    return s3_backends


def _write_atomic(path: Path, fill) -> None:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        _sync_dir(path.parent)  # the rename itself survives a power loss only once its folder is synced
    finally:
        temp.unlink(missing_ok=True)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tagger(bucket):
    return _moto()[bucket.account_id][S3Disk.PARTITION].tagger


def _tags(bucket, arn: str) -> dict[str, str | None]:
    return dict(_tagger(bucket).tags.get(arn, {}))


def _set_tags(bucket, arn: str, tags: dict[str, str | None]) -> None:
    """Exactly these tags (none: none), as on disk."""
    if tags:
        _tagger(bucket).tags[arn] = dict(tags)
    else:
        _tagger(bucket).tags.pop(arn, None)


class S3Disk:
    PARTITION = "aws"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # (bucket, key name) -> (the versions on disk, their data files): what is already written
        self._written: dict[tuple[str, str], tuple[list[Any], list[str | None]]] = {}

    # -- reading back --------------------------------------------------------

    def load(self) -> None:
        """Put every saved bucket back into moto's backends (at start)."""
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            try:
                self._load_bucket(folder)
            except Exception as error:  # any unpickling failure is the same story for the user
                raise S3StateError(f"cannot read the embedded S3 bucket saved in {folder}: {error!r}; "
                                   "move that folder aside to start without it") from error

    def _load_bucket(self, folder: Path) -> None:
        from moto.s3.utils import _VersionedKeyStore

        meta = folder / "bucket.pickle"
        if not meta.exists():  # a bucket whose creation did not finish
            shutil.rmtree(folder, ignore_errors=True)
            return
        saved = pickle.loads(meta.read_bytes())
        bucket, tags = (saved["bucket"], saved["tags"]) if isinstance(saved, dict) else (saved, {})
        bucket.keys = _VersionedKeyStore()
        referenced = set()
        for path in (folder / "keys").glob("*.pickle") if (folder / "keys").exists() else ():
            name = self._read_key(bucket, folder, path)
            referenced.update(f for f in self._written[(bucket.name, name)][1] if f)
        for data in (folder / "data").glob("*") if (folder / "data").exists() else ():
            if data.name not in referenced:  # written by a PUT whose metadata never landed
                data.unlink(missing_ok=True)
        self._register(bucket)
        _set_tags(bucket, bucket.arn, tags)

    def _read_key(self, bucket, folder: Path, path: Path) -> str:
        saved = pickle.loads(path.read_bytes())
        versions = [self._revive(folder, entry) for entry in saved["versions"]]
        bucket.keys.setlist(saved["name"], versions)  # moto keeps this very list and appends to it
        for version, tags in zip(versions, saved.get("tags", ())):
            if hasattr(version, "arn"):
                _set_tags(bucket, version.arn, tags)
        self._written[(bucket.name, saved["name"])] = (list(versions), [entry[2] for entry in saved["versions"]])
        return saved["name"]

    def _revive(self, folder: Path, entry: tuple[str, Any, str | None]) -> Any:
        kind, state, data = entry
        if kind == "object":
            return state
        from moto.s3.models import FakeKey

        key = FakeKey.__new__(FakeKey)
        key.__dict__.update(state)
        key._value_buffer = tempfile.SpooledTemporaryFile(max_size=key._max_buffer_size)  # noqa: SIM115  (moto's buffer)
        with open(folder / "data" / data, "rb") as source:
            shutil.copyfileobj(source, key._value_buffer, _CHUNK)
        key._value_buffer.flush()  # (all of it in the file: a job may read that file by path, see held_file)
        key.lock = threading.Lock()
        return key

    def _register(self, bucket) -> None:
        s3 = _moto()
        s3[bucket.account_id][self.PARTITION].buckets[bucket.name] = bucket
        s3.bucket_accounts[bucket.name] = (self.PARTITION, bucket.account_id)

    # -- writing through -----------------------------------------------------

    def _bucket(self, name: str):
        owner = _moto().bucket_accounts.get(name)
        if owner is None:
            return None
        partition, account = owner
        return _moto()[account][partition].buckets.get(name)

    def _folder(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or bucket in (".", ".."):
            raise ValueError(f"not a bucket name: {bucket!r}")
        return self.root / bucket

    @staticmethod
    def _key_file(folder: Path, name: str) -> Path:
        return folder / "keys" / f"{hashlib.sha256(name.encode()).hexdigest()}.pickle"

    def sync_bucket(self, name: str) -> None:
        """After a bucket-level change: its settings, and every key that changed (DeleteObjects)."""
        with self._lock:
            bucket = self._bucket(name)
            if bucket is None:  # deleted
                shutil.rmtree(self._folder(name), ignore_errors=True)
                self._written = {k: v for k, v in self._written.items() if k[0] != name}
                return
            self._write_bucket(bucket)
            names = set(bucket.keys.keys()) | {key for b, key in self._written if b == name}
            for key in names:
                self._sync_key(bucket, key)

    def sync_key(self, bucket_name: str, name: str, edited: bool = False) -> None:
        """After a change to one key (PUT, copy, delete, multipart completion): its versions on disk.

        ``edited``: the change may be to a version in place (tags, ACL, retention, legal hold), so its state is
        written again even where its versions are the ones on disk (their bytes are not)."""
        with self._lock:
            bucket = self._bucket(bucket_name)
            if bucket is not None:
                if not (self._folder(bucket_name) / "bucket.pickle").exists():  # made by a job, or before a crash
                    self._write_bucket(bucket)
                self._sync_key(bucket, name, edited)

    def _write_bucket(self, bucket) -> None:
        bare = copy.copy(bucket)
        bare.keys = {}
        bare.multiparts = {}
        saved = {"bucket": bare, "tags": _tags(bucket, bucket.arn)}
        folder = self._folder(bucket.name)
        for sub in ("keys", "data"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        _write_atomic(folder / "bucket.pickle", lambda out: pickle.dump(saved, out, pickle.HIGHEST_PROTOCOL))

    def _sync_key(self, bucket, name: str, edited: bool = False) -> None:
        versions = list(bucket.keys.getlist(name, []))
        # The very objects written last time (held, so a new key cannot reuse an old one's id).
        old_versions, old_files = self._written.get((bucket.name, name), ([], []))
        if not edited and len(versions) == len(old_versions) and all(a is b for a, b in zip(versions, old_versions)):
            return
        folder = self._folder(bucket.name)
        meta = self._key_file(folder, name)
        if not versions:
            meta.unlink(missing_ok=True)
            self._drop(folder, old_files)
            self._written.pop((bucket.name, name), None)
            return
        kept = {id(v): f for v, f in zip(old_versions, old_files)}  # old versions are alive: their ids are theirs
        entries = [self._entry(folder, v, kept.get(id(v))) for v in versions]
        files = [entry[2] for entry in entries]
        tags = [_tags(bucket, v.arn) if hasattr(v, "arn") else {} for v in versions]
        _write_atomic(meta, lambda out: pickle.dump({"name": name, "versions": entries, "tags": tags}, out,
                                                    pickle.HIGHEST_PROTOCOL))
        self._drop(folder, [f for f in old_files if f not in files])
        self._written[(bucket.name, name)] = (versions, files)

    def _entry(self, folder: Path, version: Any, data: str | None) -> tuple[str, Any, str | None]:
        if not hasattr(version, "_value_buffer"):  # a delete marker
            return ("object", version, None)
        state = {k: v for k, v in version.__dict__.items() if k not in _KEY_STATE_SKIPPED}
        state["multipart"] = None  # the parts are in the bytes already
        if data is None:
            data = uuid.uuid4().hex

            def copy_value(out):
                with version.lock:
                    version._value_buffer.seek(0)
                    shutil.copyfileobj(version._value_buffer, out, _CHUNK)

            _write_atomic(folder / "data" / data, copy_value)
        return ("key", state, data)

    @staticmethod
    def _drop(folder: Path, files: list[str | None]) -> None:
        for file in files:
            if file:
                (folder / "data" / file).unlink(missing_ok=True)

    def restore_key(self, bucket_name: str, name: str) -> None:
        """After a write to disk failed: put the key back as the disk has it (the disk is the truth)."""
        with self._lock:
            bucket = self._bucket(bucket_name)
            if bucket is None:
                return
            folder = self._folder(bucket_name)
            meta = self._key_file(folder, name)
            if meta.exists():
                self._read_key(bucket, folder, meta)
            elif name in bucket.keys:
                bucket.keys.pop(name)
                self._written.pop((bucket_name, name), None)

    def restore_bucket(self, name: str) -> None:
        """After a bucket-level write failed (settings, DeleteObjects, a new bucket): the bucket as the disk has
        it, keys included, or no bucket if it never reached the disk."""
        with self._lock:
            folder = self._folder(name)
            self._written = {k: v for k, v in self._written.items() if k[0] != name}
            if (folder / "bucket.pickle").exists():
                self._load_bucket(folder)
                return
            owner = _moto().bucket_accounts.pop(name, None)
            if owner is not None:
                _moto()[owner[1]][owner[0]].buckets.pop(name, None)

    def forget(self, buckets: list[str]) -> None:
        """Buckets reset away (the control API's reset)."""
        with self._lock:
            for name in buckets:
                shutil.rmtree(self._folder(name), ignore_errors=True)
            self._written = {k: v for k, v in self._written.items() if k[0] not in buckets}

    def import_saved(self, saved: dict[str, dict[str, Any]]) -> None:
        """Buckets of the pickle an older version saved at stop: into moto, then onto disk."""
        for buckets in saved.values():
            for bucket in buckets.values():
                self._register(bucket)
                self.sync_bucket(bucket.name)
