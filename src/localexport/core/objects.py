"""S3 objects that jobs read and write (Personalize imports and exports).

Two stores behind one small interface:

- ``EmbeddedS3`` (``embedded_s3.py``): moto's S3 backend, in this process,
  which also answers the S3 API on localexport's endpoint.
- ``EndpointS3``: any S3 endpoint (AWS, MinIO, LocalStack, a moto server)
  through a botocore client.

Both raise ``ObjectError`` with S3's error code (NoSuchBucket, AccessDenied, ...)
so a job can fail with AWS's reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

_CHUNK = 8 * 1024 * 1024


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


class ByteBudget:
    """Bytes a job may read from S3 in all (``limit`` None: no limit), over any number of objects: past it,
    ``error`` is raised (what a hostile or mistaken source may send stays bounded)."""

    def __init__(self, limit: int | None, error: Exception):
        self.left, self.error = limit, error

    def spend(self, size: int) -> None:
        if self.left is not None:
            self.left -= size
            if self.left < 0:
                raise self.error

    def capped(self, out: BinaryIO) -> Capped:
        return Capped(out, self)


class Capped:
    """A file-like sink that spends its budget on everything written to it (a download stops past it)."""

    def __init__(self, out: BinaryIO, budget: ByteBudget):
        self.out, self.budget = out, budget

    def write(self, data: bytes) -> int:
        self.budget.spend(len(data))
        return self.out.write(data)

    def writelines(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            self.write(chunk)


class ObjectStore(Protocol):
    def check_bucket(self, account: str, bucket: str) -> None: ...

    def list(self, account: str, bucket: str, prefix: str) -> list[str]: ...

    def download(self, account: str, bucket: str, key: str, out: BinaryIO) -> None: ...

    def held_file(self, account: str, bucket: str, key: str) -> AbstractContextManager[tuple[Path, int] | None]:
        """The object's bytes where the store holds them in a file of this host: a path this process reads
        them at while the block runs, and their size; None: ``download`` them."""

    def upload(self, account: str, bucket: str, key: str, path: Path, kms_key: str | None = None) -> None: ...

    def reset(self, account: str | None = None) -> None: ...


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

    def held_file(self, account: str, bucket: str, key: str) -> AbstractContextManager[tuple[Path, int] | None]:
        return nullcontext()  # (another host's: downloaded)

    def upload(self, account: str, bucket: str, key: str, path: Path, kms_key: str | None = None) -> None:
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
        with open(path, "rb") as body:
            self._call("put_object", Bucket=bucket, Key=key, Body=body, **extra)

    def reset(self, account: str | None = None) -> None:
        """Objects of an external endpoint are not ours to delete."""
