"""QuickSight assets, each described once, and the generic operations that serve them:
Create/Describe/Update/Delete/List, Describe/Update…Permissions, tags.

An asset document's body is its Create* request as given (PascalCase, the
model's names, without AwsAccountId/Permissions/Tags), plus internal fields
starting with ``_``: permissions, tags, times.  Describe* answers are built
from it; the serializer keeps what each output shape declares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ...aws.models import operation
from ...aws.validation import ValidationStyle
from ...core import tags as tagging
from ...core.pagination import InvalidToken, page
from ...core.runtime import Operations, RequestContext
from ...core.store import AlreadyExists, Doc, Scope
from . import arns, principals
from .errors import access_denied, exists, invalid, invalid_token, not_found

SERVICE = "quicksight"
# Real QuickSight answers a constraint failure with ValidationException (not in its model), at member paths
# in lowerCamelCase, a map's keys joined (boto3#2601, terraform-provider-aws#41919).
op = Operations(SERVICE, ValidationStyle("ValidationException", lower_camel_paths=True, joined_map_keys=True))
CREATED, UPDATED = "_created", "_updated"


@dataclass(frozen=True)
class AssetType:
    name: str  # DataSource: the operations are Create{name}, Describe{name}, ...
    arn_part: str  # arn:aws:quicksight:{region}:{account}:{arn_part}/{id}
    bundle_dir: str  # the folder of its members in a .qs bundle
    cfn_type: str
    plural: str = ""
    exportable: bool = True
    has_permissions: bool = True
    status_member: str = "Status"  # the status member of the Describe output's structure

    @property
    def id_member(self) -> str:
        return f"{self.name}Id"

    @property
    def list_op(self) -> str:
        return f"List{self.plural or self.name + 's'}"


DATA_SOURCE = AssetType("DataSource", "datasource", "datasource", "AWS::QuickSight::DataSource")
DATA_SET = AssetType("DataSet", "dataset", "dataset", "AWS::QuickSight::DataSet")
THEME = AssetType("Theme", "theme", "theme", "AWS::QuickSight::Theme")
ANALYSIS = AssetType("Analysis", "analysis", "analysis", "AWS::QuickSight::Analysis", plural="Analyses")
DASHBOARD = AssetType("Dashboard", "dashboard", "dashboard", "AWS::QuickSight::Dashboard")
FOLDER = AssetType("Folder", "folder", "folder", "AWS::QuickSight::Folder")
VPC_CONNECTION = AssetType("VPCConnection", "vpcConnection", "vpcConnection", "AWS::QuickSight::VPCConnection",
                           has_permissions=False, status_member="Status")
TEMPLATE = AssetType("Template", "template", "template", "AWS::QuickSight::Template", exportable=False)
REFRESH_SCHEDULE = AssetType("RefreshSchedule", "refresh-schedule", "refreshSchedule",
                             "AWS::QuickSight::RefreshSchedule", has_permissions=False)
TYPES = (VPC_CONNECTION, DATA_SOURCE, DATA_SET, REFRESH_SCHEDULE, THEME, TEMPLATE, ANALYSIS, DASHBOARD, FOLDER)
BY_ARN_PART = {t.arn_part: t for t in TYPES if t is not REFRESH_SCHEDULE}
BY_NAME = {t.name: t for t in TYPES}
MEMBER_TYPES = {"DASHBOARD": DASHBOARD, "ANALYSIS": ANALYSIS, "DATASET": DATA_SET, "DATASOURCE": DATA_SOURCE}


@dataclass
class Extensions:
    """What modules built on an asset type add to its generic operations (the ingestion a SPICE data set
    starts when saved, what its view shows of it, what goes when it is deleted); keyed by type name."""

    saved: dict[str, Callable[[RequestContext, dict[str, Any], bool], dict[str, Any]]] = field(default_factory=dict)
    viewed: dict[str, Callable[[RequestContext, Doc, dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    removed: dict[str, Callable[[RequestContext, Doc], None]] = field(default_factory=dict)


EXTENSIONS = Extensions()


def scope(ctx: RequestContext) -> Scope:
    return Scope(ctx.account, ctx.region, SERVICE)


def check_account(ctx: RequestContext, params: dict[str, Any]) -> None:
    """QuickSight names the account in every path; only the caller's own is allowed."""
    if params.get("AwsAccountId", ctx.account) != ctx.account:
        raise access_denied(f"The caller's account {ctx.account} cannot act on account {params['AwsAccountId']}.")


