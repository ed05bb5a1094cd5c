"""QuickSight against a real ``localexport serve`` process on loopback."""

from __future__ import annotations

import json

import requests
from conftest import client
from quicksight_helpers import ACCOUNT, arn, build, cfn_lint_errors, members, wait_job

OTHER = "210987654321"


def test_bundle_round_trip_between_accounts_on_a_real_server(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.3")  # realistic mode, the serve default
    qs, target = client("quicksight", server.url), client("quicksight", server.url, account=OTHER)
    graph = build(qs)
    started = qs.start_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="ci", ExportFormat=
                                               "QUICKSIGHT_JSON", ResourceArns=[graph["dashboard"]],
                                               IncludeAllDependencies=True)
    assert started["Status"] == 202 and started["Arn"].endswith(":asset-bundle-export-job/ci")
    queued = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="ci")
    assert queued["JobStatus"] == "QUEUED_FOR_IMMEDIATE_EXECUTION" and "DownloadUrl" not in queued
    done = wait_job(qs.describe_asset_bundle_export_job, AwsAccountId=ACCOUNT, AssetBundleExportJobId="ci")
    assert done["JobStatus"] == "SUCCESSFUL" and done["DownloadUrl"].startswith(server.url)
    bundle = requests.get(done["DownloadUrl"], timeout=10).content
    assert "dashboard/sales-dash.json" in members(bundle)
    target.start_asset_bundle_import_job(AwsAccountId=OTHER, AssetBundleImportJobId="ci-in",
                                         AssetBundleImportSource={"Body": bundle})
    imported = wait_job(target.describe_asset_bundle_import_job, AwsAccountId=OTHER, AssetBundleImportJobId="ci-in")
    assert imported["JobStatus"] == "SUCCESSFUL", imported["Errors"]
    data_sets = target.describe_dashboard(AwsAccountId=OTHER, DashboardId="sales-dash")["Dashboard"]["Version"][
        "DataSetArns"]
    assert data_sets == [arn("dataset", "sales", OTHER)]
    target.start_asset_bundle_export_job(AwsAccountId=OTHER, AssetBundleExportJobId="cfn", ExportFormat=
                                         "CLOUDFORMATION_JSON", ResourceArns=[arn("dashboard", "sales-dash", OTHER)],
                                         IncludeAllDependencies=True)
    template = wait_job(target.describe_asset_bundle_export_job, AwsAccountId=OTHER, AssetBundleExportJobId="cfn")
    response = requests.get(template["DownloadUrl"], timeout=10)
    assert response.headers["content-type"].startswith("application/json")
    assert cfn_lint_errors(response.content) == []
    assert len(json.loads(response.content)["Resources"]) == 6


def test_a_queued_export_survives_a_killed_server(server_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="manual")
    qs = client("quicksight", server.url)
    theme = qs.create_theme(AwsAccountId=ACCOUNT, ThemeId="t", Name="T", BaseThemeId="MIDNIGHT",
                            Configuration={})["Arn"]
    qs.start_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="kept", ResourceArns=[theme],
                                     ExportFormat="QUICKSIGHT_JSON")
    server.kill()
    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="realistic", LOCALEXPORT_JOB_DELAY="0.1")
    qs = client("quicksight", server.url)
    done = wait_job(qs.describe_asset_bundle_export_job, AwsAccountId=ACCOUNT, AssetBundleExportJobId="kept")
    assert done["JobStatus"] == "SUCCESSFUL"
    assert list(members(requests.get(done["DownloadUrl"], timeout=10).content)) == ["theme/t.json"]


def _people(qs, account: str) -> dict[str, str]:
    """The users and group a team has in every account (named alike in dev and prod)."""
    ns = {"AwsAccountId": account, "Namespace": "default"}
    owner = qs.register_user(**ns, IdentityType="IAM", IamArn=f"arn:aws:iam::{account}:role/bi-admins",
                             SessionName="ops", Email="ops@example.com", UserRole="ADMIN")["User"]["Arn"]
    qs.register_user(**ns, IdentityType="QUICKSIGHT", UserName="viewer", Email="viewer@example.com",
                     UserRole="READER")
    group = qs.create_group(**ns, GroupName="bi-readers")["Group"]["Arn"]
    qs.create_group_membership(**ns, GroupName="bi-readers", MemberName="viewer")
    return {"owner": owner, "group": group}


