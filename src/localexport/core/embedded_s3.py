"""moto's S3 backend in this process, as the jobs' object store and as the S3
API on localexport's endpoint (``wsgi_app``), so what a job writes is what an
S3 client lists and gets.

Buckets belong to the account that created them: another account reaches them
only through their bucket policy (``bucket_policy.py``), for jobs and S3 calls
alike.  With a data dir, every change is written through to it before it is
acknowledged (``s3_disk.py``).  Objects are read in chunks from moto's spooled
buffers, so a large object never sits in memory whole.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .bucket_policy import allowed, resource_arn
from .objects import _CHUNK, ObjectError
from .s3_disk import S3Disk, S3StateError
from .s3_front import S3Front

log = logging.getLogger(__name__)
LEGACY_STATE = "embedded-s3.pickle"  # what versions before the write-through saved at stop
_FD_PATHS = Path("/proc/self/fd")  # (Linux: a path that opens what a descriptor of this process has open)


class EmbeddedS3:
    """One moto backend per account; bucket names stay global, as in S3."""

    PARTITION = "aws"

    def __init__(self, data_dir: Path | None = None):
        self.disk = S3Disk(data_dir / "s3") if data_dir is not None else None
        if self.disk is not None:
            self.disk.load()
            self._migrate(data_dir / LEGACY_STATE)

    def _migrate(self, legacy: Path) -> None:
        if not legacy.exists():
            return
        try:
            with open(legacy, "rb") as f:
                saved = pickle.load(f)
        except Exception as error:  # written by another moto version, or damaged: never drop it silently
            raise S3StateError(f"cannot read the embedded S3 state {legacy} saved by an older localexport "
                               f"({error!r}); move it aside to start without it") from error
        self.disk.import_saved(saved)
        legacy.replace(legacy.with_name(legacy.name + ".migrated"))
        log.info("migrated the embedded S3 state %s to %s", legacy, self.disk.root)

    def wsgi_app(self, verify_payload: bool = False):
        """moto's S3 Flask app behind the account checks and the write-through (and, when signatures are
        verified, the check of each body against its signed hash); made at the first S3 request, since
        importing moto's server and Flask costs a third of a second that a run calling no S3 need not pay."""
        made: list[S3Front] = []
        lock = threading.Lock()

        def app(environ, start_response):
            if not made:
                with lock:
                    if not made:
                        from moto.server import create_backend_app

                        made.append(S3Front(create_backend_app("s3"), self.disk, verify_payload))
            return made[0](environ, start_response)

        return app

    def _backend(self, account: str):
        from moto.s3.models import s3_backends

        return s3_backends[account][self.PARTITION]

    def _bucket(self, account: str, bucket: str, action: str, key: str | None = None):
        from moto.s3.exceptions import MissingBucket

        try:
            found = self._backend(account).get_bucket(bucket)
        except MissingBucket:
            raise ObjectError("NoSuchBucket", f"The specified bucket does not exist: {bucket}") from None
        if not allowed(found.account_id, found.policy, account, action, resource_arn(bucket, key)):
            raise ObjectError("AccessDenied", f"Access Denied to bucket {bucket}")
        return found

    def check_bucket(self, account: str, bucket: str) -> None:
        self._bucket(account, bucket, "s3:ListBucket")

    def list(self, account: str, bucket: str, prefix: str) -> list[str]:
        found = self._bucket(account, bucket, "s3:ListBucket")
        return sorted(name for name in list(found.keys.keys()) if name.startswith(prefix))

    def download(self, account: str, bucket: str, key: str, out: BinaryIO) -> None:
        found = self._bucket(account, bucket, "s3:GetObject", key).keys.get(key)
        if found is None or not hasattr(found, "_value_buffer"):  # absent, or a delete marker
            raise ObjectError("NoSuchKey", f"The specified key does not exist: {key}")
        with found.lock, _disposed_is_missing(found, key):  # moto's own lock around its buffer; read in chunks, not whole
            found._value_buffer.seek(0)
            shutil.copyfileobj(found._value_buffer, out, _CHUNK)

    @contextmanager
    def held_file(self, account: str, bucket: str, key: str) -> Iterator[tuple[Path, int] | None]:
        """An object moto keeps in a file (past its spooled buffer's size) is read there, through Linux's
        /proc/self/fd, not copied first: a copy of a large import's input into the job's scratch costs as much
        as a plain parse of it.  moto never writes a key's file after making it, and the duplicated descriptor
        keeps the file readable even if the key is replaced or deleted meanwhile."""
        found = self._bucket(account, bucket, "s3:GetObject", key).keys.get(key)
        if found is None or not hasattr(found, "_value_buffer"):  # absent, or a delete marker
            raise ObjectError("NoSuchKey", f"The specified key does not exist: {key}")
        with found.lock, _disposed_is_missing(found, key):
            buffer = found._value_buffer
            in_memory = isinstance(buffer, tempfile.SpooledTemporaryFile) and not buffer._rolled
            if not in_memory:
                buffer.flush()  # (bytes a writer left in Python's buffer are not in the file the path opens)
            fd = None if in_memory or not _FD_PATHS.is_dir() else os.dup(buffer.fileno())
        if fd is None:
            yield None
            return
        try:
            yield _FD_PATHS / str(fd), os.fstat(fd).st_size
        finally:
            os.close(fd)

    def upload(self, account: str, bucket: str, key: str, path: Path, kms_key: str | None = None) -> None:
        from moto.settings import get_s3_default_key_buffer_size

        owner = self._bucket(account, bucket, "s3:PutObject", key).account_id
        if Path(path).stat().st_size <= get_s3_default_key_buffer_size():  # moto keeps it in memory: no file held
            encryption = {"encryption": "aws:kms", "kms_key_id": kms_key} if kms_key else {}
            self._backend(owner).put_object(bucket, key, Path(path).read_bytes(), **encryption)
        else:
            _put_file(self._backend(owner), bucket, key, Path(path), kms_key)
        if self.disk is not None:  # durable before the job says it is done
            try:
                self.disk.sync_key(bucket, key)
            except OSError:
                self.disk.restore_key(bucket, key)
                raise

    def reset(self, account: str | None = None) -> None:
        """Drop an account's buckets and objects (every account's without one), and nothing of the others'.

        moto's own ``reset`` would also close the buffers of every other account's objects (it disposes every
        key it ever made), so an account is cleared here: its keys and uploads disposed, its buckets unnamed,
        then moto's base reset of that one backend (its tags and settings)."""
        from moto.core.base_backend import BaseBackend
        from moto.s3.models import FakeKey, s3_backends

        for name in [account] if account else list(s3_backends.keys()):
            if name not in s3_backends:
                continue
            backend = self._backend(name)
            buckets = list(backend.buckets.values())
            if self.disk is not None:
                self.disk.forget([bucket.name for bucket in buckets])
            for bucket in buckets:
                for _, versions in bucket.keys.iterlists():
                    for version in versions:
                        if isinstance(version, FakeKey):
                            version.dispose()
                for upload in bucket.multiparts.values():
                    upload.dispose()
                s3_backends.bucket_accounts.pop(bucket.name, None)
            BaseBackend.reset(backend)


