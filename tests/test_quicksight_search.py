"""QuickSight searches through boto3: SearchDashboards, SearchAnalyses, SearchDataSets, SearchDataSources and
SearchFolders by owner, viewer, sole owner, name and parent folder, with users, groups and folders granting
implicitly; their paging and refused filters; ListFoldersForResource following folder memberships."""

from __future__ import annotations

import pytest
from quicksight_helpers import ACCOUNT, arn, build, definition
from test_wire import error_of

OTHER = "210987654321"
NS = {"AwsAccountId": ACCOUNT, "Namespace": "default"}


def actions(*names: str) -> list[str]:
    return [f"quicksight:{n}" for n in names]


# the documented viewer and owner action sets (search.py has the table and its sources)
VIEWER = {
    "dashboard": actions("DescribeDashboard", "ListDashboardVersions", "QueryDashboard"),
    "analysis": actions("DescribeAnalysis", "QueryAnalysis"),
    "dataset": actions("DescribeDataSet", "DescribeDataSetPermissions", "PassDataSet", "DescribeIngestion",
                       "ListIngestions"),
    "datasource": actions("DescribeDataSource", "DescribeDataSourcePermissions", "PassDataSource"),
    "folder": actions("DescribeFolder"),
}
OWNER = {
    "dashboard": VIEWER["dashboard"] + actions("UpdateDashboard", "DeleteDashboard", "UpdateDashboardPublishedVersion",
                                               "DescribeDashboardPermissions", "UpdateDashboardPermissions"),
    "analysis": VIEWER["analysis"] + actions("UpdateAnalysis", "DeleteAnalysis", "RestoreAnalysis",
                                             "DescribeAnalysisPermissions", "UpdateAnalysisPermissions"),
    "dataset": VIEWER["dataset"] + actions("UpdateDataSet", "DeleteDataSet", "CreateIngestion", "CancelIngestion",
                                           "UpdateDataSetPermissions"),
    "datasource": VIEWER["datasource"] + actions("UpdateDataSource", "DeleteDataSource",
                                                 "UpdateDataSourcePermissions"),
    "folder": actions("CreateFolder", "DescribeFolder", "UpdateFolder", "DeleteFolder", "CreateFolderMembership",
                      "DeleteFolderMembership", "DescribeFolderPermissions", "UpdateFolderPermissions"),
}
CONTRIBUTOR = actions("CreateFolder", "DescribeFolder", "CreateFolderMembership", "DeleteFolderMembership",
                      "DescribeFolderPermissions")
# kind -> (search method, result list, id member, name filter)
SEARCHES = {
    "dashboard": ("search_dashboards", "DashboardSummaryList", "DashboardId", "DASHBOARD_NAME"),
    "analysis": ("search_analyses", "AnalysisSummaryList", "AnalysisId", "ANALYSIS_NAME"),
    "dataset": ("search_data_sets", "DataSetSummaries", "DataSetId", "DATASET_NAME"),
    "datasource": ("search_data_sources", "DataSourceSummaries", "DataSourceId", "DATASOURCE_NAME"),
    "folder": ("search_folders", "FolderSummaryList", "FolderId", "FOLDER_NAME"),
}


@pytest.fixture
def qs(make_client):
    return make_client("quicksight")


