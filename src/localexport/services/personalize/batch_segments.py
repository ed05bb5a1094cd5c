"""Batch segment jobs: CreateBatchSegmentJob, DescribeBatchSegmentJob, ListBatchSegmentJobs.

A solution version of a USER_SEGMENTATION recipe answers them (developer guide, "Preparing input
data for user segments"): ``{"itemId": ...}`` lines for Item-Affinity, ``{"itemAttributes":
"ITEMS.genres = \\"Comedy\\" AND ..."}`` lines for Item-Attribute-Affinity (at most 10 conditions),
each with its ``filterValues`` if the job's filter has parameters.  Output lines are as a real job
writes them (the TravelGenAI sample's batch_segment_output.json): ``{"input": {...}, "output":
{"usersList": [...]}, "error": null}`` (the guide's examples name the list ``recommendedUsers``; the
real output names it ``usersList``).  The users are models.affinity_query's; a filter on the job
keeps or removes users (``INCLUDE|EXCLUDE UserID WHERE ...``).
"""

from __future__ import annotations

from typing import Any

from ...core.jobs import JobOutcome
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import batch, item_attributes, recipes, recommend

JOB = batch.JobType(
    "BatchSegmentJob", "personalize.batch-segment", "batch-segment-job",
    ("jobName", "solutionVersionArn", "filterArn", "numResults", "jobInput", "jobOutput", "roleArn"),
    ("jobName", "solutionVersionArn"), (recipes.USER_SEGMENTATION,),
    5_000_000,  # users per segment (Amazon Personalize quotas)
    batch.USERS)
KIND = JOB.kind
# input lines: "a maximum of 500 items" (Item-Affinity), "a maximum of 10 queries" (Item-Attribute-Affinity)
MAX_ITEMS, MAX_QUERIES = 500, 10


def _checks(ctx: RequestContext, params: dict[str, Any], source: recommend.Source) -> dict[str, Any]:
    return {}


batch.register(JOB, _checks)


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx, source, prepared = batch.begin(runtime, job)
        spec = job.spec
        by_attributes = source.recipe.name == "aws-item-attribute-affinity"
        catalogue = item_attributes.Catalogue(ctx, source.group_arn) if by_attributes else None

        def targets_of(record: dict[str, Any]) -> list[str]:
            if catalogue is not None:
                if not isinstance(record.get("itemAttributes"), str):
                    raise batch.LineError("The input line has no itemAttributes; the Item-Attribute-Affinity "
                                          "recipe needs them.")
                return catalogue.items(record["itemAttributes"])
            return [batch.text_field(record, "itemId", needed=True)]

        def ask(record: dict[str, Any]) -> tuple[list[str], Any]:
            items = targets_of(record)
            found = prepared.prepared(record)
            return items, None if found is None else found.users()

        def solve(targets: list[list[str]], keeps: list[Any]) -> list[list[str]]:
            return recommend.segments(source, targets, spec["numResults"], keeps)

        def answer(records: list[dict[str, Any]]) -> list[dict[str, Any] | str]:
            return batch.answers(records, ask, solve, lambda users: {"usersList": users})

        try:
            return JobOutcome(batch.run(runtime, job, answer, MAX_QUERIES if by_attributes else MAX_ITEMS))
        finally:
            if catalogue is not None:
                catalogue.close()

    return run
