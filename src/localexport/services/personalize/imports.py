"""Dataset import jobs: CSV files in S3 -> a validated Parquet segment of the dataset.  (``check_location``
and ``fetch``, reading a job's CSV input from S3, serve data deletion jobs too.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from ...core.jobs import JobFailed, JobOutcome
from ...core.objects import ByteBudget, ObjectError, ObjectStore, S3Url
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import datasets, jobs, records
from . import resources as r
from .errors import invalid, limit
from .handlers import op

KIND = "personalize.dataset-import"
MEMBERS = ("jobName", "datasetArn", "dataSource", "roleArn", "importMode", "publishAttributionMetricsToS3")
SUMMARY = ("jobName", "importMode")
op.names_jobs(KIND)(lambda job: JobName(job.spec["arn"]))
MAX_ACTIVE = 5  # pending or in-progress import jobs per region


@op("CreateDatasetImportJob")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    dataset = r.load_active(ctx, r.DATASET, params["datasetArn"])
    check_location(params["dataSource"])
    mode = params.get("importMode") or "FULL"
    pending_full = any(j.spec.get("importMode") == "FULL" for j in jobs.active(ctx, KIND, params["datasetArn"]))
    if mode == "INCREMENTAL" and not dataset.body["_bulk"] and not pending_full:
        raise invalid("The dataset has no bulk records yet: the first import must use importMode FULL.")
    if len(jobs.active(ctx, KIND)) >= MAX_ACTIVE:
        raise limit(f"You can have at most {MAX_ACTIVE} dataset import jobs pending or in progress in this region.")
    spec = {**{m: params.get(m) for m in MEMBERS}, "importMode": mode,
            "publishAttributionMetricsToS3": params.get("publishAttributionMetricsToS3", False),
            "tags": params.get("tags")}
    return {"datasetImportJobArn": jobs.submit(ctx, KIND, "dataset-import-job", "datasetImportJobArn", spec)}


@op("DescribeDatasetImportJob")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"datasetImportJob": jobs.view(jobs.load(ctx, KIND, params["datasetImportJobArn"]), MEMBERS)}


@op("ListDatasetImportJobs")
def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobs.listing(ctx, KIND, params, SUMMARY)
    return {"datasetImportJobs": chunk, "nextToken": token}


def check_location(source: dict[str, Any]) -> S3Url:
    """The S3 location of a ``dataSource`` (InvalidInput when it names none)."""
    location = source.get("dataLocation")
    if not location:
        raise invalid("dataSource.dataLocation is required.")
    return check_path(location)


def check_path(location: str) -> S3Url:
    """An S3 path a job reads or writes (InvalidInput when it names no bucket)."""
    try:
        url = S3Url.parse(location)
    except ValueError:
        url = None
    if url is None or not url.bucket:
        raise invalid(f"Invalid S3 location: {location}.")
    return url


@contextmanager
def fetch(ctx: RequestContext, location: str, scratch: Path, max_bytes: int | None = None,
          too_big: str = "", prefix: bool = False, skip: S3Url | None = None) -> Iterator[list[tuple[str, Path]]]:
    """The CSV file, or every file under the folder, that ``location`` names, read as the job's account: (its
    s3:// name, a local path of its bytes) each, readable while the block runs (where the S3 holds a file in
    this host, that file; else a copy in ``scratch``).  Past ``max_bytes`` in all, the job fails with
    ``too_big`` (a download stops there).  With ``prefix`` (batch jobs: "Amazon S3 is prefix based"), a
    location that names no object is the prefix of every file it starts; files under ``skip`` (the job's
    output folder) are not input."""
    url = S3Url.parse(location)
    objects = ctx.runtime.objects
    budget = ByteBudget(max_bytes, JobFailed(too_big))
    with ExitStack() as held:
        try:
            files = [(f"s3://{url.bucket}/{key}", _local(objects, held, ctx.account, url.bucket, key,
                                                         scratch / f"input-{i:05d}.csv", budget))
                     for i, key in enumerate(_keys(objects, ctx.account, url, location, prefix, skip))]
        except ObjectError as error:
            raise JobFailed(f"Failed to read {location}: {error.code}: {error.message}") from None
        yield files


def _keys(objects: ObjectStore, account: str, url: S3Url, location: str, prefix: bool,
          skip: S3Url | None) -> list[str]:
    if url.key and not url.key.endswith("/") and not prefix:
        return [url.key]
    keys = [k for k in objects.list(account, url.bucket, url.key) if not k.endswith("/")]
    if url.key in keys:  # a location naming one object is that file
        keys = [url.key]
    if skip is not None and skip.bucket == url.bucket:
        keys = [k for k in keys if not k.startswith(skip.key)]
    if not keys:
        raise JobFailed(f"No data files were found at {location}.")
    return keys


def _local(objects: ObjectStore, held: ExitStack, account: str, bucket: str, key: str, copy: Path,
           budget: ByteBudget) -> Path:
    """A path of the object's bytes: the file the store holds them in, or ``copy``, downloaded."""
    found = held.enter_context(objects.held_file(account, bucket, key))
    if found is not None:
        path, size = found
        budget.spend(size)
        return path
    with open(copy, "wb") as out:
        objects.download(account, bucket, key, budget.capped(out))
    return copy


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = jobs.runner_context(runtime, job)
        dataset = r.find(ctx, r.DATASET, job.spec["datasetArn"])
        if dataset is None:
            raise JobFailed(f"Dataset {job.spec['datasetArn']} no longer exists.")
        fields = datasets.fields_of(ctx, dataset)
        with runtime.artifacts.scratch() as scratch:
            out = scratch / "segment.parquet"
            try:
                with fetch(ctx, job.spec["dataSource"]["dataLocation"], scratch) as files, \
                        records.connect(scratch) as con:
                    rows = records.import_csv(con, files, fields, out)
            except records.RecordError as error:
                raise JobFailed(str(error)) from None
            key = f"{dataset.body['_storage']}/bulk/{job.id}.parquet"
            runtime.artifacts.publish(out, key)
        datasets.commit_bulk(ctx, job.spec["datasetArn"], {"key": key, "ts": datasets.now_ns(ctx), "rows": rows},
                             full=job.spec["importMode"] == "FULL")
        datasets.sweep(ctx, job.spec["datasetArn"])
        return JobOutcome({"rows": rows})

    return run