def user(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:quicksight:us-east-1:{account}:user/default/{name}"


def group(name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:quicksight:us-east-1:{account}:group/default/{name}"


def people(qs, account: str = ACCOUNT) -> None:
    """alice, bob, carol; the group analysts, with alice in it."""
    for name in ("alice", "bob", "carol"):
        qs.register_user(AwsAccountId=account, Namespace="default", IdentityType="QUICKSIGHT", UserName=name,
                         Email=f"{name}@example.com", UserRole="AUTHOR")
    qs.create_group(AwsAccountId=account, Namespace="default", GroupName="analysts")
    qs.create_group_membership(AwsAccountId=account, Namespace="default", GroupName="analysts", MemberName="alice")


def make(qs, kind: str, asset_id: str, name: str, permissions: list[dict] | None = None, account: str = ACCOUNT,
         **extra) -> str:
    """Create one asset of ``kind`` (its data source and data set made on first use); returns its ARN."""
    grants = {"Permissions": permissions} if permissions else {}
    base = {"AwsAccountId": account, "Name": name, **grants, **extra}
    if kind == "folder":
        return qs.create_folder(FolderId=asset_id, **base)["Arn"]
    if kind == "datasource":
        return qs.create_data_source(DataSourceId=asset_id, Type="ATHENA",
                                     DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}}, **base)["Arn"]
    source = arn("datasource", "src", account)
    if kind == "dataset":
        return qs.create_data_set(DataSetId=asset_id, ImportMode="DIRECT_QUERY", PhysicalTableMap={"t1": {
            "RelationalTable": {"DataSourceArn": source, "Schema": "db", "Name": "sales",
                                "InputColumns": [{"Name": "country", "Type": "STRING"}]}}}, **base)["Arn"]
    data_set = arn("dataset", "ds", account)
    for existing, needed in (("datasource", "src"), ("dataset", "ds")):
        try:
            getattr(qs, "describe_data_source" if existing == "datasource" else "describe_data_set")(
                AwsAccountId=account, **{"DataSourceId" if existing == "datasource" else "DataSetId": needed})
        except qs.exceptions.ResourceNotFoundException:
            make(qs, existing, needed, needed, account=account)
    create = qs.create_dashboard if kind == "dashboard" else qs.create_analysis
    id_member = "DashboardId" if kind == "dashboard" else "AnalysisId"
    return create(**{id_member: asset_id}, Definition=definition("sales", data_set), **base)["Arn"]


def search(qs, kind: str, *filters: tuple[str, str, str], account: str = ACCOUNT, **extra) -> set[str]:
    method, listed, id_member, _ = SEARCHES[kind]
    found = getattr(qs, method)(AwsAccountId=account, Filters=[
        {"Name": n, "Operator": o, "Value": v} for n, o, v in filters], **extra)
    return {s[id_member] for s in found[listed]}


def equals(name: str, value: str) -> tuple[str, str, str]:
    return name, "StringEquals", value


def supported(qs, kind: str) -> set[str]:
    """The filter names the op's model accepts."""
    operation = qs.meta.service_model.operation_model(qs.meta.method_to_api_mapping[SEARCHES[kind][0]])
    return set(operation.input_shape.members["Filters"].member.members["Name"].enum)


def grant(principal: str, granted: list[str]) -> dict:
    return {"Principal": principal, "Actions": granted}


# -- ownership filters, over every search ---------------------------------------------------


