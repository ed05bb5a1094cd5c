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

# Bucket sub-resources (the query flag) and the GET / PUT actions S3 names for them.
_BUCKET_SUBRESOURCES = {
    "versions": ("ListBucketVersions", None), "uploads": ("ListBucketMultipartUploads", None),
    "location": ("GetBucketLocation", None), "policyStatus": ("GetBucketPolicyStatus", None),
    "policy": ("GetBucketPolicy", "PutBucketPolicy"), "acl": ("GetBucketAcl", "PutBucketAcl"),
    "tagging": ("GetBucketTagging", "PutBucketTagging"), "versioning": ("GetBucketVersioning", "PutBucketVersioning"),
    "cors": ("GetBucketCORS", "PutBucketCORS"), "website": ("GetBucketWebsite", "PutBucketWebsite"),
    "lifecycle": ("GetLifecycleConfiguration", "PutLifecycleConfiguration"),
    "encryption": ("GetEncryptionConfiguration", "PutEncryptionConfiguration"),
    "notification": ("GetBucketNotification", "PutBucketNotification"),
    "logging": ("GetBucketLogging", "PutBucketLogging"),
    "accelerate": ("GetAccelerateConfiguration", "PutAccelerateConfiguration"),
    "requestPayment": ("GetBucketRequestPayment", "PutBucketRequestPayment"),
    "object-lock": ("GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration"),
    "replication": ("GetReplicationConfiguration", "PutReplicationConfiguration"),
    "publicAccessBlock": ("GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    "ownershipControls": ("GetBucketOwnershipControls", "PutBucketOwnershipControls"),
    "analytics": ("GetAnalyticsConfiguration", "PutAnalyticsConfiguration"),
    "inventory": ("GetInventoryConfiguration", "PutInventoryConfiguration"),
    "metrics": ("GetMetricsConfiguration", "PutMetricsConfiguration"),
    "intelligent-tiering": ("GetIntelligentTieringConfiguration", "PutIntelligentTieringConfiguration"),
}
# Query parameters of a plain listing (or of the request's own signing): no sub-resource.
_PLAIN = {"prefix", "delimiter", "marker", "max-keys", "list-type", "continuation-token", "start-after",
          "fetch-owner", "encoding-type", "key-marker", "version-id-marker", "upload-id-marker", "max-uploads",
          "x-id", "optional-object-attributes", "bucket-region", "max-buckets"}
_OBJECT_SUBRESOURCES = ("tagging", "acl", "attributes", "retention", "legal-hold", "restore", "select", "uploads",
                        "uploadId")
_OWNER_ONLY = {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"}  # S3: never granted to another account


def s3_action(method: str, has_key: bool, flags: set[str]) -> str:
    """The IAM action (``s3:GetObject``, ...) of an S3 REST request (``flags``: its query parameter names)."""
    if has_key:
        return f"s3:{_object_action(method, flags)}"
    known = sorted(f for f in flags if f in _BUCKET_SUBRESOURCES or f == "delete")
    unknown = sorted(f for f in flags if f not in _BUCKET_SUBRESOURCES and f not in _PLAIN and f != "delete"
                     and not f.lower().startswith(("x-amz-", "response-")))
    sub = (known or unknown or [""])[0]
    get, put = _BUCKET_SUBRESOURCES.get(sub, (f"GetBucket{sub[:1].upper()}{sub[1:]}",
                                              f"PutBucket{sub[:1].upper()}{sub[1:]}"))
    if method in ("GET", "HEAD"):
        return "s3:" + ("ListBucket" if not sub or (method == "HEAD" and sub not in _BUCKET_SUBRESOURCES) else get)
    if method == "POST":  # DeleteObjects, or a browser form upload
        return "s3:DeleteObject" if sub == "delete" else "s3:PutObject"
    if not sub:  # only a plain PUT creates a bucket (and only a plain DELETE deletes one)
        return "s3:CreateBucket" if method == "PUT" else "s3:DeleteBucket"
    if method == "DELETE" and sub == "policy":
        return "s3:DeleteBucketPolicy"
    return f"s3:{put or get}"  # deleting a configuration takes its Put permission, as in S3


def _object_action(method: str, flags: set[str]) -> str:
    sub = next((f for f in _OBJECT_SUBRESOURCES if f in flags), "")
    name = {
        ("GET", ""): "GetObjectVersion" if "versionId" in flags else "GetObject",
        ("GET", "tagging"): "GetObjectTagging", ("GET", "acl"): "GetObjectAcl",
        ("GET", "attributes"): "GetObjectAttributes", ("GET", "uploadId"): "ListMultipartUploadParts",
        ("GET", "retention"): "GetObjectRetention", ("GET", "legal-hold"): "GetObjectLegalHold",
        ("PUT", "tagging"): "PutObjectTagging", ("PUT", "acl"): "PutObjectAcl",
        ("PUT", "retention"): "PutObjectRetention", ("PUT", "legal-hold"): "PutObjectLegalHold",
        ("POST", "restore"): "RestoreObject", ("POST", "select"): "GetObject",
        ("DELETE", "uploadId"): "AbortMultipartUpload", ("DELETE", "tagging"): "DeleteObjectTagging",
        ("DELETE", ""): "DeleteObjectVersion" if "versionId" in flags else "DeleteObject",
    }.get((method, sub))
    # HEAD is a GET; PUT/POST of a body or a part (multipart uploads included) a PUT
    return name or ("GetObject" if method in ("GET", "HEAD") else "PutObject")


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