def arn(ctx: RequestContext, kind: AssetType, asset_id: str) -> str:
    return arns.make(ctx.region, ctx.account, kind.arn_part, asset_id)


def parse_arn(ctx: RequestContext, value: str) -> tuple[AssetType, str] | None:
    """(type, key) of an asset ARN of this account and region; None if it names something else."""
    parsed = arns.parse(value)
    if parsed is None or (parsed.region, parsed.account) != (ctx.region, ctx.account):
        return None
    part, rest = parsed.type, parsed.rest
    if part == "dataset" and "/refresh-schedule/" in rest:
        data_set, _, schedule = rest.partition("/refresh-schedule/")
        return REFRESH_SCHEDULE, f"{data_set}/{schedule}"
    kind = BY_ARN_PART.get(part)
    return (kind, rest) if kind and rest else None


def arn_of(ctx: RequestContext, kind: AssetType, key: str) -> str:
    if kind is REFRESH_SCHEDULE:
        data_set, schedule = key.split("/", 1)
        return f"{arn(ctx, DATA_SET, data_set)}/refresh-schedule/{schedule}"
    return arn(ctx, kind, key)


def find(ctx: RequestContext, kind: AssetType, key: str) -> Doc | None:
    return ctx.store.get(scope(ctx), kind.name, key)


def load(ctx: RequestContext, kind: AssetType, key: str) -> Doc:
    doc = find(ctx, kind, key)
    if doc is None:
        raise not_found(f"{kind.name} {arn_of(ctx, kind, key)} is not found")
    return doc


def body_of(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ("AwsAccountId", "Permissions", "Tags", "GrantPermissions",
                                                         "RevokePermissions")}


def put(ctx: RequestContext, kind: AssetType, key: str, body: dict[str, Any], permissions: list | None,
        tags: list | None, create: bool = True) -> Doc:
    """Store an asset (create, or replace keeping what ``body`` does not set when ``create`` is False)."""
    now = ctx.clock.now()
    old = find(ctx, kind, key)
    if old is None:
        full = {**body, "_permissions": permissions or [], "_tags": tags or [], CREATED: now, UPDATED: now}
        doc = Doc(kind.name, key, None, body.get("Name"), full, now, now)
        try:
            return ctx.store.put(scope(ctx), doc)
        except AlreadyExists:
            raise exists(f"{kind.name} {arn_of(ctx, kind, key)} already exists.") from None
    if create:
        raise exists(f"{kind.name} {arn_of(ctx, kind, key)} already exists.")
    full = {**old.body, **body, UPDATED: now}
    if permissions is not None:
        full["_permissions"] = permissions
    if tags is not None:
        full["_tags"] = tags
    return ctx.store.replace(scope(ctx), Doc(kind.name, key, None, full.get("Name"), full, old.created_at, now))


def replace(ctx: RequestContext, kind: AssetType, doc: Doc, body: dict[str, Any]) -> Doc:
    """Store ``body`` as the whole new body of an existing asset."""
    now = ctx.clock.now()
    return ctx.store.replace(scope(ctx), Doc(kind.name, doc.key, None, body.get("Name"), {**body, UPDATED: now},
                                             doc.created_at, now))


def view(ctx: RequestContext, kind: AssetType, doc: Doc) -> dict[str, Any]:
    """The asset as Describe* shows it (the output shape picks its members)."""
    body = {k: v for k, v in doc.body.items() if not k.startswith("_")}
    created, updated = doc.body[CREATED], doc.body[UPDATED]
    out = {**body, "Arn": arn_of(ctx, kind, doc.key), "CreatedTime": created, "LastUpdatedTime": updated,
           kind.status_member: "CREATION_SUCCESSFUL", "AvailabilityStatus": "AVAILABLE"}
    if kind is VPC_CONNECTION:
        out.update(Status="CREATION_SUCCESSFUL", NetworkInterfaces=[])
    if kind in (ANALYSIS, DASHBOARD, TEMPLATE):
        _definition_summary(kind, doc, out)
        if doc.body.get("_failure"):  # a source it could not read (handlers.SourceUnusable)
            out.update(Status="CREATION_FAILED", Errors=doc.body["_failure"])
            if "Version" in out:
                out["Version"].update(Status="CREATION_FAILED", Errors=doc.body["_failure"])
    extend = EXTENSIONS.viewed.get(kind.name)
    return extend(ctx, doc, out) if extend else out


