"""Artifacts in an S3 bucket (``LOCALEXPORT_ARTIFACTS_URL=s3://bucket/prefix``), shared by every server and
worker of an instance.

A write goes to a local temporary file; publishing it is one PutObject of the complete file (a multipart upload
for big ones), which S3 makes visible at once: the bucket never holds a partial or temporary object. An exclusive
publish is a conditional PutObject (``If-None-Match: *``): of two writers, S3 lets exactly one through.

Readers that need a local file (DuckDB reading Personalize record files) get a copy cached by this process under
the object's ETag, looked up on every use, so a replaced or deleted artifact is never read from the cache.

S3 failures are raised as OSError, as a full or failing disk is by the folder store: the job or the upload fails
with the cause, whichever store is configured.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .artifacts import Artifacts

_MISSING = {"404", "NoSuchKey", "NotFound"}
_TAKEN = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}  # If-None-Match lost a race
_CHUNK = 1024 * 1024
_DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _s3(key: str | None = None) -> Iterator[None]:
    """S3 errors as the folder store raises them: FileNotFoundError for a missing ``key``, OSError else."""
    try:
        yield
    except ClientError as error:
        if key is not None and _code(error) in _MISSING:
            raise FileNotFoundError(key) from None
        raise OSError(f"S3 {_code(error)}: {error.response.get('Error', {}).get('Message', error)}") from None
    except (BotoCoreError, Boto3Error) as error:
        raise OSError(f"S3: {error}") from None


class S3Artifacts(Artifacts):
    local = False

    def __init__(self, url: str, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None):
        split = urlsplit(url)
        self.bucket = split.netloc
        self._prefix = split.path.strip("/")
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": "path" if endpoint_url else "auto"}, retries={"max_attempts": 3}))
        # Temporary files and cached copies are this process's own: removed when it ends, shared with no one.
        work = Path(tempfile.mkdtemp(prefix="localexport-artifacts-"))
        weakref.finalize(self, shutil.rmtree, work, True)
        self._cache = work / "cache"
        self._cache.mkdir()
        (work / "tmp").mkdir()
        super().__init__(work / "tmp")
        try:  # a wrong bucket or endpoint fails at start-up, not at the first export
            with _s3():
                self.client.head_bucket(Bucket=self.bucket)
        except OSError as error:
            raise OSError(errno.EIO, f"the artifacts bucket cannot be used: {error}", url) from None

    def _key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def _check(self, key: str) -> None:
        if any(part in ("", ".", "..") for part in key.split("/")):
            raise ValueError(f"not an artifact key: {key!r}")

    def _commit(self, temp: Path, key: str, exclusive: bool) -> None:
        with _s3():
            if exclusive:
                with open(temp, "rb") as body:
                    try:
                        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body, IfNoneMatch="*")
                    except ClientError as error:
                        if _code(error) in _TAKEN:
                            raise FileExistsError(key) from None
                        raise
            else:
                self.client.upload_file(str(temp), self.bucket, self._key(key))
        temp.unlink()

    def _head(self, key: str) -> dict:
        self._check(key)
        with _s3(key):
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))

    def open(self, key: str) -> BinaryIO:
        self._check(key)
        with _s3(key):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]

    def _copies(self, key: str) -> str:
        """The start of the names of ``key``'s cached copies (one per ETag)."""
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def _copy(self, key: str, etag: str) -> Path:
        return self._cache / (self._copies(key) + "-" + etag.strip('"'))

    def path(self, key: str) -> Path:
        cached = self._copy(key, self._head(key)["ETag"])
        if cached.exists():
            return cached
        temp = self._tmp / uuid.uuid4().hex
        try:
            with _s3(key), open(temp, "wb") as out:
                got = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
                shutil.copyfileobj(got["Body"], out, _CHUNK)
            # named by what was read, should the object have been replaced since the HEAD
            cached = self._copy(key, got["ETag"])
            os.replace(temp, cached)
            for stale in self._cache.glob(f"{self._copies(key)}-*"):  # an older version's copy: never read again
                if stale != cached:
                    stale.unlink(missing_ok=True)
            return cached
        finally:
            temp.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        try:
            return self._head(key)["ContentLength"]
        except FileNotFoundError:
            return None

    def _list(self, prefix: str) -> list[str]:
        """Full keys (with the store's prefix) under ``prefix``."""
        found: list[str] = []
        with _s3():
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                found += [item["Key"] for item in page.get("Contents", [])]
        return found

    def keys(self, prefix: str) -> list[str]:
        self._check(prefix)
        skip = len(self._key(""))
        return sorted(key[skip:] for key in self._list(self._key(prefix) + "/"))

    def _forget(self, key: str) -> None:
        for copy in self._cache.glob(f"{self._copies(key)}-*"):
            copy.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._check(key)
        with _s3():
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        self._forget(key)

    def _delete_all(self, prefix: str) -> None:
        full = self._list(prefix)
        with _s3():
            for start in range(0, len(full), _DELETE_BATCH):
                batch = full[start:start + _DELETE_BATCH]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch],
                                                                       "Quiet": True})
        skip = len(self._key(""))
        for key in full:
            self._forget(key[skip:])

    def delete_tree(self, prefix: str) -> None:
        self._check(prefix)
        self._delete_all(self._key(prefix) + "/")

    def clear(self) -> None:
        self._delete_all(self._key(""))
