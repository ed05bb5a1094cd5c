"""Lex V2 resource-based policies on bots and bot aliases, with optimistic concurrency.

One policy per resource, kept under its key (deleted with it).  ``revisionId``
counts the policy's changes from 1; a call giving a stale ``expectedRevisionId``
is refused (PreconditionFailedException) and changes nothing.  Statements added
one by one make a policy if there is none; removing the last one removes it.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import conflict, not_found, precondition, validation
from .handlers import op

KIND = "resource_policy"
VERSION = "2012-10-17"


def _target(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    return r.by_arn(ctx, params["resourceArn"], r.ARN_TYPES)


def _key(target: Doc) -> str:
    return f"{target.key}/policy"


def _find(ctx: RequestContext, target: Doc) -> Doc | None:
    return ctx.store.get(ctx.scope, KIND, _key(target))


def _existing(ctx: RequestContext, params: dict[str, Any]) -> tuple[Doc, Doc]:
    target = _target(ctx, params)
    doc = _find(ctx, target)
    if doc is None:
        raise not_found(ctx.operation, f"The resource {params['resourceArn']} has no resource policy.")
    expected = params.get("expectedRevisionId")
    if expected is not None and expected != doc.body["revisionId"]:
        raise precondition(f"The expected revision id {expected} does not match the policy's current revision id "
                           f"{doc.body['revisionId']}.")
    return target, doc


def _statements(text: str) -> list[dict[str, Any]]:
    """The statements of a policy document; ValidationException if it is not one."""
    try:
        document = json.loads(text)
    except ValueError:
        raise validation("The policy is not valid JSON.") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements):
        raise validation("The policy must have a Statement list of one or more statements.")
    for number, statement in enumerate(statements, 1):
        label = f"Statement {statement.get('Sid') or number}"
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise validation(f"{label}: Effect must be Allow or Deny.")
        if not statement.get("Action"):
            raise validation(f"{label}: Action is required.")
    sids = [s["Sid"] for s in statements if "Sid" in s]
    if len(sids) != len(set(sids)):
        raise validation("Statement ids (Sid) must be unique within the policy.")
    return statements


def _write(ctx: RequestContext, target: Doc, doc: Doc | None, policy: str) -> dict[str, Any]:
    now = ctx.clock.now()
    revision = str(int(doc.body["revisionId"]) + 1) if doc else "1"
    body = {"resourceArn": _arn_of(ctx, target), "policy": policy, "revisionId": revision}
    if doc is None:
        ctx.store.put(ctx.scope, Doc(KIND, _key(target), target.key, None, body, now, now))
    else:
        r.save(ctx, doc, body)
    return body


def _arn_of(ctx: RequestContext, target: Doc) -> str:
    if target.kind == r.BOT_ALIAS.kind:
        return r.arn(ctx, "bot-alias", target.body["botId"], target.body["botAliasId"])
    return r.arn(ctx, "bot", target.body["botId"])


@op("CreateResourcePolicy")
def create_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    target = _target(ctx, params)
    _statements(params["policy"])
    if _find(ctx, target) is not None:
        raise precondition(f"The resource {params['resourceArn']} already has a resource policy; update it with "
                           "UpdateResourcePolicy.")
    body = _write(ctx, target, None, params["policy"])
    return {"resourceArn": body["resourceArn"], "revisionId": body["revisionId"]}


@op("DescribeResourcePolicy")
def describe_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _existing(ctx, {**params, "expectedRevisionId": None})
    return doc.body


@op("UpdateResourcePolicy")
def update_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    target, doc = _existing(ctx, params)
    _statements(params["policy"])
    body = _write(ctx, target, doc, params["policy"])
    return {"resourceArn": body["resourceArn"], "revisionId": body["revisionId"]}


@op("DeleteResourcePolicy")
def delete_resource_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _existing(ctx, params)
    ctx.store.remove(ctx.scope, KIND, doc.key)
    return {"resourceArn": doc.body["resourceArn"], "revisionId": doc.body["revisionId"]}


@op("CreateResourcePolicyStatement")
def create_statement(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    target = _target(ctx, params)
    doc = _find(ctx, target)
    if doc is not None:
        _existing(ctx, params)  # the revision check
    elif params.get("expectedRevisionId") is not None:
        raise precondition(f"The resource {params['resourceArn']} has no resource policy, so it has no revision "
                           f"{params['expectedRevisionId']}.")
    statements = _statements(doc.body["policy"]) if doc else []
    sid = params["statementId"]
    if any(s.get("Sid") == sid for s in statements):
        raise conflict(f"The policy already has a statement with id {sid}.")
    statement = _statement(ctx, params)
    document = json.loads(doc.body["policy"]) if doc else {"Version": VERSION}
    document["Statement"] = [*statements, statement]
    body = _write(ctx, target, doc, json.dumps(document, separators=(",", ":")))
    return {"resourceArn": body["resourceArn"], "revisionId": body["revisionId"]}


def _statement(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """One IAM statement from the operation's members; principals of other accounts are refused (as AWS)."""
    principals: dict[str, list[str]] = {}
    for principal in params["principal"]:
        if ("service" in principal) == ("arn" in principal):
            raise validation("Each principal must have exactly one of service or arn.")
        if "arn" in principal:
            account = principal["arn"].split(":")[4] if principal["arn"].count(":") >= 5 else ""
            if account != ctx.account:
                raise validation(f"A resource policy statement cannot grant access to another account "
                                 f"({principal['arn']}).")
            principals.setdefault("AWS", []).append(principal["arn"])
        else:
            principals.setdefault("Service", []).append(principal["service"])
    statement: dict[str, Any] = {"Sid": params["statementId"], "Effect": params["effect"],
                                 "Principal": principals, "Action": params["action"],
                                 "Resource": params["resourceArn"]}
    if params.get("condition"):
        statement["Condition"] = params["condition"]
    return statement


@op("DeleteResourcePolicyStatement")
def delete_statement(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    target, doc = _existing(ctx, params)
    document = json.loads(doc.body["policy"])
    statements = _statements(doc.body["policy"])
    kept = [s for s in statements if s.get("Sid") != params["statementId"]]
    if len(kept) == len(statements):
        raise not_found(ctx.operation, f"The policy has no statement with id {params['statementId']}.")
    if not kept:  # the last statement goes with its policy
        ctx.store.remove(ctx.scope, KIND, doc.key)
        return {"resourceArn": doc.body["resourceArn"], "revisionId": str(int(doc.body["revisionId"]) + 1)}
    document["Statement"] = kept
    body = _write(ctx, target, doc, json.dumps(document, separators=(",", ":")))
    return {"resourceArn": body["resourceArn"], "revisionId": body["revisionId"]}