@pytest.mark.parametrize("kind", list(SEARCHES))
def test_every_ownership_filter_of_every_search(qs, kind):
    people(qs)
    own, view = OWNER[kind], VIEWER[kind]
    make(qs, kind, "solo", "Solo", [grant(user("alice"), own)])
    make(qs, kind, "shared", "Shared", [grant(user("alice"), own), grant(user("bob"), own)])
    make(qs, kind, "viewed", "Viewed", [grant(user("alice"), view), grant(user("bob"), own)])
    make(qs, kind, "by-group", "By group", [grant(group("analysts"), view), grant(user("carol"), own)])
    make(qs, kind, "group-owned", "Group owned", [grant(group("analysts"), own)])
    make(qs, kind, "carols", "Carol's", [grant(user("carol"), own)])
    make(qs, kind, "nobodys", "Nobody's")
    alice, analysts = user("alice"), group("analysts")
    expected = {
        ("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", alice): {"solo", "shared", "viewed"},
        ("DIRECT_QUICKSIGHT_OWNER", alice): {"solo", "shared"},
        ("DIRECT_QUICKSIGHT_SOLE_OWNER", alice): {"solo"},
        ("QUICKSIGHT_VIEWER_OR_OWNER", alice): {"solo", "shared", "viewed", "by-group", "group-owned"},
        ("QUICKSIGHT_USER", alice): {"solo", "shared", "viewed", "by-group", "group-owned"},
        ("QUICKSIGHT_OWNER", alice): {"solo", "shared", "group-owned"},
        ("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", analysts): {"by-group", "group-owned"},
        ("DIRECT_QUICKSIGHT_OWNER", analysts): {"group-owned"},
        ("DIRECT_QUICKSIGHT_SOLE_OWNER", analysts): {"group-owned"},
        ("QUICKSIGHT_OWNER", analysts): {"group-owned"},
        ("DIRECT_QUICKSIGHT_SOLE_OWNER", user("bob")): {"viewed"},  # alice only views it: bob owns it alone
        ("DIRECT_QUICKSIGHT_SOLE_OWNER", user("carol")): {"by-group", "carols"},
        ("QUICKSIGHT_VIEWER_OR_OWNER", user("nobody")): set(),  # no such user: nothing found, no error
    }
    names = supported(qs, kind)
    checked = 0
    for (name, value), ids in expected.items():
        if name in names:
            assert search(qs, kind, equals(name, value)) == ids, (kind, name, value)
            checked += 1
    assert checked >= 6  # data sources take the DIRECT_* filters only


def test_a_dashboard_shared_with_a_group_is_found_for_its_members_not_directly(qs):
    people(qs)
    make(qs, "dashboard", "team", "Team", [grant(group("analysts"), VIEWER["dashboard"])])
    alice, bob = user("alice"), user("bob")
    assert search(qs, "dashboard", equals("QUICKSIGHT_VIEWER_OR_OWNER", alice)) == {"team"}
    assert search(qs, "dashboard", equals("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", alice)) == set()
    assert search(qs, "dashboard", equals("QUICKSIGHT_VIEWER_OR_OWNER", bob)) == set()  # not a member
    qs.create_group_membership(**NS, GroupName="analysts", MemberName="bob")
    assert search(qs, "dashboard", equals("QUICKSIGHT_VIEWER_OR_OWNER", bob)) == {"team"}
    qs.delete_group_membership(**NS, GroupName="analysts", MemberName="alice")
    assert search(qs, "dashboard", equals("QUICKSIGHT_VIEWER_OR_OWNER", alice)) == set()


def test_permissions_granted_to_the_namespace_reach_its_users(qs):
    people(qs)
    everyone = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:namespace/default"
    make(qs, "dashboard", "public", "Public", [grant(everyone, VIEWER["dashboard"])])
    assert search(qs, "dashboard", equals("QUICKSIGHT_VIEWER_OR_OWNER", user("carol"))) == {"public"}
    assert search(qs, "dashboard", equals("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", user("carol"))) == set()


def test_sole_owner_follows_permission_changes(qs):
    people(qs)
    make(qs, "dashboard", "d", "D", [grant(user("alice"), OWNER["dashboard"])])
    sole = equals("DIRECT_QUICKSIGHT_SOLE_OWNER", user("alice"))
    assert search(qs, "dashboard", sole) == {"d"}
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="d",
                                    GrantPermissions=[grant(user("bob"), VIEWER["dashboard"])])
    assert search(qs, "dashboard", sole) == {"d"}  # a viewer more: still the only owner
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="d",
                                    GrantPermissions=[grant(user("bob"), OWNER["dashboard"])])
    assert search(qs, "dashboard", sole) == set()
    assert search(qs, "dashboard", equals("DIRECT_QUICKSIGHT_OWNER", user("bob"))) == {"d"}
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="d",
                                    RevokePermissions=[grant(user("alice"), ["quicksight:UpdateDashboardPermissions"])])
    assert search(qs, "dashboard", equals("DIRECT_QUICKSIGHT_SOLE_OWNER", user("bob"))) == {"d"}
    assert search(qs, "dashboard", equals("DIRECT_QUICKSIGHT_OWNER", user("alice"))) == set()
    assert search(qs, "dashboard", equals("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", user("alice"))) == {"d"}


