"""What stands between an S3 client and moto's S3 app (a WSGI middleware):

- the account check S3 makes and moto does not: a bucket's owner account, or an
  account its bucket policy grants, and no one else (``AccessDenied``, 403);
  a copy's source bucket is checked too;
- the write-through: a request that changed something is answered only once the
  change is on disk; if the disk refuses it, the change is undone and S3's
  ``InternalError`` (500) names the cause, so a 200 always means kept.

The caller's account arrives in ``x-moto-account-id`` (set by the app from the
request's credentials).
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from ..aws.errors import write_failure
from .bucket_policy import allowed, resource_arn, s3_action
from .s3_disk import S3Disk

log = logging.getLogger(__name__)
_READS = ("GET", "HEAD", "OPTIONS")


def _error(start_response, method: str, status: str, code: str, message: str) -> list[bytes]:
    body = b"" if method == "HEAD" else (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
        "</Error>").encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


class S3Front:
    def __init__(self, app, disk: S3Disk | None):
        self.app = app
        self.disk = disk

    def __call__(self, environ: dict[str, Any], start_response):
        method = environ["REQUEST_METHOD"]
        account = environ.get("HTTP_X_MOTO_ACCOUNT_ID", "")
        bucket, key = _target(environ)
        flags = set(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if bucket and not self._permitted(account, method, bucket, key, flags, environ):
            return _error(start_response, method, "403 Forbidden", "AccessDenied", "Access Denied")
        if method in _READS or self.disk is None or not bucket:
            return self.app(environ, start_response)
        return self._written_through(environ, start_response, method, bucket, key)

    def _permitted(self, account: str, method: str, bucket: str, key: str | None, flags: set[str],
                   environ: dict[str, Any]) -> bool:
        action = s3_action(method, key is not None, flags)
        if action == "s3:CreateBucket":  # moto answers BucketAlreadyExists / OwnedByYou as S3 does
            return True
        # A bucket-level write of objects (DeleteObjects, a form POST) is checked as on all of them.
        resource = resource_arn(bucket, key if key is not None else
                                "*" if action in ("s3:DeleteObject", "s3:PutObject") else None)
        if not _may(account, bucket, action, resource):
            return False
        source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
        if source and method == "PUT":  # CopyObject / UploadPartCopy read another object
            source_bucket, _, rest = unquote(source.split("?", 1)[0]).lstrip("/").partition("/")
            return _may(account, source_bucket, "s3:GetObject", resource_arn(source_bucket, rest))
        return True

    def _written_through(self, environ, start_response, method: str, bucket: str, key: str | None):
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return chunks.append

        result = self.app(environ, capture)
        try:
            chunks.extend(result)  # a write's answer is small: hold it until the change is on disk
        finally:
            if hasattr(result, "close"):
                result.close()
        if int(captured["status"].split()[0]) < 300:
            try:
                if key is not None:
                    self.disk.sync_key(bucket, key)
                else:
                    self.disk.sync_bucket(bucket)
            except OSError as error:
                log.error("embedded S3: %s %s/%s not kept: %s", method, bucket, key or "", error)
                if key is not None:
                    self.disk.restore_key(bucket, key)
                return _error(start_response, method, "500 Internal Server Error", "InternalError",
                              "We encountered an internal error. Please try again. "
                              f"({write_failure(error) or f'The server could not write its data dir: {error}'})")
        start_response(captured["status"], captured["headers"])
        return chunks


def _may(account: str, bucket: str, action: str, resource: str) -> bool:
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:  # no such bucket: moto answers NoSuchBucket
        return True
    partition, owner_account = owner
    found = s3_backends[owner_account][partition].buckets.get(bucket)
    return allowed(owner_account, found.policy if found is not None else None, account, action, resource)


def _target(environ: dict[str, Any]) -> tuple[str, str | None]:
    """(bucket, key or None) as moto reads them: virtual-hosted or path style by the Host."""
    from moto.s3.responses import S3Response
    from moto.s3.utils import bucket_name_from_url

    host = environ.get("HTTP_HOST", "")
    path = environ.get("PATH_INFO", "/")
    request = SimpleNamespace(headers={"host": host}, url=f"http://{host}{path}")
    if S3Response.subdomain_based_buckets(request):
        bucket = bucket_name_from_url(request.url) or ""
        key = path.lstrip("/")
    else:
        bucket, _, key = path.lstrip("/").partition("/")
    return bucket, (key or None)
