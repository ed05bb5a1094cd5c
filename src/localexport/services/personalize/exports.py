"""Dataset export jobs: the records an ingestion mode selects -> CSV files in an S3 path."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ...core.jobs import JobFailed, JobOutcome
from ...core.objects import ObjectError, S3Url
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import datasets, jobs, records, schemas
from . import resources as r
from .errors import invalid
from .handlers import op

KIND = datasets.EXPORT
MEMBERS = ("jobName", "datasetArn", "ingestionMode", "roleArn", "jobOutput")
SUMMARY = ("jobName",)


@op("CreateDatasetExportJob")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    dataset = r.load_active(ctx, r.DATASET, params["datasetArn"])
    kind = schemas.dataset_type(dataset.body["datasetType"])
    if not kind.exportable:
        raise invalid(f"{kind.name} datasets cannot be exported.")
    spec = {**{m: params.get(m) for m in MEMBERS}, "ingestionMode": params.get("ingestionMode") or "PUT",
            "tags": params.get("tags")}
    return {"datasetExportJobArn": jobs.submit(ctx, KIND, "dataset-export-job", "datasetExportJobArn", spec)}


@op("DescribeDatasetExportJob")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"datasetExportJob": jobs.view(jobs.load(ctx, KIND, params["datasetExportJobArn"]), MEMBERS)}


@op("ListDatasetExportJobs")
def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobs.listing(ctx, KIND, params, SUMMARY)
    return {"datasetExportJobs": chunk, "nextToken": token}


def output_prefix(path: str, job_name: str) -> S3Url:
    """Each job writes in its own folder under the path: ``{path}/{jobName}/``."""
    url = S3Url.parse(path)
    folder = url.key if not url.key or url.key.endswith("/") else url.key + "/"
    return S3Url(url.bucket, f"{folder}{job_name}/")


@op.names_jobs(KIND)
def _name(job: Job) -> JobName:
    """Its ARN, and the folder its CSV files go to: its result is in the account's S3, not an archive."""
    target = output_prefix(job.spec["jobOutput"]["s3DataDestination"]["path"], job.spec["jobName"])
    return JobName(job.spec["arn"], str(target))


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = jobs.runner_context(runtime, job)
        spec = job.spec
        dataset = r.find(ctx, r.DATASET, spec["datasetArn"])
        if dataset is None:
            raise JobFailed(f"Dataset {spec['datasetArn']} no longer exists.")
        destination = spec["jobOutput"]["s3DataDestination"]
        target = output_prefix(destination["path"], spec["jobName"])
        try:
            runtime.objects.check_bucket(ctx.account, target.bucket)
        except ObjectError as error:
            raise JobFailed(_s3_reason(destination["path"], error)) from None
        part_rows = runtime.options.get("export_part_rows", 1_000_000)
        with runtime.artifacts.scratch() as scratch, records.connect(scratch) as con:
            out = scratch / "out"
            out.mkdir()
            whole = datasets.whole_segment(ctx, dataset, spec["ingestionMode"])
            if whole is not None:  # copied part by part straight from it
                parts = records.segment_parts(con, whole, datasets.fields_of(ctx, dataset), out, part_rows)
            else:
                query, _ = datasets.records_query(ctx, dataset, con, scratch, spec["ingestionMode"])
                parts = records.csv_parts(con, query, out, part_rows)

            def upload(part: Path) -> str:
                key = target.key + part.name
                runtime.objects.upload(ctx.account, target.bucket, key, part, destination.get("kmsKeyArn"))
                part.unlink()
                return key

            # each part goes to S3 while DuckDB writes the next one
            with ThreadPoolExecutor(1, thread_name_prefix="localexport-upload") as uploader:
                sent = [uploader.submit(upload, part) for part in parts]
                try:
                    keys = [future.result() for future in sent]
                except ObjectError as error:
                    raise JobFailed(_s3_reason(destination["path"], error)) from None
        datasets.sweep(ctx, spec["datasetArn"], running=job.id)
        return JobOutcome({"files": [f"s3://{target.bucket}/{k}" for k in keys]})

    return run


def _s3_reason(path: str, error: ObjectError) -> str:
    if error.code == "NoSuchBucket":
        return f"Failed to write to {path}: the S3 bucket does not exist."
    if error.code in ("AccessDenied", "403"):
        return (f"Failed to write to {path}: Access Denied. Check that the role and the bucket policy allow "
                "Amazon Personalize s3:PutObject and s3:ListBucket.")
    return f"Failed to write to {path}: {error.code}: {error.message}"