def test_folders_grant_their_members_and_subfolders_implicitly(qs):
    people(qs)
    make(qs, "folder", "root", "Root", [grant(user("alice"), VIEWER["folder"]), grant(user("bob"), OWNER["folder"])])
    make(qs, "folder", "sub", "Sub", [grant(user("carol"), CONTRIBUTOR)], ParentFolderArn=arn("folder", "root"))
    make(qs, "folder", "leaf", "Leaf", ParentFolderArn=arn("folder", "sub"))
    for kind, asset in (("dashboard", "dash"), ("analysis", "ana"), ("dataset", "set")):
        make(qs, kind, asset, asset.title(), [grant(user("carol"), OWNER[kind])])
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="sub", MemberId="dash", MemberType="DASHBOARD")
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="root", MemberId="ana", MemberType="ANALYSIS")
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="root", MemberId="set", MemberType="DATASET")
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    # through the subfolder's ancestors: alice views, bob owns what is in sub; direct filters ignore folders
    for kind, asset in (("dashboard", "dash"), ("analysis", "ana"), ("dataset", "set")):
        assert search(qs, kind, equals("QUICKSIGHT_VIEWER_OR_OWNER", alice)) == {asset}, kind
        assert search(qs, kind, equals("QUICKSIGHT_OWNER", alice)) == set(), kind
        assert search(qs, kind, equals("QUICKSIGHT_OWNER", bob)) == {asset}, kind
        assert search(qs, kind, equals("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", bob)) == set(), kind
        assert search(qs, kind, equals("DIRECT_QUICKSIGHT_SOLE_OWNER", carol)) == {asset}, kind
    assert search(qs, "folder", equals("QUICKSIGHT_VIEWER_OR_OWNER", alice)) == {"root", "sub", "leaf"}
    assert search(qs, "folder", equals("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", alice)) == {"root"}
    assert search(qs, "folder", equals("QUICKSIGHT_OWNER", bob)) == {"root", "sub", "leaf"}
    assert search(qs, "folder", equals("QUICKSIGHT_OWNER", carol)) == set()  # a contributor is no owner
    assert search(qs, "folder", equals("QUICKSIGHT_VIEWER_OR_OWNER", carol)) == {"sub", "leaf"}
    qs.delete_folder_membership(AwsAccountId=ACCOUNT, FolderId="sub", MemberId="dash", MemberType="DASHBOARD")
    assert search(qs, "dashboard", equals("QUICKSIGHT_VIEWER_OR_OWNER", alice)) == set()


# -- names, parents, combined folder filters ------------------------------------------------------


@pytest.mark.parametrize("kind", list(SEARCHES))
def test_name_searches(qs, kind):
    name_filter = SEARCHES[kind][3]
    make(qs, kind, "one", "Sales dashboard")
    make(qs, kind, "two", "sales archive")
    make(qs, kind, "three", "Marketing")
    like = "StringLike"
    assert search(qs, kind, (name_filter, like, "sales")) == {"one", "two"}  # a substring, any case
    assert search(qs, kind, (name_filter, like, "ARCH")) == {"two"}
    assert search(qs, kind, (name_filter, like, "sales*board")) == {"one"}  # * matches any run
    assert search(qs, kind, (name_filter, like, "nothing like it")) == set()
    assert search(qs, kind, equals(name_filter, "Marketing")) == {"three"}  # StringEquals: the exact name
    assert search(qs, kind, equals(name_filter, "marketing")) == set()
    assert search(qs, kind, equals(name_filter, "Sales")) == set()