def declarations(definition: dict[str, Any] | None) -> list[dict[str, Any]]:
    return (definition or {}).get("DataSetIdentifierDeclarations") or []


def _definition_summary(kind: AssetType, doc: Doc, out: dict[str, Any]) -> dict[str, Any]:
    """Describe{Analysis,Dashboard,Template} show a summary of the definition, not the definition."""
    definition = doc.body.get("Definition") or {}
    data_sets = [d["DataSetArn"] for d in declarations(definition)]
    sheets = [{"SheetId": s.get("SheetId"), "Name": s.get("Name")} for s in definition.get("Sheets", [])]
    out.update(DataSetArns=data_sets, Sheets=sheets, ThemeArn=doc.body.get("ThemeArn"))
    if kind in (DASHBOARD, TEMPLATE):
        number = doc.body.get("_published", 1)
        entry = (doc.body.get("_versions") or {}).get(str(number)) or {}
        out["Version"] = {"VersionNumber": number, "Status": "CREATION_SUCCESSFUL",
                          "Arn": f"{out['Arn']}/version/{number}", "SourceEntityArn": doc.body.get("_source"),
                          "DataSetArns": data_sets, "Sheets": sheets, "ThemeArn": doc.body.get("ThemeArn"),
                          "CreatedTime": entry.get("created", out["CreatedTime"]),
                          "Description": doc.body.get("VersionDescription")}
        out["LastPublishedTime"] = out["LastUpdatedTime"]
    return out


def permissions_apply(current: list[dict], grant: list[dict] | None, revoke: list[dict] | None) -> list[dict]:
    """Grant adds actions per principal, revoke removes them (principals left with none go)."""
    by_principal = {p["Principal"]: set(p["Actions"]) for p in current}
    for p in grant or []:
        by_principal.setdefault(p["Principal"], set()).update(p["Actions"])
    for p in revoke or []:
        if p["Principal"] in by_principal:
            by_principal[p["Principal"]] -= set(p["Actions"])
    return [{"Principal": k, "Actions": sorted(v)} for k, v in by_principal.items() if v]


def paged(items: list, params: dict[str, Any], query: Any) -> tuple[list, str | None]:
    try:
        chunk, token = page(items, params.get("MaxResults") or 100, params.get("NextToken"), query)
    except InvalidToken as error:
        raise invalid_token(str(error)) from None
    return list(chunk), token


@cache
def list_member(op_name: str) -> str:
    shape = operation(SERVICE, op_name).output_shape
    return next(m for m, s in shape.members.items() if s.type_name == "list")


# -- generic handlers -------------------------------------------------------------------


