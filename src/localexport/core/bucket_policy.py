"""Who may touch an embedded-S3 bucket: its owner account, and other accounts its
bucket policy grants.

S3's rule for a cross-account request with no IAM in the picture: the bucket
owner's account may do anything its bucket policy does not explicitly deny;
another account needs an ``Allow`` for its principal, action and resource, and
no ``Deny``.  Principals here are whole accounts (a caller is known by its
account only), so a statement counts for ``"*"``, the account id or its root ARN
(``arn:aws:iam::111122223333:root``); statements naming a user or role, and
statements with a ``Condition`` (which we cannot evaluate), are not applied.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

# Bucket sub-resources (the query flag) whose GET/PUT action names S3 spells out.
_GET_BUCKET = {"": "ListBucket", "versions": "ListBucketVersions", "uploads": "ListBucketMultipartUploads",
               "location": "GetBucketLocation", "policy": "GetBucketPolicy", "acl": "GetBucketAcl",
               "tagging": "GetBucketTagging", "versioning": "GetBucketVersioning", "cors": "GetBucketCORS",
               "lifecycle": "GetLifecycleConfiguration", "encryption": "GetEncryptionConfiguration",
               "notification": "GetBucketNotification", "website": "GetBucketWebsite"}
_PUT_BUCKET = {"": "CreateBucket", "policy": "PutBucketPolicy", "acl": "PutBucketAcl", "tagging": "PutBucketTagging",
               "versioning": "PutBucketVersioning", "cors": "PutBucketCORS", "lifecycle": "PutLifecycleConfiguration",
               "encryption": "PutEncryptionConfiguration", "notification": "PutBucketNotification",
               "website": "PutBucketWebsite"}
_OBJECT_SUBRESOURCES = ("tagging", "acl", "attributes", "retention", "legal-hold", "restore", "uploads", "uploadId")
_OWNER_ONLY = {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"}  # S3: never granted to another account


def s3_action(method: str, has_key: bool, flags: set[str]) -> str:
    """The IAM action (``s3:GetObject``, ...) of an S3 REST request."""
    sub = next((f for f in _OBJECT_SUBRESOURCES if f in flags), "") if has_key else \
        next((f for f in sorted(flags) if f in _GET_BUCKET or f in _PUT_BUCKET or f == "delete"), "")
    if has_key:
        name = {
            ("GET", ""): "GetObjectVersion" if "versionId" in flags else "GetObject",
            ("GET", "tagging"): "GetObjectTagging", ("GET", "acl"): "GetObjectAcl",
            ("GET", "attributes"): "GetObjectAttributes", ("GET", "uploadId"): "ListMultipartUploadParts",
            ("PUT", "tagging"): "PutObjectTagging", ("PUT", "acl"): "PutObjectAcl",
            ("PUT", "retention"): "PutObjectRetention", ("PUT", "legal-hold"): "PutObjectLegalHold",
            ("POST", "restore"): "RestoreObject", ("DELETE", "uploadId"): "AbortMultipartUpload",
            ("DELETE", "tagging"): "DeleteObjectTagging",
            ("DELETE", ""): "DeleteObjectVersion" if "versionId" in flags else "DeleteObject",
        }.get((method, sub))
        if name is None:  # HEAD is a GET; PUT/POST of a body or a part (multipart uploads included) a PUT
            name = "GetObject" if method in ("GET", "HEAD") else "PutObject"
        return f"s3:{name}"
    if method in ("GET", "HEAD"):
        return f"s3:{_GET_BUCKET.get(sub, 'ListBucket' if method == 'HEAD' else 'GetBucket' + sub.title())}"
    if method == "POST":  # DeleteObjects, or a browser form upload
        return "s3:DeleteObject" if sub == "delete" else "s3:PutObject"
    if method == "DELETE":  # deleting a configuration takes its Put permission, as in S3
        return "s3:" + ("DeleteBucket" if not sub else "DeleteBucketPolicy" if sub == "policy"
                        else _PUT_BUCKET.get(sub, "PutBucket" + sub.title()))
    return f"s3:{_PUT_BUCKET.get(sub, 'PutBucket' + sub.title())}"


def resource_arn(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def allowed(owner: str, policy: bytes | str | None, account: str, action: str, resource: str) -> bool:
    """Whether ``account`` may perform ``action`` on ``resource`` of a bucket owned by ``owner``."""
    effects = _effects(policy, account, action, resource)
    if "Deny" in effects:
        return False
    if account == owner:
        return True
    return "Allow" in effects and action.removeprefix("s3:") not in _OWNER_ONLY


def _effects(policy: bytes | str | None, account: str, action: str, resource: str) -> set[str]:
    if not policy:
        return set()
    try:
        document = json.loads(policy)
        statements = document.get("Statement", [])
    except (ValueError, AttributeError):
        return set()
    if isinstance(statements, dict):
        statements = [statements]
    return {s.get("Effect") for s in statements if isinstance(s, dict) and _applies(s, account, action, resource)}


def _applies(statement: dict[str, Any], account: str, action: str, resource: str) -> bool:
    if "Condition" in statement or "Principal" not in statement:
        return False
    return (_principal(statement["Principal"], account)
            and _matches(statement, "Action", action.lower(), str.lower)
            and _matches(statement, "Resource", resource, str))


def _principal(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    names = principal.get("AWS", []) if isinstance(principal, dict) else []
    return any(name in ("*", account, f"arn:aws:iam::{account}:root") for name in _listed(names))


def _matches(statement: dict[str, Any], field: str, value: str, fold) -> bool:
    if field in statement:
        return any(_wildcard(value, fold(pattern)) for pattern in _listed(statement[field]))
    if f"Not{field}" in statement:
        return not any(_wildcard(value, fold(pattern)) for pattern in _listed(statement[f"Not{field}"]))
    return False


def _wildcard(value: str, pattern: str) -> bool:
    """IAM wildcards are ``*`` and ``?`` only: a ``[`` in a key name is a plain character."""
    return fnmatchcase(value, pattern.replace("[", "[[]"))


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
