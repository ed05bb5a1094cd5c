"""QuickSight principals: namespaces, users and groups as documents, their ARNs, and the check that
a permission names principals that exist.

Keys: a namespace by its name, a user or group by ``{namespace}/{name}`` (an IAM role's user is
named ``{role}/{session}``, so a user key may hold two slashes).  The ``default`` namespace exists
in every account without a document.  Permissions may name this account's users, groups and
namespaces that exist (looked up in the region their ARN names: AWS keeps identities in one region
and assets anywhere; here each region has its own, so an ARN names the region to look in), or an
account's root (``arn:aws:iam::{account}:root``, how templates and themes are shared across accounts).
"""

from __future__ import annotations

import re
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc, Scope
from . import arns
from .errors import invalid, not_found

SERVICE = "quicksight"
NAMESPACE, USER, GROUP = "namespace", "user", "group"
DEFAULT_NAMESPACE = "default"
INVALID_PRINCIPALS = "One or more principals in resource permissions list are not valid QuickSight users"
ACCOUNT_ROOT = re.compile(r"arn:aws:iam::\d{12}:root")


def scope_in(ctx: RequestContext, region: str | None = None) -> Scope:
    return Scope(ctx.account, region or ctx.region, SERVICE)


def arn(ctx: RequestContext, kind: str, key: str) -> str:
    return arns.make(ctx.region, ctx.account, kind, key)


def key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def find(ctx: RequestContext, kind: str, doc_key: str, region: str | None = None) -> Doc | None:
    return ctx.store.get(scope_in(ctx, region), kind, doc_key)


def namespace_exists(ctx: RequestContext, name: str, region: str | None = None) -> bool:
    return name == DEFAULT_NAMESPACE or find(ctx, NAMESPACE, name, region) is not None


def groups_of(ctx: RequestContext, namespace: str, user: str, region: str | None = None) -> list[Doc]:
    """The groups of ``namespace`` that ``user`` is a member of."""
    return [g for g in ctx.store.children(scope_in(ctx, region), GROUP, namespace)
            if user in g.body.get("_members", ())]


def acting_as(ctx: RequestContext, principal_arn: str) -> set[str]:
    """The ARNs a principal holds permissions through: itself, and for a user of this account its groups
    and its namespace (what QUICKSIGHT_* search filters consider beside direct grants)."""
    found = {principal_arn}
    parsed = _parse(ctx, principal_arn)
    if parsed and parsed[1] == USER:
        region, _, doc_key = parsed
        namespace, name = doc_key.split("/", 1)
        found |= {arns.make(region, ctx.account, GROUP, g.key) for g in groups_of(ctx, namespace, name, region)}
        found.add(arns.make(region, ctx.account, NAMESPACE, namespace))
    return found


def _parse(ctx: RequestContext, principal: str) -> tuple[str, str, str] | None:
    """(region, kind, key) of a QuickSight user, group or namespace ARN of this account; None otherwise."""
    parsed = arns.parse(principal)
    if parsed is None or parsed.account != ctx.account or parsed.type not in (USER, GROUP, NAMESPACE):
        return None
    return parsed.region, parsed.type, parsed.rest


def exists(ctx: RequestContext, principal: str) -> bool:
    """Whether a permission may name ``principal``: a user, group or namespace of this account that exists, or
    an account's root (how templates and themes are shared with other accounts)."""
    if ACCOUNT_ROOT.fullmatch(principal):
        return True
    parsed = _parse(ctx, principal)
    if parsed is None:
        return False
    region, kind, doc_key = parsed
    if kind == NAMESPACE:
        return namespace_exists(ctx, doc_key, region)
    return find(ctx, kind, doc_key, region) is not None


def check(ctx: RequestContext, permissions: list[dict[str, Any]] | None) -> None:
    """InvalidParameterValueException, worded as AWS words it, if a permission names an unknown principal."""
    for permission in permissions or ():
        if not exists(ctx, permission["Principal"]):
            raise invalid(INVALID_PRINCIPALS)


def taggable(ctx: RequestContext, resource_arn: str) -> tuple[Scope, Doc] | None:
    """(scope, document) of a user or namespace of this account and region that an ARN names (they take tags)."""
    parsed = _parse(ctx, resource_arn)
    if parsed is None or parsed[0] != ctx.region or parsed[1] == GROUP:
        return None
    _, kind, doc_key = parsed
    doc = find(ctx, kind, doc_key)
    if doc is None:
        raise not_found(f"{kind.capitalize()} {resource_arn} is not found", kind.upper())
    return scope_in(ctx), doc
