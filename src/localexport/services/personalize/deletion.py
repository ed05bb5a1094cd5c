"""Data deletion jobs: CreateDataDeletionJob, DescribeDataDeletionJob, ListDataDeletionJobs.

The rules followed, from the Personalize developer guide ("Deleting users and their data with a data
deletion job") and the API reference (CreateDataDeletionJob, DataDeletionJob, DataDeletionJobSummary,
ListDataDeletionJobs):

- The input is a CSV file with a single USER_ID column (and its header), or a folder of them: every
  file under it, sub folders too; at most 100 MB in all.  It is read as the job's account.
- A job deletes those users' records from every dataset of its group that holds users' records
  (Item interactions, Users, Action interactions): bulk and individual records alike, those that
  arrived before it; later records of the same users are kept.  Until it completes, nothing changes.
- Solution versions trained before keep what they learned: a new one (and an updated campaign) is
  needed for the deletion to reach recommendations.
- At most 5 jobs with status PENDING per dataset group (LimitExceeded).  Statuses: PENDING >
  IN_PROGRESS > COMPLETED or FAILED, with a failureReason; ``numDeleted`` is the number of records a
  COMPLETED job deleted.  ListDataDeletionJobs: those of a dataset group (or of the account), newest first.

A job is a job of the engine (timing modes, failure injection).  Its runner writes the USER_IDs once
each into a Parquet file of the account's artifacts and commits it, with the time of the deletion, onto
the dataset group's document (``datasets.commit_deletion``); every reader of records leaves them out
from then on (``datasets.records_query``).  Nothing is changed in place and nothing is stored per row.
"""

from __future__ import annotations

from typing import Any

from ...core.artifacts import account_prefix
from ...core.jobs import JobFailed, JobOutcome
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import datasets, jobs, records, tags
from . import resources as r
from .errors import limit
from .handlers import op
from .imports import check_location, fetch
from .records import Segment

KIND = datasets.DELETION
MEMBERS = ("jobName", "datasetGroupArn", "dataSource", "roleArn")
SUMMARY = ("jobName", "datasetGroupArn")
STATUS = {"queued": "PENDING", "running": "IN_PROGRESS", "succeeded": "COMPLETED", "failed": "FAILED",
          "deleting": "FAILED"}
MAX_PENDING = 5  # jobs with status PENDING per dataset group
MAX_INPUT_BYTES = 100 * 1024 * 1024  # of all the input files of one job
op.names_jobs(KIND)(lambda job: JobName(job.spec["arn"]))


@op("CreateDataDeletionJob")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = params["datasetGroupArn"]
    r.load_active(ctx, r.DATASET_GROUP, group)
    check_location(params["dataSource"])
    tags.check(params.get("tags"))
    pending = [j for j in ctx.store.jobs(r.scope(ctx), KIND, states=("queued",)) if j.spec["datasetGroupArn"] == group]
    if len(pending) >= MAX_PENDING:
        raise limit(f"You can have at most {MAX_PENDING} data deletion jobs with status PENDING for a dataset group; "
                    f"{group} has {len(pending)}.")
    spec = {**{m: params.get(m) for m in MEMBERS}, "tags": params.get("tags")}
    return {"dataDeletionJobArn": jobs.submit(ctx, KIND, "data-deletion-job", "dataDeletionJobArn", spec)}


def view(job: Job) -> dict[str, Any]:
    out = jobs.view(job, MEMBERS, STATUS)
    if job.state == "succeeded":
        out["numDeleted"] = job.result["numDeleted"]
    return out


@op("DescribeDataDeletionJob")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"dataDeletionJob": view(jobs.load(ctx, KIND, params["dataDeletionJobArn"]))}


@op("ListDataDeletionJobs")
def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobs.listing(ctx, KIND, params, SUMMARY, parent="datasetGroupArn", status=STATUS)
    return {"dataDeletionJobs": chunk, "nextToken": token}


# -- the runner ------------------------------------------------------------------------------


def users_key(ctx: RequestContext, job: Job) -> str:
    """Where a job's USER_IDs go: the account's artifacts (so a reset of the account removes them)."""
    return f"{account_prefix(ctx.account)}/personalize/{ctx.region}/deletions/{job.id}.parquet"


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = jobs.runner_context(runtime, job)
        group_arn, key = job.spec["datasetGroupArn"], users_key(ctx, job)
        if r.find(ctx, r.DATASET_GROUP, group_arn) is None:
            raise JobFailed(f"Dataset group {group_arn} no longer exists.")
        done = datasets.committed_deletion(ctx, group_arn, key)
        if done is not None:  # committed by an attempt that was interrupted after it: its file is in use
            _sweep(ctx, group_arn, job)
            return JobOutcome({"numDeleted": done["numDeleted"], "users": done["users"]})
        location = job.spec["dataSource"]["dataLocation"]
        with runtime.artifacts.scratch() as scratch, records.connect(scratch) as con:
            users_file = scratch / "users.parquet"
            too_big = f"The data deletion input at {location} is larger than the maximum of 100 MB in all."
            try:
                with fetch(ctx, location, scratch, MAX_INPUT_BYTES, too_big) as files:
                    users = records.read_user_ids(con, files, users_file)
            except records.RecordError as error:
                raise JobFailed(str(error)) from None
            if not users:
                return JobOutcome({"numDeleted": 0, "users": 0})
            # Published before it is committed: until then no reader knows the key (a re-run rewrites it).
            runtime.artifacts.publish(users_file, key)
            ts = datasets.now_ns(ctx)  # records that arrived before now are deleted
            deletion = Segment(runtime.artifacts.path(key), ts)
            deleted = sum(datasets.deleted_count(ctx, dataset, con, scratch, deletion)
                          for dataset in r.children_of(ctx, r.DATASET, group_arn))
        committed = datasets.commit_deletion(ctx, group_arn, {"key": key, "ts": ts, "job": job.id, "users": users,
                                                              "numDeleted": deleted})
        if committed is None:
            runtime.artifacts.delete(key)
            raise JobFailed(f"Dataset group {group_arn} no longer exists.")
        _sweep(ctx, group_arn, job)
        return JobOutcome({"numDeleted": committed["numDeleted"], "users": committed["users"]})

    return run


def _sweep(ctx: RequestContext, group_arn: str, job: Job) -> None:
    for dataset in r.children_of(ctx, r.DATASET, group_arn):  # files a FULL import retired while this read them
        datasets.sweep(ctx, dataset.body["datasetArn"], running=job.id)
