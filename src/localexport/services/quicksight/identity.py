"""QuickSight users, groups, group memberships and namespaces.

Users are registered as AWS registers them: an IAM user is named after the IAM
user, an IAM role's user ``{role}/{session}``, a QUICKSIGHT user as asked (and
gets an invitation URL); principal ids have AWS's forms (``federated/iam/AIDA…``,
``federated/iam/AROA…:{session}``, ``user/d-…/{uuid}``, ``group/d-…/{uuid}``),
derived from the IAM ARN or the account so that they are stable.  A user is
inactive until first signed in: the console action ``ActivateUser`` of the test
controls signs one in.  Errors end as AWS's do: "AWS account ID: …, Namespace: …".
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...core import statuses
from ...core.runtime import RequestContext
from ...core.store import AlreadyExists, Doc
from . import account
from . import assets as a
from . import principals as p
from .assets import op
from .errors import exists, invalid, limit, not_found

GROUPS_PER_NAMESPACE = 10_000  # CreateGroup's documented limit
NAMESPACES_PER_ACCOUNT = 100  # CreateNamespace's documented default limit
USER_MEMBERS = ("Email", "Role", "IdentityType", "Active", "PrincipalId", "CustomPermissionsName",
                "ExternalLoginFederationProviderType", "ExternalLoginFederationProviderUrl", "ExternalLoginId")


def _where(ctx: RequestContext, namespace: str) -> str:
    return f"AWS account ID: {ctx.account}, Namespace: {namespace}."


def _namespace(ctx: RequestContext, params: dict[str, Any]) -> str:
    a.check_account(ctx, params)
    namespace = params["Namespace"]
    if not p.namespace_exists(ctx, namespace):
        raise not_found(f"Namespace {namespace} not found in account {ctx.account}. {_where(ctx, namespace)}",
                        "NAMESPACE")
    return namespace


def _answer(ctx: RequestContext, status: int = 200, **members: Any) -> dict[str, Any]:
    return {**members, "RequestId": ctx.request_id, "Status": status}


def _stable(*parts: str, length: int = 16) -> str:
    """An id that is the same each time for the same parts (what AWS derives from the IAM identity)."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:length].upper()


def _directory(ctx: RequestContext) -> str:
    return f"d-{_stable(ctx.account, 'directory', length=10).lower()}"


# -- users ------------------------------------------------------------------------------------


def _user_view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    return {"Arn": p.arn(ctx, p.USER, doc.key), "UserName": doc.key.split("/", 1)[1],
            **{k: doc.body.get(k) for k in USER_MEMBERS}}


def _load_user(ctx: RequestContext, namespace: str, name: str) -> Doc:
    doc = p.find(ctx, p.USER, p.key(namespace, name))
    if doc is None:
        raise not_found(f"User {name} not found in namespace {namespace}. {_where(ctx, namespace)}", "USER")
    return doc


def _iam_identity(ctx: RequestContext, params: dict[str, Any], namespace: str) -> tuple[str, str]:
    """(user name, principal id) of an IAM user or role session, as RegisterUser makes them."""
    if params.get("UserName"):
        raise invalid(f"The following parameters are not applicable to this identity type: User Name. "
                      f"{_where(ctx, namespace)} ")
    iam_arn = params.get("IamArn") or ""
    resource = iam_arn.split(":", 5)[5] if iam_arn.count(":") >= 5 else ""
    kind, _, path = resource.partition("/")
    name = path.rsplit("/", 1)[-1]  # the path of a role or user is not part of the name
    session = params.get("SessionName")
    if not iam_arn.startswith("arn:aws:iam::") or not name or kind not in ("user", "role") or (
            kind == "role") != bool(session):
        raise invalid("Invalid resource identifiers provided. Please check the documentation.")
    if kind == "user":
        return name, f"federated/iam/AIDA{_stable(iam_arn)}"
    return f"{name}/{session}", f"federated/iam/AROA{_stable(iam_arn)}:{session}"


