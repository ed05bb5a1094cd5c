"""The QuickSight account: its settings, public sharing, and subscription.

Every account here is subscribed, Enterprise edition (asset bundles and namespaces need it), as
``ACCOUNT_CREATED`` with IAM and QuickSight sign-in.  The settings are the account's, not a
region's (kept apart from the regional documents), and read back what was written.
"""

from __future__ import annotations

from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc, Scope
from . import assets as a
from . import principals as p
from .assets import op
from .errors import not_found

KIND, KEY = "account_settings", "settings"
ACCOUNT_WIDE = "global"  # the region of what belongs to the account itself


def _scope(ctx: RequestContext) -> Scope:
    return Scope(ctx.account, ACCOUNT_WIDE, p.SERVICE)


def settings(ctx: RequestContext) -> dict[str, Any]:
    doc = ctx.store.get(_scope(ctx), KIND, KEY)
    defaults = {"AccountName": f"localexport-{ctx.account}", "Edition": "ENTERPRISE",
                "DefaultNamespace": p.DEFAULT_NAMESPACE, "PublicSharingEnabled": False,
                "TerminationProtectionEnabled": True}
    return {**defaults, **(doc.body if doc else {})}


def _save(ctx: RequestContext, changes: dict[str, Any]) -> None:
    now = ctx.clock.now()
    doc = ctx.store.get(_scope(ctx), KIND, KEY)
    body = {**(doc.body if doc else {}), **changes}
    if doc is None:
        ctx.store.put(_scope(ctx), Doc(KIND, KEY, None, None, body, now, now))
    else:
        ctx.store.replace(_scope(ctx), doc.with_body(body, now))


@op("DescribeAccountSettings")
def describe_account_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    return {"AccountSettings": settings(ctx), "RequestId": ctx.request_id, "Status": 200}


@op("UpdateAccountSettings")
def update_account_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    namespace = params["DefaultNamespace"]
    if not p.namespace_exists(ctx, namespace):
        raise not_found(f"Namespace {namespace} not found in account {ctx.account}. AWS account ID: {ctx.account}, "
                        f"Namespace: {namespace}.", "NAMESPACE")
    _save(ctx, {k: params[k] for k in ("DefaultNamespace", "NotificationEmail", "TerminationProtectionEnabled")
                if k in params})
    return {"RequestId": ctx.request_id, "Status": 200}


@op("UpdatePublicSharingSettings")
def update_public_sharing_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    _save(ctx, {"PublicSharingEnabled": bool(params.get("PublicSharingEnabled"))})
    return {"RequestId": ctx.request_id, "Status": 200}


@op("DescribeAccountSubscription")
def describe_account_subscription(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    current = settings(ctx)
    info = {"AccountName": current["AccountName"], "Edition": current["Edition"],
            "NotificationEmail": current.get("NotificationEmail"), "AuthenticationType": "IAM_AND_QUICKSIGHT",
            "AccountSubscriptionStatus": "ACCOUNT_CREATED"}
    return {"AccountInfo": info, "RequestId": ctx.request_id, "Status": 200}