@contextmanager
def _disposed_is_missing(found, key: str) -> Iterator[None]:
    """A key deleted or replaced while it is read (moto closes its buffer, without its lock) is not there."""
    try:
        yield
    except ValueError:  # (I/O on a closed file: the key's, or another's, which is not ours to explain)
        if not found._value_buffer.closed:
            raise
        raise ObjectError("NoSuchKey", f"The specified key does not exist: {key}") from None


def _put_file(backend, bucket_name: str, key_name: str, path: Path, kms_key: str | None) -> None:
    """What moto's ``put_object`` does with a large file's bytes, without copying them: moto would hold them
    whole, copy them into its spooled buffer and again into the temporary file it rolls over to (three passes
    over every 44 MB part of an export, beside the job's own writing).  Here the key's buffer is the file
    itself (only past moto's spooled size, where moto too holds a file open), opened before the key is
    published, so no reader sees it partly filled.  moto never writes a key's buffer after making it (a PUT
    makes a new key), and the open file outlives the job's removal of its scratch.  A test holds what this
    makes to what ``put_object`` makes, field by field."""
    from moto.moto_api._internal import mock_random
    from moto.s3 import notifications
    from moto.s3.models import FakeKey

    bucket = backend.get_bucket(bucket_name)
    encryption, kms_key_id, bucket_key = ("aws:kms", kms_key, None) if kms_key else (None, None, None)
    if bucket.encryption:  # the bucket's default encryption, where the request names none (as put_object)
        rule = bucket.encryption["Rule"]
        bucket_key = rule.get("BucketKeyEnabled", False)
        kms_key_id = kms_key_id or rule["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID")
        encryption = encryption or rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    buffer = open(path, "rb")  # noqa: SIM115  (the key's, closed when moto disposes of it)
    try:
        size = os.fstat(buffer.fileno()).st_size
        new_key = FakeKey(name=key_name, bucket_name=bucket_name, value=b"", account_id=backend.account_id,
                          region_name=backend.region_name, is_versioned=bucket.is_versioned,
                          version_id=str(mock_random.uuid4()) if bucket.is_versioned else "null", encryption=encryption,
                          kms_key_id=kms_key_id, bucket_key_enabled=bucket_key)
    except BaseException:
        buffer.close()
        raise
    new_key._value_buffer.close()
    new_key._value_buffer, new_key.contentsize = buffer, size
    existing = bucket.keys.getlist(key_name, [])
    bucket.keys.setlist(key_name, [*existing, new_key] if bucket.is_versioned else [new_key])
    notifications.send_event(backend.account_id, notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT, bucket,
                             new_key)
