"""A QuickSight asset graph for the tests: VPC connection <- data source <- data set (+ refresh
schedule) <- analysis -> template -> dashboard, a theme, a folder with members."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

ACCOUNT = "123456789012"
REAL_QS = Path("quicksight/aws__Unified-Studio-for-Amazon-Sagemaker/experimental/SMUS-CICD-pipeline-cli/examples/"
               "analytic-workflow/dashboard-glue-quick/quicksight/TotalDeathByCountry.qs")
REAL_CFN = Path("quicksight/lprincewhn__AutoOps/4.CostInsights/cfn.json")
USER = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/analyst"


def arn(kind: str, asset_id: str, account: str = ACCOUNT, region: str = "us-east-1") -> str:
    return f"arn:aws:quicksight:{region}:{account}:{kind}/{asset_id}"


def definition(identifier: str, data_set_arn: str, used: str | None = None) -> dict:
    column = {"DataSetIdentifier": used or identifier, "ColumnName": "country"}
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": identifier, "DataSetArn": data_set_arn}],
        "Sheets": [{"SheetId": "sheet1", "Name": "Overview", "Visuals": [{"TableVisual": {
            "VisualId": "table1", "ChartConfiguration": {"FieldWells": {"TableAggregatedFieldWells": {
                "GroupBy": [{"CategoricalDimensionField": {"FieldId": "f1", "Column": column}}]}}}}}]}],
    }


def register_analyst(qs, account: str = ACCOUNT) -> str:
    """The QuickSight user the graph's permissions name (permissions must name principals that exist)."""
    try:
        qs.register_user(AwsAccountId=account, Namespace="default", IdentityType="QUICKSIGHT", UserName="analyst",
                         Email="analyst@example.com", UserRole="AUTHOR")
    except qs.exceptions.ResourceExistsException:
        pass
    return USER.replace(ACCOUNT, account)


def build(qs, account: str = ACCOUNT, prefix: str = "") -> dict[str, str]:
    """Create the graph; returns the ARNs by name."""
    p = prefix
    register_analyst(qs, account)
    qs.create_vpc_connection(AwsAccountId=account, VPCConnectionId=f"{p}vpc", Name="vpc", SubnetIds=["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"],
                             SecurityGroupIds=["sg-0a1b2c3d4e5f60718"], RoleArn=f"arn:aws:iam::{account}:role/qs-vpc")
    source = qs.create_data_source(
        AwsAccountId=account, DataSourceId=f"{p}sales-src", Name="Sales", Type="ATHENA",
        DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}},
        VpcConnectionProperties={"VpcConnectionArn": arn("vpcConnection", f"{p}vpc", account)},
        Permissions=[{"Principal": USER.replace(ACCOUNT, account), "Actions": ["quicksight:DescribeDataSource"]}],
        Tags=[{"Key": "team", "Value": "bi"}])["Arn"]
    data_set = qs.create_data_set(
        AwsAccountId=account, DataSetId=f"{p}sales", Name="Sales", ImportMode="SPICE",
        PhysicalTableMap={"t1": {"RelationalTable": {"DataSourceArn": source, "Schema": "db", "Name": "sales",
                                                     "InputColumns": [{"Name": "country", "Type": "STRING"}]}}},
        LogicalTableMap={"l1": {"Alias": "sales", "Source": {"PhysicalTableId": "t1"}}})["Arn"]
    qs.create_refresh_schedule(AwsAccountId=account, DataSetId=f"{p}sales", Schedule={
        "ScheduleId": "daily", "RefreshType": "FULL_REFRESH",
        "ScheduleFrequency": {"Interval": "DAILY", "TimeOfTheDay": "04:00", "Timezone": "UTC"}})
    theme = qs.create_theme(AwsAccountId=account, ThemeId=f"{p}dark", Name="Dark", BaseThemeId="MIDNIGHT",
                            Configuration={"UIColorPalette": {"PrimaryBackground": "#101010"}})["Arn"]
    analysis = qs.create_analysis(AwsAccountId=account, AnalysisId=f"{p}sales-analysis", Name="Sales analysis",
                                  ThemeArn=theme, Definition=definition("sales", data_set))["Arn"]
    template = qs.create_template(AwsAccountId=account, TemplateId=f"{p}sales-template", Name="Sales template",
                                  SourceEntity={"SourceAnalysis": {"Arn": analysis, "DataSetReferences": [
                                      {"DataSetPlaceholder": "sales_placeholder", "DataSetArn": data_set}]}})["Arn"]
    dashboard = qs.create_dashboard(AwsAccountId=account, DashboardId=f"{p}sales-dash", Name="Sales dashboard",
                                    ThemeArn=theme, SourceEntity={"SourceTemplate": {"Arn": template,
                                    "DataSetReferences": [{"DataSetPlaceholder": "sales_placeholder",
                                                           "DataSetArn": data_set}]}},
                                    Permissions=[{"Principal": USER.replace(ACCOUNT, account),
                                                  "Actions": ["quicksight:DescribeDashboard"]}])["Arn"]
    folder = qs.create_folder(AwsAccountId=account, FolderId=f"{p}reports", Name="Reports", FolderType="SHARED")["Arn"]
    qs.create_folder_membership(AwsAccountId=account, FolderId=f"{p}reports", MemberId=f"{p}sales-dash",
                                MemberType="DASHBOARD")
    return {"vpc": arn("vpcConnection", f"{p}vpc", account), "source": source, "data_set": data_set,
            "theme": theme, "analysis": analysis, "template": template, "dashboard": dashboard, "folder": folder}


def wait_job(describe, **ids) -> dict:
    deadline = time.monotonic() + 60
    while True:
        job = describe(**ids)
        if job["JobStatus"] not in ("QUEUED_FOR_IMMEDIATE_EXECUTION", "IN_PROGRESS", "FAILED_ROLLBACK_IN_PROGRESS"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def export(qs, job_id: str, arns: list[str], fmt: str = "QUICKSIGHT_JSON", account: str = ACCOUNT, **flags) -> dict:
    qs.start_asset_bundle_export_job(AwsAccountId=account, AssetBundleExportJobId=job_id, ResourceArns=arns,
                                     ExportFormat=fmt, **flags)
    return wait_job(qs.describe_asset_bundle_export_job, AwsAccountId=account, AssetBundleExportJobId=job_id)


def import_bundle(qs, job_id: str, body: bytes, account: str = ACCOUNT, **options) -> dict:
    qs.start_asset_bundle_import_job(AwsAccountId=account, AssetBundleImportJobId=job_id,
                                     AssetBundleImportSource={"Body": body}, **options)
    return wait_job(qs.describe_asset_bundle_import_job, AwsAccountId=account, AssetBundleImportJobId=job_id)


def members(data: bytes) -> dict[str, dict]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def cfn_lint_errors(template: bytes) -> list[str]:
    """cfn-lint's errors (E rules; W and I rules are advice) on a template."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(template.decode(), config=ManualArgs(regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches if m.rule.id.startswith("E")]
