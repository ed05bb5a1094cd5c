"""QuickSight through boto3: assets, asset bundle exports (both formats) and imports."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from postgres import on_both_backends
from quicksight_helpers import (
    ACCOUNT,
    REAL_CFN,
    REAL_QS,
    USER,
    arn,
    build,
    cfn_lint_errors,
    definition,
    export,
    import_bundle,
    members,
    register_analyst,
)
from test_wire import error_of

OTHER = "210987654321"


@pytest.fixture
def qs(make_client):
    return make_client("quicksight")


@pytest.fixture
def graph(qs):
    return build(qs)


def download(wire, job: dict) -> bytes:
    response = wire.get(job["DownloadUrl"])
    assert response.status_code == 200
    return response.content


FULL_FLAGS = {"IncludeAllDependencies": True, "IncludePermissions": True, "IncludeTags": True,
              "IncludeFolderMemberships": True}


def test_assets_describe_update_permissions_tags_and_errors(qs, graph):
    dashboard = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Dashboard"]
    assert dashboard["Version"]["SourceEntityArn"] == graph["template"]
    assert dashboard["Version"]["DataSetArns"] == [graph["data_set"]]
    declared = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Definition"]
    assert declared["DataSetIdentifierDeclarations"] == [{"Identifier": "sales_placeholder",
                                                          "DataSetArn": graph["data_set"]}]
    analysis = qs.describe_analysis_definition(AwsAccountId=ACCOUNT, AnalysisId="sales-analysis")
    assert analysis["Definition"] == definition("sales", graph["data_set"]) and analysis["Status"] == 200
    qs.update_data_source(AwsAccountId=ACCOUNT, DataSourceId="sales-src", Name="Sales v2",
                          DataSourceParameters={"AthenaParameters": {"WorkGroup": "etl"}})
    source = qs.describe_data_source(AwsAccountId=ACCOUNT, DataSourceId="sales-src")["DataSource"]
    assert (source["Name"], source["DataSourceParameters"]) == ("Sales v2", {"AthenaParameters": {"WorkGroup": "etl"}})
    qs.update_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales-dash",
                                    GrantPermissions=[{"Principal": USER, "Actions": ["quicksight:QueryDashboard"]}])
    permissions = qs.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Permissions"]
    assert permissions == [{"Principal": USER, "Actions": ["quicksight:DescribeDashboard", "quicksight:QueryDashboard"]}]
    qs.tag_resource(ResourceArn=graph["dashboard"], Tags=[{"Key": "env", "Value": "dev"}])
    assert qs.list_tags_for_resource(ResourceArn=graph["dashboard"])["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert [m["MemberArn"] for m in qs.list_folder_members(AwsAccountId=ACCOUNT, FolderId="reports")[
        "FolderMemberList"]] == [graph["dashboard"]]
    assert [s["ScheduleId"] for s in qs.list_refresh_schedules(AwsAccountId=ACCOUNT, DataSetId="sales")[
        "RefreshSchedules"]] == ["daily"]
    cases = [
        (qs.create_theme, {"AwsAccountId": ACCOUNT, "ThemeId": "dark", "Name": "x", "BaseThemeId": "MIDNIGHT",
                           "Configuration": {}}, "ResourceExistsException", 409),
        (qs.describe_dashboard, {"AwsAccountId": ACCOUNT, "DashboardId": "nope"}, "ResourceNotFoundException", 404),
        (qs.describe_dashboard, {"AwsAccountId": OTHER, "DashboardId": "sales-dash"}, "AccessDeniedException", 401),
        (qs.create_analysis, {"AwsAccountId": ACCOUNT, "AnalysisId": "a2", "Name": "x"},
         "InvalidParameterValueException", 400),
        (qs.describe_dashboard, {"AwsAccountId": "12345678901a", "DashboardId": "sales-dash"},
         "ValidationException", 400),  # a constraint of the model: QuickSight's ValidationException
        (qs.list_dashboards, {"AwsAccountId": ACCOUNT, "NextToken": "bogus"}, "InvalidNextTokenException", 400),
    ]
    for call, params, code, status in cases:
        got, got_status, _ = error_of(call, **params)
        assert (got, got_status) == (code, status), (call, got)


@on_both_backends
def test_quicksight_json_bundle_has_the_real_layout(qs, graph, wire, fixtures_dir):
    job = export(qs, "full", [graph["dashboard"], graph["folder"]], **FULL_FLAGS, IncludeFolderMembers="ONE_LEVEL")
    assert job["JobStatus"] == "SUCCESSFUL" and job["Status"] == 200
    assert job["DownloadUrl"].split("?")[0].endswith("/assetbundle-full.qs")
    assert (job["IncludeAllDependencies"], job["IncludeTags"], job["IncludeFolderMembers"]) == (True, True, "ONE_LEVEL")
    assert job["ResourceArns"] == [graph["dashboard"], graph["folder"]] and job["Warnings"] == []
    bundle = members(download(wire, job))
    assert set(bundle) == {"vpcConnection/vpc.json", "datasource/sales-src.json", "dataset/sales.json",
                           "refreshSchedule/sales/daily.json", "theme/dark.json", "dashboard/sales-dash.json",
                           "folder/reports.json"}
    with zipfile.ZipFile(fixtures_dir / REAL_QS) as real:
        real_dashboard = json.loads(real.read(next(n for n in real.namelist() if n.startswith("dashboard/"))))
        real_source = json.loads(real.read(next(n for n in real.namelist() if n.startswith("datasource/"))))
    ours = bundle["dashboard/sales-dash.json"]
    assert list(ours)[:3] == list(real_dashboard)[:3] == ["resourceType", "dashboardId", "name"]
    assert set(ours["definition"]) >= {"dataSetIdentifierDeclarations", "sheets"}
    assert ours["definition"]["dataSetIdentifierDeclarations"][0]["dataSetArn"] == graph["data_set"]
    assert set(real_source) - {"sslProperties"} <= set(bundle["datasource/sales-src.json"]) | {"type"}
    assert ours["permissions"] == [{"principal": USER, "actions": ["quicksight:DescribeDashboard"]}]
    assert ours["folderMemberships"] == [graph["folder"]]
    assert bundle["datasource/sales-src.json"]["tags"] == [{"key": "team", "value": "bi"}]
    assert "credentials" not in bundle["datasource/sales-src.json"]
    alone = members(download(wire, export(qs, "alone", [graph["dashboard"]])))
    assert list(alone) == ["dashboard/sales-dash.json"] and "permissions" not in alone["dashboard/sales-dash.json"]


def test_cloudformation_export_has_the_real_shape_and_passes_cfn_lint(qs, graph, wire, fixtures_dir):
    overrides = {
        "ResourceIdOverrideConfiguration": {"PrefixForAllResources": True},
        "DataSources": [{"Arn": graph["source"], "Properties": ["Name", "WorkGroup"]}],
        "Dashboards": [{"Arn": graph["dashboard"], "Properties": ["Name"]}],
        "VPCConnections": [{"Arn": graph["vpc"], "Properties": ["Name", "RoleArn"]}],
    }
    job = export(qs, "cfn", [graph["dashboard"], graph["analysis"]], "CLOUDFORMATION_JSON", **FULL_FLAGS,
                 CloudFormationOverridePropertyConfiguration=overrides)
    assert job["JobStatus"] == "SUCCESSFUL"
    assert job["CloudFormationOverridePropertyConfiguration"] == overrides
    assert job["DownloadUrl"].split("?")[0].endswith("/assetbundle-cfn.json")
    template_bytes = download(wire, job)
    assert cfn_lint_errors(template_bytes) == []
    template = json.loads(template_bytes)
    real = json.loads((fixtures_dir / REAL_CFN).read_text())
    assert list(template) == list(real)
    assert re.fullmatch(r"Generated by AWS QuickSight for cfn started at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
                        template["Description"])
    assert template["Parameters"]["ResourceIdPrefixForAllResources"] == real["Parameters"][
        "ResourceIdPrefixForAllResources"]
    assert {"DataSourcesalessrcName", "DataSourcesalessrcWorkGroup", "DashboardsalesdashName",
            "VPCConnectionvpcName", "VPCConnectionvpcRoleArn"} <= set(template["Parameters"])
    by_type = {}
    for logical, resource in template["Resources"].items():
        assert re.fullmatch(r"[A-Za-z0-9]{1,20}[0-9A-F]{6}", logical)
        by_type.setdefault(resource["Type"], []).append(resource)
    assert set(by_type) == {"AWS::QuickSight::VPCConnection", "AWS::QuickSight::DataSource",
                            "AWS::QuickSight::DataSet", "AWS::QuickSight::RefreshSchedule", "AWS::QuickSight::Theme",
                            "AWS::QuickSight::Analysis", "AWS::QuickSight::Dashboard", "AWS::QuickSight::Folder"}
    dashboard = by_type["AWS::QuickSight::Dashboard"][0]["Properties"]
    assert [list(f) for f in dashboard["FolderArns"]] == [["Fn::GetAtt"]]  # IncludeFolderMemberships
    assert dashboard["AwsAccountId"] == {"Fn::Sub": "${AWS::AccountId}"}
    assert dashboard["DashboardId"] == {"Fn::Sub": "${ResourceIdPrefixForAllResources}sales-dash"}
    assert dashboard["Name"] == {"Ref": "DashboardsalesdashName"}
    assert list(dashboard["Definition"]["DataSetIdentifierDeclarations"][0]["DataSetArn"]) == ["Fn::GetAtt"]
    assert by_type["AWS::QuickSight::RefreshSchedule"][0]["DependsOn"]
    # the real bundle, imported and exported as a template, lints clean too
    real_qs = (fixtures_dir / REAL_QS).read_bytes()
    assert import_bundle(qs, "real", real_qs)["JobStatus"] == "SUCCESSFUL"
    dashboards = [d["Arn"] for d in qs.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"]
                  if d["DashboardId"] != "sales-dash"]
    again = export(qs, "real-cfn", dashboards, "CLOUDFORMATION_JSON", IncludeAllDependencies=True)
    assert cfn_lint_errors(download(wire, again)) == []


def test_export_failures_warnings_limits_and_retention(qs, graph, local, wire):
    missing = arn("analysis", "gone")
    failed = export(qs, "missing", [graph["dashboard"], missing])
    assert failed["JobStatus"] == "FAILED" and "DownloadUrl" not in failed
    assert failed["Errors"] == [{"Arn": missing, "Type": "com.amazonaws.services.quicksight.model."
                                 "ResourceNotFoundException", "Message": f"Analysis {missing} is not found"}]
    qs.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="odd", Name="Odd",
                       Definition=definition("sales", graph["data_set"], used="undeclared"))
    lenient = export(qs, "lenient", [arn("analysis", "odd")])
    assert lenient["JobStatus"] == "SUCCESSFUL" and "undeclared" in lenient["Warnings"][0]["Message"]
    strict = export(qs, "strict", [arn("analysis", "odd")], ValidationStrategy={"StrictModeForAllResources": True})
    assert strict["JobStatus"] == "FAILED" and "undeclared" in strict["Errors"][0]["Message"]
    code, status, _ = error_of(qs.start_asset_bundle_export_job, AwsAccountId=ACCOUNT, AssetBundleExportJobId="t",
                               ResourceArns=[graph["template"]], ExportFormat="QUICKSIGHT_JSON")
    assert (code, status) == ("InvalidParameterValueException", 400)
    local.controls.set_timing("manual", None)
    for i in range(5):
        qs.start_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId=f"q{i}",
                                         ResourceArns=[graph["theme"]], ExportFormat="QUICKSIGHT_JSON")
    queued = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="q0")
    assert queued["JobStatus"] == "QUEUED_FOR_IMMEDIATE_EXECUTION"
    code, status, _ = error_of(qs.start_asset_bundle_export_job, AwsAccountId=ACCOUNT, AssetBundleExportJobId="q0",
                               ResourceArns=[graph["theme"]], ExportFormat="QUICKSIGHT_JSON")
    assert (code, status) == ("ConflictException", 409)
    code, status, _ = error_of(qs.start_asset_bundle_export_job, AwsAccountId=ACCOUNT, AssetBundleExportJobId="q5",
                               ResourceArns=[graph["theme"]], ExportFormat="QUICKSIGHT_JSON")
    assert (code, status) == ("LimitExceededException", 409)
    for job in local.controls.jobs("quicksight"):
        local.controls.advance(job["id"])
    first = qs.list_asset_bundle_export_jobs(AwsAccountId=ACCOUNT, MaxResults=3)
    listed = first["AssetBundleExportJobSummaryList"] + qs.list_asset_bundle_export_jobs(
        AwsAccountId=ACCOUNT, NextToken=first["NextToken"])["AssetBundleExportJobSummaryList"]
    assert [j["AssetBundleExportJobId"] for j in listed][:2] == ["q4", "q3"] and len(listed) == 8
    done = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="q0")
    local.controls.advance_clock(1)
    again = qs.describe_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId="q0")
    assert done["DownloadUrl"] != again["DownloadUrl"]  # a fresh URL on every call
    local.controls.advance_clock(301)
    assert wire.get(again["DownloadUrl"]).status_code == 403  # valid 5 minutes
    local.controls.advance_clock(14 * 24 * 3600)
    assert error_of(qs.describe_asset_bundle_export_job, AwsAccountId=ACCOUNT,
                    AssetBundleExportJobId="q0")[0] == "ResourceNotFoundException"


def _normalized(bundle: dict[str, dict], *accounts: str) -> dict[str, dict]:
    text = json.dumps(bundle, sort_keys=True)
    for account in accounts:
        text = text.replace(account, "ACCOUNT")
    return json.loads(text)


@on_both_backends
def test_export_import_into_another_account_and_export_again_is_stable(qs, graph, make_client, wire):
    original = members(download(wire, export(qs, "move", [graph["dashboard"]], **FULL_FLAGS)))
    other = make_client("quicksight", account=OTHER)
    body = download(wire, export(qs, "move2", [graph["dashboard"]], **FULL_FLAGS))
    failed = import_bundle(other, "early", body, account=OTHER)  # the user the permissions name is not there yet
    assert failed["JobStatus"] == "FAILED"
    assert {e["Message"] for e in failed["Errors"]} >= {
        "One or more principals in resource permissions list are not valid QuickSight users"}
    other_user = register_analyst(other, OTHER)  # the same user name in the other account
    job = import_bundle(other, "in", body, account=OTHER)
    assert job["JobStatus"] == "SUCCESSFUL" and job["Errors"] == [] and job["FailureAction"] == "DO_NOTHING"
    assert job["AssetBundleImportSource"]["Body"].startswith("http")
    assert wire.get(job["AssetBundleImportSource"]["Body"]).content == body
    assert other.describe_dashboard_permissions(AwsAccountId=OTHER, DashboardId="sales-dash")["Permissions"] == [
        {"Principal": other_user, "Actions": ["quicksight:DescribeDashboard"]}]  # that account's user
    exported = members(download(wire, export(other, "back", [arn("dashboard", "sales-dash", OTHER)], account=OTHER,
                                             **FULL_FLAGS)))
    assert "folder/reports.json" in exported  # the folder came along as a dependency, with the membership
    assert _normalized(exported, OTHER, ACCOUNT) == _normalized(original, ACCOUNT)


def test_real_bundle_imports_with_overrides(qs, fixtures_dir):
    register_analyst(qs)  # the principal OverridePermissions names
    body = (fixtures_dir / REAL_QS).read_bytes()
    job = import_bundle(qs, "real", body, OverrideParameters={
        "ResourceIdOverrideConfiguration": {"PrefixForAllResources": "prod-"},
        "Dashboards": [{"DashboardId": "prod-e0772d4e-bd69-444e-a421-cb3f165dbad8", "Name": "Deaths (prod)"}]},
        OverridePermissions={"Dashboards": [{"DashboardIds": ["*"], "Permissions": {
            "Principals": [USER], "Actions": ["quicksight:DescribeDashboard"]}}]},
        OverrideTags={"DataSets": [{"DataSetIds": ["*"], "Tags": [{"Key": "stage", "Value": "prod"}]}]})
    assert job["JobStatus"] == "SUCCESSFUL", job["Errors"]
    dashboard = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="prod-e0772d4e-bd69-444e-a421-cb3f165dbad8")
    assert dashboard["Dashboard"]["Name"] == "Deaths (prod)"
    assert dashboard["Dashboard"]["Version"]["DataSetArns"] == [arn("dataset", "prod-2b4bd673-99f3-4d18-a475-ac37d56af357")]
    data_sets = qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"]
    assert [d["DataSetId"] for d in data_sets] == ["prod-2b4bd673-99f3-4d18-a475-ac37d56af357"]
    assert qs.list_tags_for_resource(ResourceArn=data_sets[0]["Arn"])["Tags"] == [{"Key": "stage", "Value": "prod"}]
    assert qs.describe_dashboard_permissions(AwsAccountId=ACCOUNT, DashboardId=dashboard["Dashboard"]["DashboardId"])[
        "Permissions"] == [{"Principal": USER, "Actions": ["quicksight:DescribeDashboard"]}]


def _postgres_bundle() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("datasource/pg.json", json.dumps({"resourceType": "datasource", "dataSourceId": "pg",
                         "name": "pg", "type": "POSTGRESQL", "dataSourceParameters": {"postgreSqlParameters": {
                             "host": "db.example.com", "port": 5432, "database": "sales"}}}))
        archive.writestr("dataset/pg-sales.json", json.dumps({"resourceType": "dataset", "dataSetId": "pg-sales",
                         "name": "pg sales", "importMode": "DIRECT_QUERY", "physicalTableMap": {"t": {"relationalTable": {
                             "dataSourceArn": f"arn:aws:quicksight:eu-west-1:{OTHER}:datasource/pg", "name": "sales",
                             "inputColumns": [{"name": "id", "type": "INTEGER"}]}}}}))
        archive.writestr("dashboard/needs-missing.json", json.dumps({
            "resourceType": "dashboard", "dashboardId": "needs-missing", "name": "x", "definition": {
                "dataSetIdentifierDeclarations": [{"identifier": "m", "dataSetArn":
                                                   f"arn:aws:quicksight:eu-west-1:{OTHER}:dataset/absent"}]}}))
    return out.getvalue()


def test_import_failure_actions(qs):
    credentials = {"DataSources": [{"DataSourceId": "pg", "Credentials": {"CredentialPair": {
        "Username": "reader", "Password": "s3cret"}}}]}
    kept = import_bundle(qs, "keep", _postgres_bundle(), OverrideParameters=credentials)
    assert kept["JobStatus"] == "FAILED"
    assert [e["Arn"] for e in kept["Errors"]] == [arn("dashboard", "needs-missing")]
    assert "s3cret" not in json.dumps(kept["OverrideParameters"], default=str)
    assert [d["DataSetId"] for d in qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"]] == ["pg-sales"]
    qs.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="pg-sales")
    qs.delete_data_source(AwsAccountId=ACCOUNT, DataSourceId="pg")
    rolled = import_bundle(qs, "roll", _postgres_bundle(), FailureAction="ROLLBACK")  # no credentials either
    assert rolled["JobStatus"] == "FAILED_ROLLBACK_COMPLETED" and rolled["RollbackErrors"] == []
    assert {e["Type"].rsplit(".", 1)[1] for e in rolled["Errors"]} == {"InvalidParameterValueException",
                                                                         "ResourceNotFoundException"}
    assert qs.list_data_sources(AwsAccountId=ACCOUNT)["DataSources"] == []
    assert qs.list_data_sets(AwsAccountId=ACCOUNT)["DataSetSummaries"] == []


@pytest.mark.parametrize(("body", "message"), [
    (b"not a zip", "cannot be read"),
    (None, "cannot be read"),  # an entry escaping the folder
    (b"PK\x05\x06" + b"\x00" * 18, "no assets"),
])
def test_hostile_or_empty_bundles_fail_the_job(qs, body, message):
    if body is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("../../evil/dashboard.json", "{}")
        body = out.getvalue()
    job = import_bundle(qs, "bad", body)
    assert job["JobStatus"] == "FAILED" and message in job["Errors"][0]["Message"]
    assert qs.list_dashboards(AwsAccountId=ACCOUNT)["DashboardSummaryList"] == []


def test_import_from_s3_and_source_errors(qs, graph, make_client, wire):
    s3 = make_client("s3")
    s3.create_bucket(Bucket="qs-bundles")
    s3.put_object(Bucket="qs-bundles", Key="b.qs", Body=download(wire, export(qs, "s3", [graph["theme"]])))
    qs.delete_theme(AwsAccountId=ACCOUNT, ThemeId="dark")
    qs.start_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="from-s3",
                                     AssetBundleImportSource={"S3Uri": "s3://qs-bundles/b.qs"})
    job = qs.describe_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="from-s3")
    assert job["JobStatus"] == "SUCCESSFUL" and job["AssetBundleImportSource"] == {"S3Uri": "s3://qs-bundles/b.qs"}
    assert qs.describe_theme(AwsAccountId=ACCOUNT, ThemeId="dark")["Theme"]["Name"] == "Dark"
    qs.start_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="missing",
                                     AssetBundleImportSource={"S3Uri": "s3://qs-bundles/none.qs"})
    job = qs.describe_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId="missing")
    assert job["JobStatus"] == "FAILED" and "NoSuchKey" in job["Errors"][0]["Message"]
    code, status, _ = error_of(qs.start_asset_bundle_import_job, AwsAccountId=ACCOUNT, AssetBundleImportJobId="x",
                               AssetBundleImportSource={"S3Uri": "s3://qs-bundles/b.qs", "Body": b"x"})
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert len(qs.list_asset_bundle_import_jobs(AwsAccountId=ACCOUNT)["AssetBundleImportJobSummaryList"]) == 2


def test_request_id_in_the_body_is_the_one_in_the_header(qs, graph):
    answer = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")
    assert answer["RequestId"] == answer["ResponseMetadata"]["RequestId"]
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="absent")
    assert err.value.response["RequestId"] == err.value.response["ResponseMetadata"]["RequestId"]


def test_unsupported_sources_and_import_validation_strategy(qs, graph, wire):
    qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="crm", Name="CRM", Type="SALESFORCE")
    failed = export(qs, "crm", [arn("datasource", "crm")])
    assert failed["JobStatus"] == "FAILED"
    assert failed["Errors"][0]["Type"].endswith("InvalidParameterValueException")
    assert "SALESFORCE" in failed["Errors"][0]["Message"]
    qs.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="odd", Name="Odd",
                       Definition=definition("sales", graph["data_set"], used="undeclared"))
    body = download(wire, export(qs, "odd", [arn("analysis", "odd")]))
    qs.delete_analysis(AwsAccountId=ACCOUNT, AnalysisId="odd")
    lenient = import_bundle(qs, "lenient", body)
    assert lenient["JobStatus"] == "SUCCESSFUL" and "undeclared" in lenient["Warnings"][0]["Message"]
    strict = import_bundle(qs, "strict", body, OverrideValidationStrategy={"StrictModeForAllResources": True},
                           OverrideParameters={"ResourceIdOverrideConfiguration": {"PrefixForAllResources": "s-"}})
    assert strict["JobStatus"] == "FAILED" and "undeclared" in strict["Errors"][0]["Message"]
    assert error_of(qs.describe_analysis, AwsAccountId=ACCOUNT, AnalysisId="s-odd")[0] == "ResourceNotFoundException"


def test_folder_members_one_level_or_recursive(qs, graph, wire):
    qs.create_folder(AwsAccountId=ACCOUNT, FolderId="archive", Name="Archive", ParentFolderArn=graph["folder"])
    qs.create_folder_membership(AwsAccountId=ACCOUNT, FolderId="archive", MemberId="sales-analysis",
                                MemberType="ANALYSIS")
    one = members(download(wire, export(qs, "one", [graph["folder"]], IncludeFolderMembers="ONE_LEVEL")))
    assert set(one) == {"folder/reports.json", "dashboard/sales-dash.json"}
    deep = members(download(wire, export(qs, "deep", [graph["folder"]], IncludeFolderMembers="RECURSE")))
    assert set(deep) == {"folder/reports.json", "dashboard/sales-dash.json", "folder/archive.json",
                         "analysis/sales-analysis.json"}
    # a sub-folder's parent is a dependency
    parent = members(download(wire, export(qs, "parent", [arn("folder", "archive")], IncludeAllDependencies=True)))
    assert set(parent) == {"folder/reports.json", "folder/archive.json"}


def test_dashboard_versions_and_publishing(qs, graph, wire):
    renamed = definition("sales", graph["data_set"])
    renamed["Sheets"][0]["Name"] = "Renamed"
    updated = qs.update_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash", Name="Sales v2", Definition=renamed)
    assert updated["VersionArn"].endswith("/version/2")
    published = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Dashboard"]
    assert (published["Name"], published["Version"]["VersionNumber"]) == ("Sales dashboard", 1)
    latest = qs.describe_dashboard_definition(AwsAccountId=ACCOUNT, DashboardId="sales-dash", VersionNumber=2)
    assert latest["Definition"]["Sheets"][0]["Name"] == "Renamed"
    assert qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash", AliasName="$LATEST")[
        "Dashboard"]["Name"] == "Sales v2"
    before = members(download(wire, export(qs, "v1", [graph["dashboard"]])))["dashboard/sales-dash.json"]
    assert before["name"] == "Sales dashboard"  # bundles carry the published version
    qs.update_dashboard_published_version(AwsAccountId=ACCOUNT, DashboardId="sales-dash", VersionNumber=2)
    now = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Dashboard"]
    assert (now["Name"], now["Version"]["VersionNumber"], now["Version"]["Sheets"][0]["Name"]) == ("Sales v2", 2,
                                                                                                  "Renamed")
    listed = qs.list_dashboard_versions(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["DashboardVersionSummaryList"]
    assert [v["VersionNumber"] for v in listed] == [1, 2] and listed[0]["SourceEntityArn"] == graph["template"]
    assert error_of(qs.update_dashboard_published_version, AwsAccountId=ACCOUNT, DashboardId="sales-dash",
                    VersionNumber=9)[:2] == ("ResourceNotFoundException", 404)
    after = members(download(wire, export(qs, "v2", [graph["dashboard"]])))["dashboard/sales-dash.json"]
    assert after["name"] == "Sales v2"
    # importing over an existing dashboard publishes a new version
    assert import_bundle(qs, "back", download(wire, export(qs, "v1-again", [graph["dashboard"]])))[
        "JobStatus"] == "SUCCESSFUL"
    assert qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="sales-dash")["Dashboard"]["Version"][
        "VersionNumber"] == 3


def test_dashboards_from_a_template_of_another_region_or_account(qs, graph, make_client):
    """AWS takes a SourceTemplate of any account and region: another region of this account as it is; another
    account's if the template grants this one DescribeTemplate, else the dashboard is created and fails (its
    version CREATION_FAILED, ACCESS_DENIED), as AWS reports it."""
    def references(account: str) -> list[dict]:
        return [{"DataSetPlaceholder": "sales_placeholder", "DataSetArn": arn("dataset", "sales", account)}]

    europe = make_client("quicksight", region="eu-west-1")
    created = europe.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="eu", Name="EU", SourceEntity={
        "SourceTemplate": {"Arn": graph["template"], "DataSetReferences": references(ACCOUNT)}})
    assert created["CreationStatus"] == "CREATION_SUCCESSFUL"
    version = europe.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId="eu")["Dashboard"]["Version"]
    assert (version["Status"], version["SourceEntityArn"]) == ("CREATION_SUCCESSFUL", graph["template"])
    analysis = europe.create_analysis(AwsAccountId=ACCOUNT, AnalysisId="eu-a", Name="EU", SourceEntity={
        "SourceTemplate": {"Arn": graph["template"], "DataSetReferences": references(ACCOUNT)}})
    assert analysis["CreationStatus"] == "CREATION_SUCCESSFUL"
    assert europe.describe_analysis(AwsAccountId=ACCOUNT, AnalysisId="eu-a")["Analysis"]["Status"] == \
        "CREATION_SUCCESSFUL"
    other = make_client("quicksight", account=OTHER)
    source = {"SourceTemplate": {"Arn": f"{graph['template']}/version/1", "DataSetReferences": references(OTHER)}}
    denied = other.create_dashboard(AwsAccountId=OTHER, DashboardId="d", Name="d", SourceEntity=source)
    assert denied["CreationStatus"] == "CREATION_FAILED"
    version = other.describe_dashboard(AwsAccountId=OTHER, DashboardId="d")["Dashboard"]["Version"]
    assert version["Status"] == "CREATION_FAILED"
    assert version["Errors"] == [{"Type": "ACCESS_DENIED", "Message": "You do not have permissions to access the source"}]
    qs.update_template_permissions(AwsAccountId=ACCOUNT, TemplateId="sales-template", GrantPermissions=[
        {"Principal": f"arn:aws:iam::{OTHER}:root", "Actions": ["quicksight:DescribeTemplate"]}])
    granted = other.create_dashboard(AwsAccountId=OTHER, DashboardId="d2", Name="d2", SourceEntity=source)
    assert granted["CreationStatus"] == "CREATION_SUCCESSFUL"
    dashboard = other.describe_dashboard(AwsAccountId=OTHER, DashboardId="d2")["Dashboard"]
    assert dashboard["Version"]["DataSetArns"] == [arn("dataset", "sales", OTHER)]
    missing = dict(source, SourceTemplate={**source["SourceTemplate"], "Arn": arn("template", "nope", OTHER,
                                                                                  "ap-south-1")})
    other.create_dashboard(AwsAccountId=OTHER, DashboardId="d3", Name="d3", SourceEntity=missing)
    errors = other.describe_dashboard(AwsAccountId=OTHER, DashboardId="d3")["Dashboard"]["Version"]["Errors"]
    assert errors[0]["Type"] == "SOURCE_NOT_FOUND"