def test_folders_by_parent_and_combined_filters(qs):
    people(qs)
    own = [grant(user("alice"), OWNER["folder"])]
    make(qs, "folder", "a", "Alpha", own)
    make(qs, "folder", "b", "Beta")
    make(qs, "folder", "a1", "Alpha one", own, ParentFolderArn=arn("folder", "a"))
    make(qs, "folder", "a2", "Alpha two", ParentFolderArn=arn("folder", "a"))
    make(qs, "folder", "a1x", "Deep", own, ParentFolderArn=arn("folder", "a1"))
    parent = "PARENT_FOLDER_ARN"
    assert search(qs, "folder") == {"a", "b", "a1", "a2", "a1x"}  # no filter: every folder
    assert search(qs, "folder", equals(parent, arn("folder", "a"))) == {"a1", "a2"}  # direct children only
    assert search(qs, "folder", equals(parent, arn("folder", "a1"))) == {"a1x"}
    assert search(qs, "folder", equals(parent, "")) == {"a", "b"}  # empty: the root folders
    assert search(qs, "folder", equals(parent, arn("folder", "b"))) == set()
    assert search(qs, "folder", equals(parent, arn("folder", "missing"))) == set()
    # filters combine with AND
    assert search(qs, "folder", equals(parent, arn("folder", "a")), ("FOLDER_NAME", "StringLike", "two")) == {"a2"}
    assert search(qs, "folder", equals(parent, arn("folder", "a")),
                  equals("DIRECT_QUICKSIGHT_OWNER", user("alice"))) == {"a1"}
    assert search(qs, "folder", equals(parent, ""), ("FOLDER_NAME", "StringLike", "alpha"),
                  equals("DIRECT_QUICKSIGHT_SOLE_OWNER", user("alice"))) == {"a"}
    assert search(qs, "folder", ("FOLDER_NAME", "StringLike", "alpha"),
                  equals("DIRECT_QUICKSIGHT_OWNER", user("bob"))) == set()
    summary = qs.search_folders(AwsAccountId=ACCOUNT, Filters=[
        {"Name": parent, "Operator": "StringEquals", "Value": arn("folder", "a1")}])["FolderSummaryList"][0]
    assert (summary["Arn"], summary["Name"], summary["FolderType"]) == (arn("folder", "a1x"), "Deep", "SHARED")
    assert summary["SharingModel"] == "ACCOUNT" and "CreatedTime" in summary and "LastUpdatedTime" in summary


def test_summaries_carry_what_the_model_lists(qs):
    make(qs, "dashboard", "d", "D")
    qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="d", Name="D v2",
                        Definition=definition("sales", arn("dataset", "ds")))
    qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="d", VersionNumber=2)
    dashboard = qs.search_dashboards(AwsAccountId=ACCOUNT, Filters=[
        {"Name": "DASHBOARD_NAME", "Operator": "StringLike", "Value": "D"}])["DashboardSummaryList"][0]
    assert (dashboard["Arn"], dashboard["Name"], dashboard["PublishedVersionNumber"]) == (
        arn("dashboard", "d"), "D v2", 2)
    assert {"CreatedTime", "LastUpdatedTime", "LastPublishedTime"} <= set(dashboard)
    make(qs, "analysis", "a", "A")
    analysis = qs.search_analyses(AwsAccountId=ACCOUNT, Filters=[
        {"Name": "ANALYSIS_NAME", "Operator": "StringLike", "Value": ""}])["AnalysisSummaryList"]
    assert [(s["AnalysisId"], s["Name"], s["Status"]) for s in analysis] == [("a", "A", "CREATION_SUCCESSFUL")]
    data_set = qs.search_data_sets(AwsAccountId=ACCOUNT, Filters=[
        {"Name": "DATASET_NAME", "Operator": "StringEquals", "Value": "ds"}])["DataSetSummaries"][0]
    assert (data_set["DataSetId"], data_set["ImportMode"], data_set["ColumnLevelPermissionRulesApplied"]) == (
        "ds", "DIRECT_QUERY", False)
    source = qs.search_data_sources(AwsAccountId=ACCOUNT, Filters=[
        {"Name": "DATASOURCE_NAME", "Operator": "StringLike", "Value": "SRC"}])["DataSourceSummaries"][0]
    assert (source["DataSourceId"], source["Type"], source["Arn"]) == ("src", "ATHENA", arn("datasource", "src"))