@op("RegisterUser")
def register_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    identity = params["IdentityType"]
    if identity == "IAM":
        name, principal_id = _iam_identity(ctx, params, namespace)
    else:
        not_applicable = [label for member, label in (("IamArn", "IAM ARN"), ("SessionName", "Session Name"))
                          if params.get(member)]
        if not_applicable:
            raise invalid(f"The following parameters are not applicable to this identity type: "
                          f"{', '.join(not_applicable)}. {_where(ctx, namespace)} ")
        name = params.get("UserName")
        if not name:
            raise invalid("Invalid resource identifiers provided. Please check the documentation.")
        principal_id = f"user/{_directory(ctx)}/{ctx.ids.uuid()}"
    # an IAM user is active at once; a role session (seen inactive in real answers) and a QuickSight user
    # until they first sign in (the API reference's User.Active)
    active = identity == "IAM" and principal_id.startswith("federated/iam/AIDA")
    body = {"Email": params["Email"], "Role": params["UserRole"], "IdentityType": identity, "Active": active,
            "PrincipalId": principal_id, "_tags": params.get("Tags") or [],
            **{k: params[k] for k in ("CustomPermissionsName", "ExternalLoginFederationProviderType",
                                      "ExternalLoginId") if params.get(k)}}
    if params.get("CustomFederationProviderUrl"):
        body["ExternalLoginFederationProviderUrl"] = params["CustomFederationProviderUrl"]
    now = ctx.clock.now()
    doc = Doc(p.USER, p.key(namespace, name), namespace, name, body, now, now)
    try:
        ctx.store.put(p.scope_in(ctx), doc)
    except AlreadyExists:
        raise exists(f"User {name} already exists in namespace {namespace}. {_where(ctx, namespace)}",
                     "USER") from None
    invitation = None
    if identity == "QUICKSIGHT":  # where the user sets a password; ActivateUser stands in for it here
        invitation = (f"https://{ctx.region}.quicksight.aws.amazon.com/sn/console/invitation?account={ctx.account}"
                      f"&namespace={namespace}&token={ctx.ids.uuid().replace('-', '')}")
    return _answer(ctx, 201, User=_user_view(ctx, doc), UserInvitationUrl=invitation)


@op("DescribeUser")
def describe_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    return _answer(ctx, User=_user_view(ctx, _load_user(ctx, namespace, params["UserName"])))


