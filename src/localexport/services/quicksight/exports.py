"""Asset bundle export jobs: StartAssetBundleExportJob, DescribeAssetBundleExportJob,
ListAssetBundleExportJobs."""

from __future__ import annotations

import re
from typing import Any

from ...core.jobs import JobOutcome
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import assets as a
from . import bundle, cfn, checks, jobs
from .assets import op
from .errors import invalid

KIND = "quicksight.asset-bundle-export"
LABEL = "Asset bundle export job"
URL_SECONDS = 300
op.names_jobs(KIND)(lambda job: JobName(job.spec["AssetBundleExportJobId"]))
EXPORTABLE = {"analysis", "dashboard", "dataset", "datasource", "theme", "vpcConnection", "folder"}
DEFAULTS = {"IncludeAllDependencies": False, "IncludePermissions": False, "IncludeTags": False,
            "IncludeFolderMemberships": False, "IncludeFolderMembers": "NONE"}
_ARN = re.compile(r"^arn:[\w-]+:quicksight:[\w-]+:\d{12}:([A-Za-z-]+)/([\w-]+)(/refresh-schedule/[\w-]+)?$")


def _check_arns(arns: list[str]) -> None:
    for value in arns:
        match = _ARN.match(value)
        supported = match and (match.group(1) in EXPORTABLE and not match.group(3)
                               or match.group(1) == "dataset" and match.group(3))
        if not supported:
            raise invalid(f"{value} is not the ARN of an asset an asset bundle can export (analyses, dashboards, "
                          "data sets, data sources, refresh schedules, themes, VPC connections, folders).")


@op("StartAssetBundleExportJob")
def start(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    _check_arns(params["ResourceArns"])
    if params["ExportFormat"] == "QUICKSIGHT_JSON" and params.get("CloudFormationOverridePropertyConfiguration"):
        raise invalid("CloudFormationOverridePropertyConfiguration applies to the CLOUDFORMATION_JSON format only.")
    spec = {**DEFAULTS, **{k: v for k, v in params.items() if k != "AwsAccountId"}}
    jobs.submit(ctx, KIND, params["AssetBundleExportJobId"], spec, LABEL)
    return {"Arn": _arn(ctx, params["AssetBundleExportJobId"]), "AssetBundleExportJobId":
            params["AssetBundleExportJobId"], "RequestId": ctx.request_id, "Status": 202}


def _arn(ctx: RequestContext, job_id: str) -> str:
    return f"arn:aws:quicksight:{ctx.region}:{ctx.account}:asset-bundle-export-job/{job_id}"


def _summary(ctx: RequestContext, job: Job) -> dict[str, Any]:
    return {**job.spec, "JobStatus": jobs.status(job), "Arn": _arn(ctx, job.spec["AssetBundleExportJobId"]),
            "CreatedTime": job.created_at}


@op("DescribeAssetBundleExportJob")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    a.check_account(ctx, params)
    job = jobs.load(ctx, KIND, params["AssetBundleExportJobId"], LABEL)
    out = {**_summary(ctx, job), "AwsAccountId": ctx.account, "RequestId": ctx.request_id, "Status": 200}
    status = out["JobStatus"]
    if status == "SUCCESSFUL" and job.artifact:
        out["DownloadUrl"] = ctx.runtime.urls.sign(ctx.base_url, job.artifact, URL_SECONDS)  # fresh on every call
    if status == "FAILED":
        out["Errors"] = jobs.errors(job)
    if not (job.spec.get("ValidationStrategy") or {}).get("StrictModeForAllResources"):
        out["Warnings"] = (job.result or {}).get("warnings") or []
    return out


@op("ListAssetBundleExportJobs")
def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobs.listing(ctx, KIND, params, _summary)
    return {"AssetBundleExportJobSummaryList": chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = jobs.runner_context(runtime, job)
        spec = job.spec
        chosen = bundle.select(ctx, spec)
        errors = [jobs.error_record(value, "ResourceNotFoundException", f"{kind} {value} is not found")
                  for value, kind in chosen.missing]
        for kind, doc in chosen.ordered():
            reason = checks.unsupported(kind, doc.body)
            if reason:
                errors.append(jobs.error_record(a.arn_of(ctx, kind, doc.key), "InvalidParameterValueException",
                                                reason))
        found = [{"Arn": a.arn_of(ctx, kind, doc.key), "Message": message} for kind, doc in chosen.ordered()
                 for message in checks.anomalies(kind, doc.key, doc.body)]
        strict = (spec.get("ValidationStrategy") or {}).get("StrictModeForAllResources", False)
        if strict:
            errors += [jobs.error_record(w["Arn"], "InvalidParameterValueException", w["Message"]) for w in found]
        if errors:
            return JobOutcome({"status": "FAILED", "errors": jobs.bounded(errors)})
        job_id = spec["AssetBundleExportJobId"]
        if spec["ExportFormat"] == "CLOUDFORMATION_JSON":
            name, data = f"assetbundle-{job_id}.json", cfn.write_template(ctx, chosen, spec, job_id, job.created_at)
        else:
            name, data = f"assetbundle-{job_id}.qs", bundle.write_qs(ctx, chosen, spec)
        key = f"quicksight/{job.id}/{name}"
        with runtime.artifacts.writer(key) as out:
            out.write(data)
        return JobOutcome({"warnings": [] if strict else jobs.bounded(found)}, artifact=key)

    return run