# -- paging ----------------------------------------------------------------------------------


def test_searches_page_and_the_paginators_follow(qs):
    for i in range(7):
        make(qs, "dashboard", f"r{i}", f"Report {i}")
    make(qs, "dashboard", "other", "Other")
    filters = [{"Name": "DASHBOARD_NAME", "Operator": "StringLike", "Value": "report"}]
    seen, token, pages = [], None, 0
    while True:
        extra = {"NextToken": token} if token else {}
        page = qs.search_dashboards(AwsAccountId=ACCOUNT, Filters=filters, MaxResults=3, **extra)
        assert len(page["DashboardSummaryList"]) <= 3
        seen += [s["DashboardId"] for s in page["DashboardSummaryList"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3 and sorted(seen) == [f"r{i}" for i in range(7)]
    paginated = qs.get_paginator("search_dashboards").paginate(AwsAccountId=ACCOUNT, Filters=filters,
                                                              PaginationConfig={"PageSize": 2})
    assert len(paginated.build_full_result()["DashboardSummaryList"]) == 7
    for i in range(3):
        make(qs, "folder", f"f{i}", f"F{i}")
    folders = qs.get_paginator("search_folders").paginate(AwsAccountId=ACCOUNT, Filters=[],
                                                          PaginationConfig={"PageSize": 1})
    assert [len(p["FolderSummaryList"]) for p in folders] == [1, 1, 1]


def test_a_bad_or_foreign_token_is_refused(qs):
    for i in range(3):
        make(qs, "dashboard", f"r{i}", f"Report {i}")
    filters = [{"Name": "DASHBOARD_NAME", "Operator": "StringLike", "Value": "report"}]
    token = qs.search_dashboards(AwsAccountId=ACCOUNT, Filters=filters, MaxResults=1)["NextToken"]
    code, status, _ = error_of(qs.search_dashboards, AwsAccountId=ACCOUNT, Filters=filters, NextToken="garbage")
    assert (code, status) == ("InvalidNextTokenException", 400)
    other = [{"Name": "DASHBOARD_NAME", "Operator": "StringLike", "Value": "rep"}]
    code, _, _ = error_of(qs.search_dashboards, AwsAccountId=ACCOUNT, Filters=other, NextToken=token)
    assert code == "InvalidNextTokenException"  # a token belongs to the search that made it


# -- refused filters -------------------------------------------------------------------------


def test_wrong_filters_are_refused(qs):
    people(qs)
    like = "StringLike"
    cases = [
        ("search_dashboards", ("DIRECT_QUICKSIGHT_OWNER", like, user("alice")), "InvalidParameterValueException",
         "StringLike"),
        ("search_analyses", ("QUICKSIGHT_VIEWER_OR_OWNER", like, user("alice")), "InvalidParameterValueException",
         "ANALYSIS_NAME"),
        ("search_data_sets", ("QUICKSIGHT_OWNER", like, "alice"), "InvalidParameterValueException", "DATASET_NAME"),
        ("search_data_sources", ("DIRECT_QUICKSIGHT_SOLE_OWNER", like, "a"), "InvalidParameterValueException",
         "DATASOURCE_NAME"),
        ("search_folders", ("PARENT_FOLDER_ARN", like, ""), "InvalidParameterValueException", "FOLDER_NAME"),
        ("search_dashboards", ("QUICKSIGHT_OWNER", "StringEquals", "alice"), "InvalidParameterValueException",
         "user or group"),
        ("search_data_sources", ("DIRECT_QUICKSIGHT_OWNER", "StringEquals",
                                 f"arn:aws:quicksight:us-east-1:{ACCOUNT}:namespace/default"),
         "InvalidParameterValueException", "user or group"),
        ("search_folders", ("PARENT_FOLDER_ARN", "StringEquals", arn("dashboard", "d")),
         "InvalidParameterValueException", "folder"),
        # names outside the op's enum and too many filters break the model: the gateway refuses them
        ("search_dashboards", ("DATASET_NAME", "StringLike", "x"), "ValidationException", "enum value set"),
        ("search_data_sources", ("QUICKSIGHT_OWNER", "StringEquals", user("alice")), "ValidationException",
         "filters.1.member.name"),
        ("search_data_sets", ("QUICKSIGHT_USER", "StringEquals", user("alice")), "ValidationException",
         "enum value set"),
        ("search_analyses", ("PARENT_FOLDER_ARN", "StringEquals", ""), "ValidationException", "enum value set"),
    ]
    for method, (name, operator, value), code, text in cases:
        got, status, message = error_of(getattr(qs, method), AwsAccountId=ACCOUNT,
                                        Filters=[{"Name": name, "Operator": operator, "Value": value}])
        assert (got, status) == (code, 400) and text in message, (method, name, operator, message)
    two = [{"Name": "DASHBOARD_NAME", "Operator": "StringLike", "Value": "x"}] * 2
    got, status, message = error_of(qs.search_dashboards, AwsAccountId=ACCOUNT, Filters=two)
    assert (got, status) == ("ValidationException", 400) and "less than or equal to 1" in message
    got, _, message = error_of(qs.search_dashboards, AwsAccountId=ACCOUNT, Filters=[{"Operator": "StringEquals"}])
    assert got == "InvalidParameterValueException" and "Name" in message
    got, _, message = error_of(qs.search_folders, AwsAccountId=ACCOUNT, Filters=[{"Name": "FOLDER_NAME"}])
    assert got == "InvalidParameterValueException" and "Operator" in message  # the model leaves it optional
    got, _, _ = error_of(qs.search_dashboards, AwsAccountId=OTHER, Filters=[
        {"Name": "DASHBOARD_NAME", "Operator": "StringLike", "Value": "x"}])
    assert got == "AccessDeniedException"  # only the caller's own account


# -- accounts --------------------------------------------------------------------------------


def test_another_accounts_assets_are_never_found(qs, make_client):
    other = make_client("quicksight", account=OTHER)
    people(qs)
    people(other, OTHER)
    for kind in SEARCHES:
        make(other, kind, f"theirs-{kind}", "Shared name", [grant(user("alice", OTHER), OWNER[kind])], OTHER)
        make(qs, kind, f"ours-{kind}", "Shared name", [grant(user("alice"), OWNER[kind])])
    for kind, (_, _, _, name_filter) in SEARCHES.items():
        assert search(qs, kind, (name_filter, "StringLike", "shared")) == {f"ours-{kind}"}
        assert search(other, kind, (name_filter, "StringLike", "shared"), account=OTHER) == {f"theirs-{kind}"}
        assert search(qs, kind, equals("DIRECT_QUICKSIGHT_VIEWER_OR_OWNER", user("alice", OTHER))) == set()
        assert search(qs, kind, equals("DIRECT_QUICKSIGHT_SOLE_OWNER", user("alice"))) == {f"ours-{kind}"}
    code, _, _ = error_of(qs.list_folders_for_resource, AwsAccountId=ACCOUNT,
                          ResourceArn=arn("dashboard", "theirs-dashboard", OTHER))
    assert code == "ResourceNotFoundException"


def test_another_regions_assets_are_not_found(qs, make_client):
    west = make_client("quicksight", region="us-west-2")
    make(west, "folder", "west", "Shared name")
    make(qs, "folder", "east", "Shared name")
    assert search(qs, "folder", ("FOLDER_NAME", "StringLike", "shared")) == {"east"}
    assert search(west, "folder", ("FOLDER_NAME", "StringLike", "shared")) == {"west"}


# -- ListFoldersForResource ------------------------------------------------------------------


def folders_of(qs, resource: str, **extra) -> list[str]:
    return qs.list_folders_for_resource(AwsAccountId=ACCOUNT, ResourceArn=resource, **extra)["Folders"]


def test_list_folders_for_resource_follows_memberships(qs):
    dashboard = make(qs, "dashboard", "d", "D")
    data_set, source = arn("dataset", "ds"), arn("datasource", "src")
    for folder in ("x", "y", "z"):
        make(qs, "folder", folder, folder.upper())
    assert folders_of(qs, dashboard) == []
    for folder in ("x", "y"):
        qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId=folder, MemberId="d", MemberType="DASHBOARD")
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="x", MemberId="d", MemberType="DASHBOARD")  # again
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="z", MemberId="ds", MemberType="DATASET")
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="z", MemberId="src", MemberType="DATASOURCE")
    assert sorted(folders_of(qs, dashboard)) == [arn("folder", "x"), arn("folder", "y")]
    assert folders_of(qs, data_set) == [arn("folder", "z")] == folders_of(qs, source)
    qs.delete_folder_membership(AwsAccountId=ACCOUNT, FolderId="x", MemberId="d", MemberType="DASHBOARD")
    assert folders_of(qs, dashboard) == [arn("folder", "y")]
    # consistent with ListFolderMembers, folder by folder
    for folder in ("x", "y", "z"):
        listed = qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId=folder)["FolderMemberList"]
        for member in listed:
            assert arn("folder", folder) in folders_of(qs, member["MemberArn"])
    qs.delete_folder(AwsAccountId=ACCOUNT, FolderId="y")
    assert folders_of(qs, dashboard) == []