def _register(kind: AssetType) -> None:
    id_member = kind.id_member

    def created_answer(ctx: RequestContext, key: str, status: str) -> dict[str, Any]:
        return {"Arn": arn_of(ctx, kind, key), id_member: key, "CreationStatus": status, "UpdateStatus": status,
                "VersionArn": f"{arn_of(ctx, kind, key)}/version/1", "RequestId": ctx.request_id, "Status": 202,
                "AvailabilityStatus": "AVAILABLE" if kind is VPC_CONNECTION else None}

    if kind not in (REFRESH_SCHEDULE, TEMPLATE, ANALYSIS, DASHBOARD):  # those add checks (handlers.py)
        def saved(ctx: RequestContext, params: dict[str, Any], created: bool) -> dict[str, Any]:
            extend = EXTENSIONS.saved.get(kind.name)
            return extend(ctx, params, created) if extend else {}

        @op(f"Create{kind.name}")
        def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            principals.check(ctx, params.get("Permissions"))
            put(ctx, kind, params[id_member], body_of(params), params.get("Permissions"), params.get("Tags"))
            return {**created_answer(ctx, params[id_member], "CREATION_SUCCESSFUL"), **saved(ctx, params, True)}

        @op(f"Update{kind.name}")
        def update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            load(ctx, kind, params[id_member])
            put(ctx, kind, params[id_member], body_of(params), None, None, create=False)
            return {**created_answer(ctx, params[id_member], "UPDATE_SUCCESSFUL"), "Status": 200,
                    **saved(ctx, params, False)}

    if kind not in (REFRESH_SCHEDULE, DASHBOARD):  # a dashboard is described as one version (handlers.py)
        @op(f"Describe{kind.name}")
        def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            return {kind.name: view(ctx, kind, load(ctx, kind, params[id_member])), "RequestId": ctx.request_id,
                    "Status": 200}

    if kind is not REFRESH_SCHEDULE:
        @op(f"Delete{kind.name}")
        def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            remove(ctx, kind, load(ctx, kind, params[id_member]))
            return {"Arn": arn_of(ctx, kind, params[id_member]), id_member: params[id_member],
                    "RequestId": ctx.request_id, "Status": 200, "DeletionStatus": "DELETED",
                    "DeletionTime": ctx.clock.now()}

        @op(kind.list_op)
        def list_all(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            items = [view(ctx, kind, d) for d in ctx.store.all(scope(ctx), kind.name)]
            chunk, token = paged(items, params, kind.list_op)
            return {list_member(kind.list_op): chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}

    if kind.has_permissions:
        def permissions_answer(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
            the_arn = arn_of(ctx, kind, doc.key)
            return {id_member: doc.key, f"{kind.name}Arn": the_arn, "Arn": the_arn,
                    "Permissions": doc.body["_permissions"], "RequestId": ctx.request_id, "Status": 200}

        @op(f"Describe{kind.name}Permissions")
        def describe_permissions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            return permissions_answer(ctx, load(ctx, kind, params[id_member]))

        @op(f"Update{kind.name}Permissions")
        def update_permissions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            check_account(ctx, params)
            doc = load(ctx, kind, params[id_member])
            principals.check(ctx, params.get("GrantPermissions"))
            granted = permissions_apply(doc.body["_permissions"], params.get("GrantPermissions"),
                                        params.get("RevokePermissions"))
            return permissions_answer(ctx, put(ctx, kind, doc.key, {}, granted, None, create=False))


def remove(ctx: RequestContext, kind: AssetType, doc: Doc) -> None:
    extend = EXTENSIONS.removed.get(kind.name)
    if extend:
        extend(ctx, doc)
    ctx.store.remove(scope(ctx), kind.name, doc.key)
    member_type = next((name for name, member in MEMBER_TYPES.items() if member is kind), None)
    if member_type is not None:  # it leaves the folders it was in
        gone = {"MemberId": doc.key, "MemberType": member_type}
        for folder in ctx.store.all(scope(ctx), FOLDER.name):
            if gone in folder.body.get("_members", ()):
                kept = [m for m in folder.body["_members"] if m != gone]
                ctx.store.replace(scope(ctx), folder.with_body({**folder.body, "_members": kept}, ctx.clock.now()))
    if kind is DATA_SET:  # its refresh schedules go with it
        for schedule in ctx.store.all(scope(ctx), REFRESH_SCHEDULE.name):
            if schedule.key.startswith(doc.key + "/"):
                ctx.store.remove(scope(ctx), REFRESH_SCHEDULE.name, schedule.key)


for _kind in TYPES:
    _register(_kind)


def _tagged(ctx: RequestContext, resource_arn: str) -> tuple[Scope, Doc]:
    """The asset, user or namespace an ARN names (their documents all keep tags as ``_tags``)."""
    parsed = parse_arn(ctx, resource_arn)
    if parsed is not None:
        return scope(ctx), load(ctx, *parsed)
    found = principals.taggable(ctx, resource_arn)
    if found is None:
        raise invalid(f"{resource_arn} is not the ARN of a taggable QuickSight resource of this account.")
    return found


def _save_tags(ctx: RequestContext, where: Scope, doc: Doc, tags: dict[str, str]) -> None:
    body = {**doc.body, "_tags": tagging.to_pairs(tags, "Key", "Value")}
    ctx.store.replace(where, doc.with_body(body, doc.updated_at))


@op("TagResource")
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where, doc = _tagged(ctx, params["ResourceArn"])
    tags = tagging.from_pairs(doc.body["_tags"], "Key", "Value") | tagging.from_pairs(params["Tags"], "Key", "Value")
    _save_tags(ctx, where, doc, tags)
    return {"RequestId": ctx.request_id, "Status": 200}


@op("UntagResource")
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    where, doc = _tagged(ctx, params["ResourceArn"])
    _save_tags(ctx, where, doc, tagging.remove(tagging.from_pairs(doc.body["_tags"], "Key", "Value"),
                                               params["TagKeys"]))
    return {"RequestId": ctx.request_id, "Status": 200}


@op("ListTagsForResource")
def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, doc = _tagged(ctx, params["ResourceArn"])
    return {"Tags": doc.body["_tags"], "RequestId": ctx.request_id, "Status": 200}
