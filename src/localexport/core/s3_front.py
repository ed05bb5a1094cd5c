"""What stands between an S3 client and moto's S3 app (a WSGI middleware):

- the account check S3 makes and moto does not: a bucket's owner account, or an
  account its bucket policy grants, and no one else (``AccessDenied``, 403);
  a copy's source bucket is checked too;
- the write-through: a request that changed something is answered only once the
  change is on disk; if the disk refuses it, the change is undone and S3's
  ``InternalError`` (500) names the cause, so a 200 always means kept;
- with signatures verified, the body's SHA-256 against the signed
  ``x-amz-content-sha256`` (the signature covers the claimed hash only).

The bucket and key checked are the ones moto acts on: both are read from the
path as sent (``RAW_URI``, which moto reads too) by moto's own parsers, and a
bucket name S3 would not accept is refused before anything else.

The caller's account arrives in ``x-moto-account-id`` (set by the app from the
request's credentials).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import tempfile
import threading
import weakref
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlparse
from xml.sax.saxutils import escape

from ..aws.errors import write_failure
from .bucket_policy import allowed, resource_arn, s3_action
from .s3_disk import S3Disk

log = logging.getLogger(__name__)
_READS = ("GET", "HEAD", "OPTIONS")
# What S3 accepts in a bucket name (legacy us-east-1 names included): nothing a URL parser could read two ways.
_BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Query parameters whose presence means nothing unless they have a value (moto tests them for truth).
_VALUED = {"uploadId", "versionId", "partNumber"}


def _error(start_response, method: str, status: str, code: str, message: str, **details: str) -> list[bytes]:
    extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in details.items())
    body = b"" if method == "HEAD" else (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
        f"{extra}</Error>").encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


class S3Front:
    def __init__(self, app, disk: S3Disk | None, verify_payload: bool = False):
        self.app = app
        self.disk = disk
        self.verify_payload = verify_payload
        self._guard = threading.Lock()
        self._locks: weakref.WeakValueDictionary[tuple[str, str | None], threading.Lock] = \
            weakref.WeakValueDictionary()

    def __call__(self, environ: dict[str, Any], start_response):
        method = environ["REQUEST_METHOD"]
        account = environ.get("HTTP_X_MOTO_ACCOUNT_ID", "")
        bucket, key = _target(environ)
        if bucket and not _BUCKET_NAME.fullmatch(bucket):
            return _error(start_response, method, "400 Bad Request", "InvalidBucketName",
                          "The specified bucket is not valid.", BucketName=bucket[:255])
        flags = {name for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
                 if value or name not in _VALUED}
        source = environ.get("HTTP_X_AMZ_COPY_SOURCE") if method == "PUT" and key is not None else None
        copied = _copy_source(source) if source is not None else None  # (moto copies on the header's presence)
        if source is not None and copied is None:
            return _error(start_response, method, "400 Bad Request", "InvalidArgument",
                          "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                          ArgumentName="x-amz-copy-source", ArgumentValue=source[:1024])
        if bucket and not self._permitted(account, method, bucket, key, flags, copied):
            return _error(start_response, method, "403 Forbidden", "AccessDenied", "Access Denied")
        if self.verify_payload and method in ("PUT", "POST"):
            mismatch = _check_payload(environ)
            if mismatch is not None:
                return _error(start_response, method, "400 Bad Request", "XAmzContentSHA256Mismatch",
                              "The provided 'x-amz-content-sha256' header does not match what was computed.",
                              ClientComputedContentSHA256=mismatch[0], S3ComputedContentSHA256=mismatch[1])
        if method in _READS or self.disk is None or not bucket:
            return self.app(environ, start_response)
        if {"uploadId", "partNumber"} <= flags:  # a part is no object yet: nothing to keep, nothing to order
            return self.app(environ, start_response)
        # One write at a time per key (per bucket for bucket-level writes): an undo after a failed write must
        # not take away another write's change that was answered 200 meanwhile.
        with self._guard:
            lock = self._locks.get((bucket, key)) or self._locks.setdefault((bucket, key), threading.Lock())
        with lock:
            return self._written_through(environ, start_response, method, bucket, key, bool(flags))

    def _permitted(self, account: str, method: str, bucket: str, key: str | None, flags: set[str],
                   copied: tuple[str, str] | None) -> bool:
        action = s3_action(method, key is not None, flags)
        if action == "s3:CreateBucket":  # moto answers BucketAlreadyExists / OwnedByYou as S3 does
            return True
        # A bucket-level write of objects (DeleteObjects, a form POST) is checked as on all of them.
        resource = resource_arn(bucket, key if key is not None else
                                "*" if action in ("s3:DeleteObject", "s3:PutObject") else None)
        if not _may(account, bucket, action, resource):
            return False
        if copied is not None:  # CopyObject / UploadPartCopy read another object
            return _may(account, copied[0], "s3:GetObject", resource_arn(*copied))
        return True

    def _written_through(self, environ, start_response, method: str, bucket: str, key: str | None,
                         edited: bool):
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
                    self.disk.sync_key(bucket, key, edited)  # a sub-resource write (?tagging, ...) edits in place
                else:
                    self.disk.sync_bucket(bucket)
            except OSError as error:
                log.error("embedded S3: %s %s/%s not kept: %s", method, bucket, key or "", error)
                if key is not None:
                    self.disk.restore_key(bucket, key)
                else:
                    self.disk.restore_bucket(bucket)
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
    """(bucket, key or None) as moto reads them, from the path as sent: virtual-hosted or path style by the Host.

    Sets ``RAW_URI`` from the ASGI scope, so moto parses the very same encoded path (without it, moto would
    read the decoded ``PATH_INFO``, where an encoded ``?`` or ``#`` in a segment moves the bucket/key split)."""
    from moto.s3.responses import S3Response, parse_key_name
    from moto.s3.utils import bucket_name_from_url
    from moto.s3bucket_path.utils import bucket_name_from_url as path_bucket
    from moto.s3bucket_path.utils import parse_key_name as path_key

    scope = environ.get("asgi.scope") or {}
    raw = scope.get("raw_path")
    raw_path = raw.decode("latin-1").split("?", 1)[0] if raw else quote(environ.get("PATH_INFO", "/"))
    query = environ.get("QUERY_STRING", "")
    environ["RAW_URI"] = raw_path + (f"?{query}" if query else "")
    host = environ.get("HTTP_HOST", "")
    request = SimpleNamespace(headers={"host": host}, url=f"http://{host}{raw_path}")
    if S3Response.subdomain_based_buckets(request):
        bucket, key = bucket_name_from_url(request.url), parse_key_name(unquote(raw_path))
    else:
        bucket, key = path_bucket(request.url), path_key(unquote(raw_path))
    return bucket or "", (key or None)


def _copy_source(source: str) -> tuple[str, str] | None:
    """The (bucket, key) a copy reads, parsed exactly as moto parses ``x-amz-copy-source``; None if it names none."""
    path = unquote(urlparse(source).path).lstrip("/")
    bucket, slash, key = path.partition("/")
    return (bucket, key) if bucket and slash else None


def _check_payload(environ: dict[str, Any]) -> tuple[str, str] | None:
    """Hash the body against its signed hex ``x-amz-content-sha256``: (claimed, computed) if they differ.

    The body is spooled (to disk past 8 MiB) while hashed, and handed on from there: nothing reaches moto before
    it is known to be the signed one.  ``UNSIGNED-PAYLOAD`` and ``STREAMING-*`` claims are left as they are."""
    claimed = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "")
    if not _SHA256.fullmatch(claimed):
        return None
    digest = hashlib.sha256()
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115  (handed to the app)
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    source = environ["wsgi.input"]
    while remaining > 0:
        chunk = source.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        digest.update(chunk)
        spooled.write(chunk)
        remaining -= len(chunk)
    computed = digest.hexdigest()
    if not hmac.compare_digest(claimed, computed):
        spooled.close()
        return claimed, computed
    spooled.seek(0)
    environ["wsgi.input"] = spooled
    return None