def test_list_folders_for_resource_pages_by_twenty_at_most(qs):
    dashboard = make(qs, "dashboard", "d", "D")
    for i in range(25):
        make(qs, "folder", f"f{i}", f"F{i}")
        qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId=f"f{i}", MemberId="d", MemberType="DASHBOARD")
    first = qs.list_folders_for_resource(AwsAccountId=ACCOUNT, ResourceArn=dashboard, MaxResults=100)
    assert len(first["Folders"]) == 20 and first["NextToken"]  # the output list holds 20 at most
    rest = qs.list_folders_for_resource(AwsAccountId=ACCOUNT, ResourceArn=dashboard, NextToken=first["NextToken"])
    assert len(rest["Folders"]) == 5 and "NextToken" not in rest
    pages = qs.get_paginator("list_folders_for_resource").paginate(AwsAccountId=ACCOUNT, ResourceArn=dashboard,
                                                                   PaginationConfig={"PageSize": 10})
    everything = [f for p in pages for f in p["Folders"]]
    assert sorted(everything) == sorted(arn("folder", f"f{i}") for i in range(25))


def test_list_folders_for_resource_errors(qs):
    make(qs, "folder", "f", "F")
    cases = [
        (arn("dashboard", "missing"), "ResourceNotFoundException", 404),
        (arn("dataset", "missing"), "ResourceNotFoundException", 404),
        ("arn:aws:s3:::bucket", "InvalidParameterValueException", 400),
        (arn("folder", "f"), "InvalidParameterValueException", 400),  # folders nest by parent, not membership
    ]
    for resource, code, status in cases:
        assert error_of(qs.list_folders_for_resource, AwsAccountId=ACCOUNT, ResourceArn=resource)[:2] == (
            code, status), resource


def test_a_deleted_asset_leaves_its_folders(qs):
    build(qs)
    assert qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId="reports")["FolderMemberList"]
    qs.delete_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")
    assert qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId="reports")["FolderMemberList"] == []
