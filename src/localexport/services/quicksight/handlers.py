"""What the generic asset operations do not cover: definitions and their source
entities (analyses, dashboards, templates), refresh schedules, folder members."""

from __future__ import annotations

import copy
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc, Scope
from . import arns, principals, versions
from . import assets as a
from .assets import declarations, op
from .errors import invalid, not_found


class SourceUnusable(Exception):
    """The source entity cannot be read: the asset is created, and fails (as AWS reports it, asynchronously)."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error = {"Type": error_type, "Message": message}


def _template_source(ctx: RequestContext, template_arn: str) -> Doc:
    """A template of any account and region (as AWS allows), if it exists and grants this account access."""
    parsed = arns.parse(template_arn)
    if parsed is None or parsed.type != "template":
        raise invalid(f"{template_arn} is not the ARN of a template.")
    region, account = parsed.region, parsed.account
    template_id = parsed.rest.split("/", 1)[0]  # templates have one version here: a /version/N or /alias/X names it
    doc = ctx.store.get(Scope(account, region, a.SERVICE), a.TEMPLATE.name, template_id)
    if doc is None and account != ctx.account:  # whether another account has it is not this one's to learn
        raise SourceUnusable("ACCESS_DENIED", "You do not have permissions to access the source")
    if doc is None:
        raise SourceUnusable("SOURCE_NOT_FOUND", f"The source template {template_arn} was not found.")
    if account != ctx.account and not any(
            "quicksight:DescribeTemplate" in grant["Actions"] and _grants_account(grant["Principal"], ctx.account)
            for grant in doc.body.get("_permissions") or ()):
        raise SourceUnusable("ACCESS_DENIED", "You do not have permissions to access the source")
    return doc


def _grants_account(principal: str, account: str) -> bool:
    """Whether a template permission's principal is (in) ``account``: its root, or one of its identities."""
    return principal == f"arn:aws:iam::{account}:root" or principal.split(":")[4:5] == [account]


def _from_source(ctx: RequestContext, kind: a.AssetType, source: dict[str, Any]) -> dict[str, Any]:
    """The definition a SourceEntity names: a template's (for analyses and dashboards; any account and region)
    or an analysis's (for templates; this account and region), with the data set placeholders bound to the
    given data sets."""
    member = "SourceTemplate" if "SourceTemplate" in source else "SourceAnalysis"
    entity = source.get(member)
    if not entity or len(source) != 1:
        raise invalid(f"SourceEntity of a {kind.name} needs exactly one of SourceTemplate or SourceAnalysis.")
    if member == "SourceTemplate":
        found = _template_source(ctx, entity["Arn"])
    else:
        parsed = a.parse_arn(ctx, entity["Arn"])
        if parsed is None or parsed[0] is not a.ANALYSIS:
            raise invalid(f"{entity['Arn']} is not the ARN of an analysis of this account.")
        found = a.load(ctx, *parsed)
    definition = copy.deepcopy(found.body.get("Definition") or {})
    refs = {r["DataSetPlaceholder"]: r["DataSetArn"] for r in entity.get("DataSetReferences", [])}
    by_arn = {v: k for k, v in refs.items()}
    bound = []
    for declaration in declarations(definition):
        if member == "SourceTemplate":
            if declaration["Identifier"] not in refs:
                raise invalid(f"DataSetReferences has no data set for the placeholder {declaration['Identifier']}.")
            bound.append({**declaration, "DataSetArn": refs[declaration["Identifier"]]})
        else:
            bound.append({**declaration, "Identifier": by_arn.get(declaration["DataSetArn"],
                                                                  declaration["Identifier"])})
    if definition:
        renamed = {old["Identifier"]: new["Identifier"] for old, new in zip(declarations(definition), bound,
                                                                             strict=True)}
        definition = _rename_identifiers(definition, renamed)
        definition["DataSetIdentifierDeclarations"] = bound
    return definition


def _rename_identifiers(value: Any, renamed: dict[str, str]) -> Any:
    """The definition with every use of a data set identifier renamed (a template names its
    data sets by placeholder)."""
    if isinstance(value, dict):
        return {k: renamed.get(v, v) if k == "DataSetIdentifier" and isinstance(v, str)
                else _rename_identifiers(v, renamed) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_identifiers(v, renamed) for v in value]
    return value


