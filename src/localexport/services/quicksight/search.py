"""QuickSight searches — SearchDashboards, SearchAnalyses, SearchDataSets, SearchDataSources, SearchFolders —
and ListFoldersForResource: the assets a user or group owns or views, by name, by parent folder.

Owners and viewers.  The filter docs (DashboardSearchFilter ... FolderSearchFilter in the model) speak of an
asset's "owners" and "viewers" without naming actions.  The action sets AWS documents (quicksight: prefix):

| asset | viewer | owner: the viewer's and |
| --- | --- | --- |
| dashboard | DescribeDashboard, ListDashboardVersions, QueryDashboard (a) | UpdateDashboard, DeleteDashboard,
|           |                                                            | UpdateDashboardPublishedVersion,
|           |                                                            | DescribeDashboardPermissions,
|           |                                                            | UpdateDashboardPermissions (e) |
| analysis | DescribeAnalysis, QueryAnalysis (b) | UpdateAnalysis, DeleteAnalysis, RestoreAnalysis,
|          |                                     | DescribeAnalysisPermissions, UpdateAnalysisPermissions (b) |
| data set | DescribeDataSet, DescribeDataSetPermissions, PassDataSet, | UpdateDataSet, DeleteDataSet, CreateIngestion,
|          | DescribeIngestion, ListIngestions (c)                     | CancelIngestion, UpdateDataSetPermissions (e) |
| data source | DescribeDataSource, DescribeDataSourcePermissions, | UpdateDataSource, DeleteDataSource,
|             | PassDataSource (d)                                 | UpdateDataSourcePermissions (e) |
| folder | DescribeFolder; a contributor also CreateFolder, | UpdateFolder, DeleteFolder, UpdateFolderPermissions (f) |
|        | Create/DeleteFolderMembership, DescribeFolderPermissions (f) | |

(a) QuickSight developer guide, update-dashboard-permissions.html and user guide,
share-a-dashboard-grant-access-everyone-api.html; (b) developer guide, analysis-permissions (the
UpdateAnalysisPermissions example); (c) developer guide, update-data-set-permissions.html; (d) developer guide,
update-data-source-permissions.html; (e) the full set public deployment code grants owners (terraform and CDK
examples); (f) user guide, sharing-folders.html and developer guide, update-folder-permissions.html.

What separates the roles everywhere is Update{Type}Permissions: owners "modify permissions on the folder and
its assets", contributors and viewers cannot (user guide, folders-security.html).  So an owner is a principal
granted Update{Type}Permissions; any other principal with a permission on the asset is a viewer.

Implicit permissions (QUICKSIGHT_* filters; DIRECT_* consider the asset's own permissions only): a user acts
through itself, its groups and its namespace (principals.acting_as), and through folders — "the folder owner
owns everything inside of the folder", viewers and contributors view it, and "the folder permission is the
permission on the current folder, combined with permissions of all the folders leading to the root folder"
(folders-security.html).  QUICKSIGHT_USER, which only SearchDashboards/SearchAnalyses take and the docs use
without defining ("dashboards that belong to a user"), is read as QUICKSIGHT_VIEWER_OR_OWNER.

Choices without AWS evidence: *_NAME with StringLike is a case-insensitive substring match (as the console's
search), ``*`` in the value matching any run of characters; with StringEquals, the exact name.  A filter naming
a user, group or folder that does not exist finds nothing (the searches answer what matches; they do not check
principals).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import arns, principals
from . import assets as a
from .assets import op
from .errors import invalid, not_found
from .handlers import members_of

EQUALS, LIKE = "StringEquals", "StringLike"
PARENT_FOLDER = "PARENT_FOLDER_ARN"
OWNER, VIEWER = "owner", "viewer"
# filter name -> (implicit permissions considered, owners only); SOLE_OWNER is apart
OWNERSHIP = {
    "QUICKSIGHT_USER": (True, False),
    "QUICKSIGHT_VIEWER_OR_OWNER": (True, False),
    "QUICKSIGHT_OWNER": (True, True),
    "DIRECT_QUICKSIGHT_VIEWER_OR_OWNER": (False, False),
    "DIRECT_QUICKSIGHT_OWNER": (False, True),
}
SOLE_OWNER = "DIRECT_QUICKSIGHT_SOLE_OWNER"
def _names(value: str, *types: str) -> bool:
    """Whether ``value`` is a QuickSight ARN of one of ``types``."""
    parsed = arns.parse(value)
    return parsed is not None and parsed.type in types


MEMBER_TYPE_OF = {kind.name: member_type for member_type, kind in a.MEMBER_TYPES.items()}
FOLDERS_PAGE = 20  # ListFoldersForResource's FoldersForResourceArnList holds at most 20


def role(kind: a.AssetType, actions: Iterable[str]) -> str:
    """Owner or viewer, by the one action only owners hold (the table above)."""
    wanted = f"quicksight:update{kind.name.lower()}permissions"
    return OWNER if any(action.lower() == wanted for action in actions) else VIEWER


@dataclass(frozen=True)
class Grant:
    principal: str
    role: str
    direct: bool  # on the asset itself, not inherited from a folder


class Account:
    """What one search reads of the account besides the assets searched: folders, their tree and members."""

    def __init__(self, ctx: RequestContext):
        self.ctx = ctx
        self.folders = {f.key: f for f in ctx.store.all(a.scope(ctx), a.FOLDER.name)}

    def parent(self, folder: Doc) -> Doc | None:
        parsed = a.parse_arn(self.ctx, folder.body.get("ParentFolderArn") or "")
        return self.folders.get(parsed[1]) if parsed and parsed[0] is a.FOLDER else None

    def with_ancestors(self, folders: Iterable[Doc]) -> list[Doc]:
        found: dict[str, Doc] = {}
        for folder in folders:
            while folder is not None and folder.key not in found:  # a cycle stops where it closes
                found[folder.key] = folder
                folder = self.parent(folder)
        return list(found.values())

    def containing(self, kind: a.AssetType, doc: Doc) -> list[Doc]:
        """The folders an asset is in, directly or through their parents (a folder: its ancestors)."""
        if kind is a.FOLDER:
            parent = self.parent(doc)
            return self.with_ancestors([parent] if parent else [])
        member = {"MemberId": doc.key, "MemberType": MEMBER_TYPE_OF.get(kind.name)}
        return self.with_ancestors(f for f in self.folders.values() if member in members_of(f))

    def grants(self, kind: a.AssetType, doc: Doc) -> list[Grant]:
        own = [Grant(p["Principal"], role(kind, p["Actions"]), True) for p in doc.body.get("_permissions") or ()]
        inherited = [Grant(p["Principal"], role(a.FOLDER, p["Actions"]), False)
                     for folder in self.containing(kind, doc) for p in folder.body.get("_permissions") or ()]
        return own + inherited


Match = Callable[[Account, Doc], bool]


@dataclass(frozen=True)
class Search:
    op_name: str
    kind: a.AssetType
    name_filter: str  # DASHBOARD_NAME, ...
    summary: Callable[[RequestContext, Doc], dict[str, Any]]


def _like(value: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.IGNORECASE)


def _match(ctx: RequestContext, search: Search, wanted: dict[str, Any]) -> Match:
    """What one filter asks of an asset, or InvalidParameterValueException for a filter AWS refuses."""
    name, operator, value = wanted.get("Name"), wanted.get("Operator"), wanted.get("Value") or ""
    kind = search.kind
    if not name or operator not in (EQUALS, LIKE):
        raise invalid(f"A filter of {search.op_name} needs a Name and an Operator (StringEquals or StringLike).")
    if name == search.name_filter:
        if operator == LIKE:
            pattern = _like(value)
            return lambda account, doc: bool(pattern.search(doc.body.get("Name") or ""))
        return lambda account, doc: doc.body.get("Name") == value
    if operator != EQUALS:
        raise invalid(f'The "{operator}" operator only supports the NAME value {search.name_filter}; '
                      f"{name} needs StringEquals.")
    if name == PARENT_FOLDER and kind is a.FOLDER:
        if value and not _names(value, "folder"):
            raise invalid(f"{PARENT_FOLDER} needs the ARN of a folder (or an empty Value for root folders), "
                          f"not '{value}'.")
        return lambda account, doc: (doc.body.get("ParentFolderArn") or "") == value
    if name not in OWNERSHIP and name != SOLE_OWNER:
        raise invalid(f"{search.op_name} does not support the filter {name}.")
    if not _names(value, "user", "group"):
        raise invalid(f"{name} needs the ARN of a QuickSight user or group as its Value, not '{value}'.")
    if name == SOLE_OWNER:
        return lambda account, doc: {g.principal for g in account.grants(kind, doc)
                                     if g.direct and g.role == OWNER} == {value}
    implicit, owners_only = OWNERSHIP[name]
    holders = principals.acting_as(ctx, value) if implicit else {value}
    return lambda account, doc: any(g.principal in holders and (implicit or g.direct)
                                    and (g.role == OWNER or not owners_only) for g in account.grants(kind, doc))


def _register(search: Search) -> None:
    @op(search.op_name)
    def run(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        a.check_account(ctx, params)
        matches = [_match(ctx, search, f) for f in params.get("Filters") or ()]  # the model bounds how many
        account = Account(ctx)
        found = [search.summary(ctx, doc) for doc in ctx.store.all(a.scope(ctx), search.kind.name)
                 if all(match(account, doc) for match in matches)]
        chunk, token = a.paged(found, params, [search.op_name, params.get("Filters")])
        return {a.list_member(search.op_name): chunk, "NextToken": token, "RequestId": ctx.request_id,
                "Status": 200}


def _dashboard(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    return {**a.view(ctx, a.DASHBOARD, doc), "PublishedVersionNumber": doc.body.get("_published", 1)}


def _data_set(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    tags = doc.body.get("RowLevelPermissionTagConfiguration") or {}
    return {**a.view(ctx, a.DATA_SET, doc),
            "RowLevelPermissionTagConfigurationApplied": bool(tags) and tags.get("Status") != "DISABLED",
            "ColumnLevelPermissionRulesApplied": bool(doc.body.get("ColumnLevelPermissionRules"))}


def _folder(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    # CreateFolder's documented defaults: "By default, folderType is SHARED"; SharingModel "ACCOUNT"
    return {"FolderType": "SHARED", "SharingModel": "ACCOUNT", **a.view(ctx, a.FOLDER, doc)}


def _plain(kind: a.AssetType) -> Callable[[RequestContext, Doc], dict[str, Any]]:
    return lambda ctx, doc: a.view(ctx, kind, doc)


SEARCHES = (
    Search("SearchDashboards", a.DASHBOARD, "DASHBOARD_NAME", _dashboard),
    Search("SearchAnalyses", a.ANALYSIS, "ANALYSIS_NAME", _plain(a.ANALYSIS)),
    Search("SearchDataSets", a.DATA_SET, "DATASET_NAME", _data_set),
    Search("SearchDataSources", a.DATA_SOURCE, "DATASOURCE_NAME", _plain(a.DATA_SOURCE)),
    Search("SearchFolders", a.FOLDER, "FOLDER_NAME", _folder),
)
for _search in SEARCHES:
    _register(_search)


@op("ListFoldersForResource")
def list_folders_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The folders an asset is a member of (CreateFolderMembership), as ListFolderMembers lists them."""
    a.check_account(ctx, params)
    resource = params["ResourceArn"]
    parsed = a.parse_arn(ctx, resource)
    if parsed is None:
        if resource.startswith("arn:aws:quicksight:"):  # another account's or region's asset is none of ours
            raise not_found(f"{resource} is not found")
        raise invalid(f"{resource} is not the ARN of a QuickSight asset.")
    kind, key = parsed
    if kind.name not in MEMBER_TYPE_OF:
        raise invalid(f"A {kind.name} is never a folder member; folders hold "
                      f"{', '.join(sorted(a.MEMBER_TYPES))}.")
    a.load(ctx, kind, key)
    member = {"MemberId": key, "MemberType": MEMBER_TYPE_OF[kind.name]}
    arns = [a.arn(ctx, a.FOLDER, f.key) for f in ctx.store.all(a.scope(ctx), a.FOLDER.name)
            if member in members_of(f)]
    size = min(params.get("MaxResults") or FOLDERS_PAGE, FOLDERS_PAGE)
    chunk, token = a.paged(arns, {**params, "MaxResults": size}, ["ListFoldersForResource", resource])
    return {"Folders": chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}
