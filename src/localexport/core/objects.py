"""S3 objects that jobs read and write (Personalize imports and exports).

Two stores behind one small interface:

- ``EmbeddedS3``: moto's S3 backend, in this process.  The same backend answers
  the S3 API on localexport's endpoint (see ``app.py``), so what a job writes
  is what an s3 client lists and gets.  Objects are read in chunks from moto's
  spooled buffers, so a large object never sits in memory whole.
- ``EndpointS3``: any S3 endpoint (AWS, MinIO, LocalStack, a moto server)
  through a botocore client.

Both raise ``ObjectError`` with S3's error code (NoSuchBucket, AccessDenied, ...)
so a job can fail with AWS's reason.
"""

from __future__ import annotations

import logging
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

_CHUNK = 8 * 1024 * 1024
log = logging.getLogger(__name__)


class ObjectError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class S3Url:
    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str) -> S3Url:
        """``s3://bucket/key`` (also the http(s) path-style form Personalize accepts)."""
        split = urlsplit(url)
        if split.scheme == "s3":
            return cls(split.netloc, split.path.lstrip("/"))
        bucket, _, key = split.path.lstrip("/").partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {url!r}")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class ObjectStore(Protocol):
    def check_bucket(self, account: str, bucket: str) -> None: ...

    def list(self, account: str, bucket: str, prefix: str) -> list[str]: ...

    def download(self, account: str, bucket: str, key: str, out: BinaryIO) -> None: ...

    def upload(self, account: str, bucket: str, key: str, path: Path, kms_key: str | None = None) -> None: ...

    def reset(self, account: str | None = None) -> None: ...

    def save(self) -> None: ...


class EmbeddedS3:
    """moto's in-process S3 backend, one per account (bucket names stay global, as in S3).

    With a ``state_file`` (a server's data dir), the buckets are saved there when the
    server stops and loaded when it starts again, so a restart keeps them (a crash
    loses what changed since the last start: moto keeps objects in memory)."""

    PARTITION = "aws"

    def __init__(self, state_file: Path | None = None):
        self.state_file = state_file
        if state_file is not None and state_file.exists():
            self._load(state_file)

    def _load(self, path: Path) -> None:
        from moto.s3.models import s3_backends

        try:
            with open(path, "rb") as f:
                saved = pickle.load(f)
        except Exception:  # noqa: BLE001  (e.g. written by another moto version: keep it aside, start empty)
            log.warning("could not load the embedded S3 state %s; it is kept as %s.unreadable", path, path.name)
            path.replace(path.with_name(path.name + ".unreadable"))
            return
        for account, buckets in saved.items():
            self._backend(account).buckets.update(buckets)
            for name in buckets:
                s3_backends.bucket_accounts[name] = (self.PARTITION, account)

    def save(self) -> None:
        """Write every account's buckets to the state file (atomically)."""
        if self.state_file is None:
            return
        from moto.s3.models import s3_backends

        state = {account: dict(s3_backends[account][self.PARTITION].buckets) for account in list(s3_backends.keys())
                 if self.PARTITION in s3_backends[account] and s3_backends[account][self.PARTITION].buckets}
        temp = self.state_file.with_name(self.state_file.name + ".tmp")
        with open(temp, "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, self.state_file)

    def _backend(self, account: str):
        from moto.s3.models import s3_backends

        return s3_backends[account][self.PARTITION]

    def _bucket(self, account: str, bucket: str):
        from moto.s3.exceptions import MissingBucket

        try:
            found = self._backend(account).get_bucket(bucket)
        except MissingBucket:
            raise ObjectError("NoSuchBucket", f"The specified bucket does not exist: {bucket}") from None
        if found.account_id != account:  # bucket names are global; another account's is not ours without a policy
            raise ObjectError("AccessDenied", f"Access Denied to bucket {bucket}")
        return found

    def check_bucket(self, account: str, bucket: str) -> None:
        self._bucket(account, bucket)

    def list(self, account: str, bucket: str, prefix: str) -> list[str]:
        found = self._bucket(account, bucket)
        return sorted(name for name in list(found.keys.keys()) if name.startswith(prefix))

    def download(self, account: str, bucket: str, key: str, out: BinaryIO) -> None:
        found = self._bucket(account, bucket).keys.get(key)
        if found is None or not hasattr(found, "_value_buffer"):  # absent, or a delete marker
            raise ObjectError("NoSuchKey", f"The specified key does not exist: {key}")
        with found.lock:  # moto's own lock around its buffer; read it in chunks, not whole
            found._value_buffer.seek(0)
            shutil.copyfileobj(found._value_buffer, out, _CHUNK)

    def upload(self, account: str, bucket: str, key: str, path: Path, kms_key: str | None = None) -> None:
        self._bucket(account, bucket)
        encryption = {"encryption": "aws:kms", "kms_key_id": kms_key} if kms_key else {}
        self._backend(account).put_object(bucket, key, Path(path).read_bytes(), **encryption)

    def reset(self, account: str | None = None) -> None:
        from moto.s3.models import s3_backends

        accounts = [account] if account else list(s3_backends.keys())
        for name in accounts:
            if name in s3_backends:
                self._backend(name).reset()


class EndpointS3:
    """A real S3 API endpoint.  Credentials: the given ones, else botocore's usual chain."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1", access_key: str | None = None,
                 secret_key: str | None = None):
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        self.client = session.create_client(
            "s3", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    def _call(self, method: str, **kwargs):
        from botocore.exceptions import ClientError, EndpointConnectionError

        try:
            return getattr(self.client, method)(**kwargs)
        except ClientError as error:
            info = error.response.get("Error", {})
            code = info.get("Code") or "Error"
            if code in ("404", "NoSuchBucket") and "Key" not in kwargs:
                code = "NoSuchBucket"
            raise ObjectError(code, info.get("Message") or str(error)) from None
        except EndpointConnectionError as error:
            raise ObjectError("ServiceUnavailable", str(error)) from None

    def check_bucket(self, account: str, bucket: str) -> None:
        self._call("head_bucket", Bucket=bucket)

    def list(self, account: str, bucket: str, prefix: str) -> list[str]:
        keys: list[str] = []
        token = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list_objects_v2", Bucket=bucket, Prefix=prefix, **extra)
            keys += [item["Key"] for item in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                return sorted(keys)

    def download(self, account: str, bucket: str, key: str, out: BinaryIO) -> None:
        body = self._call("get_object", Bucket=bucket, Key=key)["Body"]
        out.writelines(body.iter_chunks(_CHUNK))

    def upload(self, account: str, bucket: str, key: str, path: Path, kms_key: str | None = None) -> None:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
        with open(path, "rb") as body:
            self._call("put_object", Bucket=bucket, Key=key, Body=body, **extra)

    def reset(self, account: str | None = None) -> None:
        """Objects of an external endpoint are not ours to delete."""

    def save(self) -> None:
        """An external endpoint keeps its own objects."""