def test_a_backup_tool_start_up_export_and_restore_into_another_account(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    source, target = client("quicksight", server.url), client("quicksight", server.url, account=OTHER)
    people = _people(source, ACCOUNT)
    graph = build(source)
    owner_actions = ["quicksight:DescribeDashboard", "quicksight:QueryDashboard", "quicksight:UpdateDashboard",
                     "quicksight:DeleteDashboard", "quicksight:UpdateDashboardPermissions",
                     "quicksight:DescribeDashboardPermissions", "quicksight:UpdateDashboardPublishedVersion",
                     "quicksight:ListDashboardVersions"]
    source.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales-dash", GrantPermissions=[
        {"Principal": people["owner"], "Actions": owner_actions},
        {"Principal": people["group"], "Actions": ["quicksight:DescribeDashboard", "quicksight:QueryDashboard"]}])

    # the tool's start-up checks
    settings = source.describe_account_settings(AwsAccountId=ACCOUNT)["AccountSettings"]
    assert settings["Edition"] == "ENTERPRISE"
    subscription = source.describe_account_subscription(AwsAccountId=ACCOUNT)["AccountInfo"]
    assert subscription["AccountSubscriptionStatus"] == "ACCOUNT_CREATED"
    users = [u["UserName"] for p in source.get_paginator("list_users").paginate(
        AwsAccountId=ACCOUNT, Namespace="default") for u in p["UserList"]]
    assert sorted(users) == ["analyst", "bi-admins/ops", "viewer"]
    groups = source.list_groups(AwsAccountId=ACCOUNT, Namespace="default")["GroupList"]
    memberships = source.list_group_memberships(AwsAccountId=ACCOUNT, Namespace="default", GroupName="bi-readers")
    assert [g["GroupName"] for g in groups] == ["bi-readers"]
    assert [m["MemberName"] for m in memberships["GroupMemberList"]] == ["viewer"]

    # every dashboard, with its dependencies and permissions
    dashboards = [d["Arn"] for p in source.get_paginator("list_dashboards").paginate(AwsAccountId=ACCOUNT)
                  for d in p["DashboardSummaryList"]]
    assert dashboards == [graph["dashboard"]]
    bundles = {}
    for number, dashboard in enumerate(dashboards):
        job_id = f"backup-{number}"
        source.start_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId=job_id,
                                             ResourceArns=[dashboard], ExportFormat="QUICKSIGHT_JSON",
                                             IncludeAllDependencies=True, IncludePermissions=True)
        done = wait_job(source.describe_asset_bundle_export_job, AwsAccountId=ACCOUNT, AssetBundleExportJobId=job_id)
        assert done["JobStatus"] == "SUCCESSFUL", done.get("Errors")
        bundles[job_id] = requests.get(done["DownloadUrl"], timeout=10).content
    exported = members(bundles["backup-0"])["dashboard/sales-dash.json"]
    assert {p["principal"] for p in exported["permissions"]} >= {people["owner"], people["group"]}

    # the restore, into an account where the same users and groups exist
    _people(target, OTHER)
    target.register_user(AwsAccountId=OTHER, Namespace="default", IdentityType="QUICKSIGHT", UserName="analyst",
                         Email="analyst@example.com", UserRole="AUTHOR")
    for job_id, bundle in bundles.items():
        target.start_asset_bundle_import_job(AwsAccountId=OTHER, AssetBundleImportJobId=job_id,
                                             AssetBundleImportSource={"Body": bundle}, FailureAction="ROLLBACK")
        restored = wait_job(target.describe_asset_bundle_import_job, AwsAccountId=OTHER, AssetBundleImportJobId=job_id)
        assert restored["JobStatus"] == "SUCCESSFUL", restored["Errors"]
    permissions = target.describe_dashboard_permissions(AwsAccountId=OTHER, DashboardId="sales-dash")["Permissions"]
    assert {p["Principal"] for p in permissions} == {people["owner"].replace(ACCOUNT, OTHER),
                                                     people["group"].replace(ACCOUNT, OTHER),
                                                     f"arn:aws:quicksight:us-east-1:{OTHER}:user/default/analyst"}
