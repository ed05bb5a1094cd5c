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