def _save_definition(ctx: RequestContext, kind: a.AssetType, params: dict[str, Any], create: bool) -> Doc:
    a.check_account(ctx, params)
    principals.check(ctx, params.get("Permissions"))
    old = None if create else a.load(ctx, kind, params[kind.id_member])
    body = a.body_of(params)
    if ("Definition" in params) == ("SourceEntity" in params):
        raise invalid(f"A {kind.name} needs exactly one of Definition or SourceEntity.")
    body["_failure"] = None  # an update that succeeds clears an earlier failure
    if "SourceEntity" in params:
        body["_source"] = next(iter(params["SourceEntity"].values()))["Arn"]
        try:
            body["Definition"] = _from_source(ctx, kind, body.pop("SourceEntity"))
        except SourceUnusable as unusable:  # created, and failed: Describe shows why
            body["_failure"] = [unusable.error]
    if kind is a.DASHBOARD:
        if old is not None:  # a new version, published only by UpdateDashboardPublishedVersion
            return versions.add(ctx, old, body, publish=False)
        body = versions.start(ctx, body)
    return a.put(ctx, kind, params[kind.id_member], body, params.get("Permissions"), params.get("Tags"),
                 create=create)


def _register_definitions(kind: a.AssetType) -> None:
    def answer(ctx: RequestContext, doc: Doc, status: str, code: int) -> dict[str, Any]:
        the_arn = a.arn_of(ctx, kind, doc.key)
        if versions.latest_failure(doc) if kind is a.DASHBOARD else doc.body.get("_failure"):
            status = status.replace("SUCCESSFUL", "FAILED")
        return {"Arn": the_arn, kind.id_member: doc.key, "CreationStatus": status, "UpdateStatus": status,
                "VersionArn": f"{the_arn}/version/{doc.body.get('_latest', 1)}", "RequestId": ctx.request_id,
                "Status": code}

    @op(f"Create{kind.name}")
    def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return answer(ctx, _save_definition(ctx, kind, params, True), "CREATION_SUCCESSFUL", 202)

    @op(f"Update{kind.name}")
    def update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return answer(ctx, _save_definition(ctx, kind, params, False), "UPDATE_SUCCESSFUL", 202)

    @op(f"Describe{kind.name}Definition")
    def describe_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        a.check_account(ctx, params)
        doc = a.load(ctx, kind, params[kind.id_member])
        if kind is a.DASHBOARD:
            doc = versions.at(ctx, doc, params)
        failure = doc.body.get("_failure")
        return {**{k: v for k, v in doc.body.items() if not k.startswith("_")}, "RequestId": ctx.request_id,
                "ResourceStatus": "CREATION_FAILED" if failure else "CREATION_SUCCESSFUL", "Errors": failure or [],
                "Status": 200}


for _kind in (a.ANALYSIS, a.DASHBOARD, a.TEMPLATE):
    _register_definitions(_kind)


# -- dashboard versions -------------------------------------------------------------------