@op("ListUsers")
def list_users(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    users = sorted(ctx.store.children(p.scope_in(ctx), p.USER, namespace), key=lambda d: d.key)
    chunk, token = a.paged([_user_view(ctx, d) for d in users], params, ["ListUsers", namespace])
    return _answer(ctx, UserList=chunk, NextToken=token)


@op("UpdateUser")
def update_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    doc = _load_user(ctx, namespace, params["UserName"])
    body = {**doc.body, "Email": params["Email"], "Role": params["Role"]}
    if params.get("UnapplyCustomPermissions"):
        body.pop("CustomPermissionsName", None)
    elif params.get("CustomPermissionsName"):
        body["CustomPermissionsName"] = params["CustomPermissionsName"]
    provider = params.get("ExternalLoginFederationProviderType")
    if provider == "NONE":  # clears the external login
        for member in ("ExternalLoginFederationProviderType", "ExternalLoginFederationProviderUrl", "ExternalLoginId"):
            body.pop(member, None)
    elif provider:
        body.update(ExternalLoginFederationProviderType=provider, ExternalLoginId=params.get("ExternalLoginId"),
                    ExternalLoginFederationProviderUrl=params.get("CustomFederationProviderUrl"))
    doc = doc.with_body(body, ctx.clock.now())
    ctx.store.replace(p.scope_in(ctx), doc)
    return _answer(ctx, User=_user_view(ctx, doc))


def _revoke(ctx: RequestContext, gone: set[str]) -> None:
    """Take what the assets grant to principals that are gone (a namesake registered later inherits nothing)."""
    for kind in a.TYPES:
        if not kind.has_permissions:
            continue
        for doc in ctx.store.all(a.scope(ctx), kind.name):
            grants = doc.body.get("_permissions") or []
            kept = [g for g in grants if g["Principal"] not in gone]
            if len(kept) != len(grants):
                ctx.store.replace(a.scope(ctx), doc.with_body({**doc.body, "_permissions": kept}, doc.updated_at))


def _remove_user(ctx: RequestContext, namespace: str, doc: Doc) -> None:
    name = doc.key.split("/", 1)[1]
    with ctx.store.transaction():
        for group in p.groups_of(ctx, namespace, name):  # a user leaves its groups with it
            _save_members(ctx, group, [m for m in group.body["_members"] if m != name])
        ctx.store.remove(p.scope_in(ctx), p.USER, doc.key)
        _revoke(ctx, {p.arn(ctx, p.USER, doc.key)})


@op("DeleteUser")
def delete_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    _remove_user(ctx, namespace, _load_user(ctx, namespace, params["UserName"]))
    return _answer(ctx)


@op("DeleteUserByPrincipalId")
def delete_user_by_principal_id(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    doc = next((d for d in ctx.store.children(p.scope_in(ctx), p.USER, namespace)
                if d.body["PrincipalId"] == params["PrincipalId"]), None)
    if doc is None:
        raise not_found(f"User with principal id {params['PrincipalId']} not found in namespace {namespace}. "
                        f"{_where(ctx, namespace)}", "USER")
    _remove_user(ctx, namespace, doc)
    return _answer(ctx)


@op("ListUserGroups")
def list_user_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    _load_user(ctx, namespace, params["UserName"])
    groups = [_group_view(ctx, g) for g in p.groups_of(ctx, namespace, params["UserName"])]
    chunk, token = a.paged(sorted(groups, key=lambda g: g["GroupName"]), params,
                           ["ListUserGroups", namespace, params["UserName"]])
    return _answer(ctx, GroupList=chunk, NextToken=token)


@op.console("ActivateUser")
def activate_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """What a user's first sign-in does (accepting the invitation, or federating in): the user is Active."""
    namespace = params.get("Namespace") or p.DEFAULT_NAMESPACE
    doc = _load_user(ctx, namespace, params["UserName"])
    body = {**doc.body, "Active": True}
    doc = doc.with_body(body, ctx.clock.now())
    ctx.store.replace(p.scope_in(ctx), doc)
    return _user_view(ctx, doc)


# -- groups -----------------------------------------------------------------------------------


def _group_view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    return {"Arn": p.arn(ctx, p.GROUP, doc.key), "GroupName": doc.key.split("/", 1)[1],
            "Description": doc.body.get("Description"), "PrincipalId": doc.body["PrincipalId"]}


def _load_group(ctx: RequestContext, namespace: str, name: str) -> Doc:
    doc = p.find(ctx, p.GROUP, p.key(namespace, name))
    if doc is None:
        raise not_found(f"Group {name} not found in namespace {namespace}. {_where(ctx, namespace)}", "GROUP")
    return doc


def _save_members(ctx: RequestContext, group: Doc, members: list[str]) -> None:
    ctx.store.replace(p.scope_in(ctx), group.with_body({**group.body, "_members": members}, ctx.clock.now()))


@op("CreateGroup")
def create_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    name = params["GroupName"]
    if len(ctx.store.children(p.scope_in(ctx), p.GROUP, namespace)) >= GROUPS_PER_NAMESPACE:
        raise limit(f"A namespace can have at most {GROUPS_PER_NAMESPACE} groups. {_where(ctx, namespace)}",
                    "GROUP")
    body = {"PrincipalId": f"group/{_directory(ctx)}/{ctx.ids.uuid()}", "_members": [],
            **({"Description": params["Description"]} if params.get("Description") else {})}
    now = ctx.clock.now()
    doc = Doc(p.GROUP, p.key(namespace, name), namespace, name, body, now, now)
    try:
        ctx.store.put(p.scope_in(ctx), doc)
    except AlreadyExists:
        raise exists(f"Group {name} already exists in namespace {namespace}. {_where(ctx, namespace)}",
                     "GROUP") from None
    return _answer(ctx, 201, Group=_group_view(ctx, doc))


@op("DescribeGroup")
def describe_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    return _answer(ctx, Group=_group_view(ctx, _load_group(ctx, namespace, params["GroupName"])))


@op("UpdateGroup")
def update_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    doc = _load_group(ctx, namespace, params["GroupName"])
    body = {k: v for k, v in doc.body.items() if k != "Description"}
    if params.get("Description"):
        body["Description"] = params["Description"]
    doc = doc.with_body(body, ctx.clock.now())
    ctx.store.replace(p.scope_in(ctx), doc)
    return _answer(ctx, Group=_group_view(ctx, doc))


@op("DeleteGroup")
def delete_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    doc = _load_group(ctx, namespace, params["GroupName"])
    with ctx.store.transaction():
        ctx.store.remove(p.scope_in(ctx), p.GROUP, doc.key)
        _revoke(ctx, {p.arn(ctx, p.GROUP, doc.key)})
    return _answer(ctx)


def _groups(ctx: RequestContext, namespace: str) -> list[dict[str, Any]]:
    docs = sorted(ctx.store.children(p.scope_in(ctx), p.GROUP, namespace), key=lambda d: d.key)
    return [_group_view(ctx, d) for d in docs]


@op("ListGroups")
def list_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    chunk, token = a.paged(_groups(ctx, namespace), params, ["ListGroups", namespace])
    return _answer(ctx, GroupList=chunk, NextToken=token)


@op("SearchGroups")
def search_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    (wanted,) = params["Filters"]  # the model allows exactly one: GROUP_NAME StartsWith
    found = [g for g in _groups(ctx, namespace) if g["GroupName"].startswith(wanted["Value"])]
    chunk, token = a.paged(found, params, ["SearchGroups", namespace, wanted])
    return _answer(ctx, GroupList=chunk, NextToken=token)


# -- memberships ------------------------------------------------------------------------------


def _membership(ctx: RequestContext, params: dict[str, Any]) -> tuple[Doc, str]:
    namespace = _namespace(ctx, params)
    group = _load_group(ctx, namespace, params["GroupName"])
    _load_user(ctx, namespace, params["MemberName"])
    return group, namespace


def _member_view(ctx: RequestContext, namespace: str, name: str) -> dict[str, Any]:
    return {"Arn": p.arn(ctx, p.USER, p.key(namespace, name)), "MemberName": name}


@op("CreateGroupMembership")
def create_group_membership(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group, namespace = _membership(ctx, params)
    name = params["MemberName"]
    if name not in group.body["_members"]:  # a PUT: adding a member twice is adding it once
        _save_members(ctx, group, [*group.body["_members"], name])
    return _answer(ctx, GroupMember=_member_view(ctx, namespace, name))


@op("DescribeGroupMembership")
def describe_group_membership(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group, namespace = _membership(ctx, params)
    if params["MemberName"] not in group.body["_members"]:
        raise not_found(f"User {params['MemberName']} is not a member of group {params['GroupName']}. "
                        f"{_where(ctx, namespace)}", "USER")
    return _answer(ctx, GroupMember=_member_view(ctx, namespace, params["MemberName"]))


@op("DeleteGroupMembership")
def delete_group_membership(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group, namespace = _membership(ctx, params)
    if params["MemberName"] not in group.body["_members"]:
        raise not_found(f"User {params['MemberName']} is not a member of group {params['GroupName']}. "
                        f"{_where(ctx, namespace)}", "USER")
    _save_members(ctx, group, [m for m in group.body["_members"] if m != params["MemberName"]])
    return _answer(ctx)


@op("ListGroupMemberships")
def list_group_memberships(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(ctx, params)
    group = _load_group(ctx, namespace, params["GroupName"])
    members = [_member_view(ctx, namespace, m) for m in sorted(group.body["_members"])]
    chunk, token = a.paged(members, params, ["ListGroupMemberships", namespace, params["GroupName"]])
    return _answer(ctx, GroupMemberList=chunk, NextToken=token)


# -- namespaces -------------------------------------------------------------------------------


def _namespace_view(ctx: RequestContext, name: str, doc: Doc | None) -> dict[str, Any]:
    body = statuses.settle(doc.body, ctx.clock.now()) if doc else {"CreationStatus": "CREATED",
                                                                   "CapacityRegion": ctx.region}
    return {"Name": name, "Arn": p.arn(ctx, p.NAMESPACE, name), "CapacityRegion": body["CapacityRegion"],
            "CreationStatus": body["CreationStatus"], "IdentityStore": "QUICKSIGHT"}


@op("CreateNamespace")
def create_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    name = params["Namespace"]
    if p.namespace_exists(ctx, name):
        raise exists(f"Namespace {name} already exists. {_where(ctx, name)}", "NAMESPACE")
    if len(ctx.store.all(p.scope_in(ctx), p.NAMESPACE)) + 1 >= NAMESPACES_PER_ACCOUNT:  # default included
        raise limit(f"An account can have at most {NAMESPACES_PER_ACCOUNT} namespaces. {_where(ctx, name)}",
                    "NAMESPACE")
    body: dict[str, Any] = {"CapacityRegion": ctx.region, "_tags": params.get("Tags") or []}
    statuses.begin(body, "CreationStatus", "CREATING", "CREATED", ctx.engine.settle_at())
    now = ctx.clock.now()
    ctx.store.put(p.scope_in(ctx), Doc(p.NAMESPACE, name, None, name, body, now, now))
    return _answer(ctx, 202, **{**_namespace_view(ctx, name, None), "CreationStatus": "CREATING"})


@op("DescribeNamespace")
def describe_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _namespace(ctx, params)
    return _answer(ctx, Namespace=_namespace_view(ctx, name, p.find(ctx, p.NAMESPACE, name)))


@op("ListNamespaces")
def list_namespaces(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    docs = sorted(ctx.store.all(p.scope_in(ctx), p.NAMESPACE), key=lambda d: d.key)
    views = [_namespace_view(ctx, p.DEFAULT_NAMESPACE, None), *(_namespace_view(ctx, d.key, d) for d in docs)]
    chunk, token = a.paged(views, params, ["ListNamespaces"])
    return _answer(ctx, Namespaces=chunk, NextToken=token)


@op("DeleteNamespace")
def delete_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _namespace(ctx, params)
    if name in (p.DEFAULT_NAMESPACE, account.settings(ctx)["DefaultNamespace"]):
        raise invalid(f"The namespace {name} is the account's default namespace and cannot be deleted. "
                      f"{_where(ctx, name)}")
    scope = p.scope_in(ctx)
    with ctx.store.transaction():  # its users and groups go with it (and what they were granted), its assets stay
        gone = {p.arn(ctx, p.NAMESPACE, name)}
        for kind in (p.USER, p.GROUP):
            for doc in ctx.store.children(scope, kind, name):
                ctx.store.remove(scope, kind, doc.key)
                gone.add(p.arn(ctx, kind, doc.key))
        ctx.store.remove(scope, p.NAMESPACE, name)
        _revoke(ctx, gone)
    return _answer(ctx)