@op("DescribeDashboard")
def describe_dashboard(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    doc = versions.at(ctx, a.load(ctx, a.DASHBOARD, params["DashboardId"]), params)
    return {"Dashboard": a.view(ctx, a.DASHBOARD, doc), "RequestId": ctx.request_id, "Status": 200}


@op("UpdateDashboardPublishedVersion")
def update_dashboard_published_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    doc = versions.publish(ctx, a.load(ctx, a.DASHBOARD, params["DashboardId"]), params["VersionNumber"])
    return {"DashboardId": doc.key, "DashboardArn": a.arn_of(ctx, a.DASHBOARD, doc.key), "RequestId": ctx.request_id,
            "Status": 200}


@op("ListDashboardVersions")
def list_dashboard_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    doc = a.load(ctx, a.DASHBOARD, params["DashboardId"])
    chunk, token = a.paged(versions.summaries(ctx, doc), params, ["ListDashboardVersions", doc.key])
    return {"DashboardVersionSummaryList": chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}


# -- refresh schedules ------------------------------------------------------------------


def _schedule_key(ctx: RequestContext, params: dict[str, Any], schedule_id: str) -> str:
    a.check_account(ctx, params)
    a.load(ctx, a.DATA_SET, params["DataSetId"])
    return f"{params['DataSetId']}/{schedule_id}"


def _schedule_view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    return {**doc.body["Schedule"], "Arn": a.arn_of(ctx, a.REFRESH_SCHEDULE, doc.key)}


@op("CreateRefreshSchedule")
def create_refresh_schedule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = _schedule_key(ctx, params, params["Schedule"]["ScheduleId"])
    a.put(ctx, a.REFRESH_SCHEDULE, key, {"DataSetId": params["DataSetId"], "Schedule": params["Schedule"]}, None, None)
    return {"ScheduleId": params["Schedule"]["ScheduleId"], "Arn": a.arn_of(ctx, a.REFRESH_SCHEDULE, key),
            "RequestId": ctx.request_id, "Status": 200}


@op("UpdateRefreshSchedule")
def update_refresh_schedule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = _schedule_key(ctx, params, params["Schedule"]["ScheduleId"])
    a.load(ctx, a.REFRESH_SCHEDULE, key)
    a.put(ctx, a.REFRESH_SCHEDULE, key, {"Schedule": params["Schedule"]}, None, None, create=False)
    return {"ScheduleId": params["Schedule"]["ScheduleId"], "Arn": a.arn_of(ctx, a.REFRESH_SCHEDULE, key),
            "RequestId": ctx.request_id, "Status": 200}


@op("DescribeRefreshSchedule")
def describe_refresh_schedule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = a.load(ctx, a.REFRESH_SCHEDULE, _schedule_key(ctx, params, params["ScheduleId"]))
    return {"RefreshSchedule": _schedule_view(ctx, doc), "Arn": a.arn_of(ctx, a.REFRESH_SCHEDULE, doc.key),
            "RequestId": ctx.request_id, "Status": 200}


@op("ListRefreshSchedules")
def list_refresh_schedules(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = _schedule_key(ctx, params, "")
    docs = [d for d in ctx.store.all(a.scope(ctx), a.REFRESH_SCHEDULE.name) if d.key.startswith(prefix)]
    return {"RefreshSchedules": [_schedule_view(ctx, d) for d in docs], "RequestId": ctx.request_id, "Status": 200}


@op("DeleteRefreshSchedule")
def delete_refresh_schedule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = a.load(ctx, a.REFRESH_SCHEDULE, _schedule_key(ctx, params, params["ScheduleId"]))
    a.remove(ctx, a.REFRESH_SCHEDULE, doc)
    return {"ScheduleId": params["ScheduleId"], "Arn": a.arn_of(ctx, a.REFRESH_SCHEDULE, doc.key),
            "RequestId": ctx.request_id, "Status": 200}


# -- folder members ---------------------------------------------------------------------


def members_of(doc: Doc) -> list[dict[str, str]]:
    return doc.body.get("_members") or []


@op("CreateFolderMembership")
def create_folder_membership(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    folder = a.load(ctx, a.FOLDER, params["FolderId"])
    kind = a.MEMBER_TYPES.get(params["MemberType"])
    if kind is None:
        raise invalid(f"Member type {params['MemberType']} is not supported by localexport.")
    if a.find(ctx, kind, params["MemberId"]) is None:
        raise not_found(f"{kind.name} {a.arn(ctx, kind, params['MemberId'])} is not found")
    member = {"MemberId": params["MemberId"], "MemberType": params["MemberType"]}
    if member not in members_of(folder):
        a.put(ctx, a.FOLDER, folder.key, {"_members": [*members_of(folder), member]}, None, None, create=False)
    return {"FolderMember": member, "RequestId": ctx.request_id, "Status": 200}


@op("DeleteFolderMembership")
def delete_folder_membership(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    folder = a.load(ctx, a.FOLDER, params["FolderId"])
    member = {"MemberId": params["MemberId"], "MemberType": params["MemberType"]}
    if member not in members_of(folder):
        raise not_found(f"{params['MemberId']} is not a member of folder {params['FolderId']}.")
    a.put(ctx, a.FOLDER, folder.key, {"_members": [m for m in members_of(folder) if m != member]}, None, None,
          create=False)
    return {"RequestId": ctx.request_id, "Status": 200}


@op("ListFolderMembers")
def list_folder_members(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    folder = a.load(ctx, a.FOLDER, params["FolderId"])
    items = [{"MemberId": m["MemberId"], "MemberArn": a.arn(ctx, a.MEMBER_TYPES[m["MemberType"]], m["MemberId"])}
             for m in members_of(folder)]
    chunk, token = a.paged(items, params, ["ListFolderMembers", params["FolderId"]])
    return {"FolderMemberList": chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}
