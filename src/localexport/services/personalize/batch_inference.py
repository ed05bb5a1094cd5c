"""Batch inference jobs: CreateBatchInferenceJob, DescribeBatchInferenceJob, ListBatchInferenceJobs.

Input lines by recipe type (developer guide, "Batch inference job input and output JSON examples"):
``{"userId": ...}`` for USER_PERSONALIZATION recipes and Popularity-Count, ``{"itemId": ...}`` for
RELATED_ITEMS, ``{"userId": ..., "itemList": [...]}`` for PERSONALIZED_RANKING; each may carry its
``filterValues``.  Output: ``{"recommendedItems": [...], "scores": [...]}``, scores only where the
recipe has them (none for Popularity-Count, SIMS, Similar-Items: "Batch inference job output
examples").  Trending-Now gives no batch recommendations, as in AWS; THEME_GENERATION (themes written
by a generative model) is not offered here.  The answers are the runtime's (recommend.py), computed
for a chunk of lines at once.
"""

from __future__ import annotations

from typing import Any

from ...aws.errors import AWSError
from ...core.jobs import JobFailed, JobOutcome
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import Job
from . import batch, jobs, recipes, recommend, tags
from .errors import invalid
from .handlers import op

KIND = "personalize.batch-inference"
MEMBERS = ("jobName", "solutionVersionArn", "filterArn", "numResults", "jobInput", "jobOutput", "roleArn",
           "batchInferenceJobConfig", "batchInferenceJobMode")
SUMMARY = ("jobName", "solutionVersionArn", "batchInferenceJobMode")
MAX_RESULTS = 500
MAX_LIST = 500  # itemList of a PERSONALIZED_RANKING line, as GetPersonalizedRanking's inputList
TYPES = (recipes.USER_PERSONALIZATION, recipes.RELATED_ITEMS, recipes.PERSONALIZED_RANKING)


@op.names_jobs(KIND)
def _name(job: Job) -> JobName:
    return JobName(job.spec["arn"], str(batch.output_prefix(job.spec["jobOutput"]["s3DataDestination"]["path"])))


@op("CreateBatchInferenceJob")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    mode = params.get("batchInferenceJobMode") or "BATCH_INFERENCE"
    if mode == "THEME_GENERATION" or params.get("themeGenerationConfig"):
        raise invalid("batchInferenceJobMode THEME_GENERATION (themes from Content Generator) is not offered by "
                      "this implementation; use BATCH_INFERENCE.")
    source = batch.source_of(ctx, params, TYPES, "batch inference job", MAX_RESULTS)
    tags.check(params.get("tags"))
    config = params.get("batchInferenceJobConfig")
    if (config or {}).get("itemExplorationConfig") and source.recipe.name != "aws-user-personalization":
        raise invalid("itemExplorationConfig is only for the User-Personalization recipe.")
    spec = {**{m: params.get(m) for m in MEMBERS}, "numResults": params.get("numResults", batch.DEFAULT_RESULTS),
            "batchInferenceJobMode": mode, "tags": params.get("tags")}
    return {"batchInferenceJobArn": jobs.submit(ctx, KIND, "batch-inference-job", "batchInferenceJobArn", spec)}


@op("DescribeBatchInferenceJob")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"batchInferenceJob": batch.view(jobs.load(ctx, KIND, params["batchInferenceJobArn"]), MEMBERS)}


@op("ListBatchInferenceJobs")
def list_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = batch.listing(ctx, KIND, params, SUMMARY)
    return {"batchInferenceJobs": chunk, "nextToken": token}


def _query(source: recommend.Source, record: dict[str, Any]) -> str | None:
    """Why the line cannot be answered by this model, if it cannot."""
    if source.model == "similar":
        needs = ("itemId",)
    elif source.model == "ranking":
        needs = ("userId", "itemList")
    else:
        needs = ("userId",)
    for name in needs:
        if name not in record:
            return f"The input line has no {name}; the {source.recipe.name} recipe needs it."
    for name in ("userId", "itemId"):
        if name in needs and (not isinstance(record[name], str) or not record[name]):
            return f"{name} must be a non-empty string."
    if "itemList" in needs:
        listed = record["itemList"]
        if not isinstance(listed, list) or not listed or not all(isinstance(i, str) and i for i in listed):
            return "itemList must be a list of item ids."
        if len(listed) > MAX_LIST:
            return f"itemList holds at most {MAX_LIST} items."
    return None


def _output(source: recommend.Source, scored: recommend.Scored) -> dict[str, Any]:
    out: dict[str, Any] = {"recommendedItems": [item for item, _ in scored]}
    if source.scored:
        out["scores"] = [score for _, score in scored]
    return out


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = jobs.runner_context(runtime, job)
        spec = job.spec
        try:
            source = recommend.of_version(ctx, spec["solutionVersionArn"])
        except AWSError as error:
            raise JobFailed(error.message) from None
        prepared = batch.Filters(ctx, spec.get("filterArn"), source.group_arn)

        def answer(records: list[dict[str, Any]]) -> list[dict[str, Any] | str]:
            results: list[dict[str, Any] | str] = []
            asked, keeps, where = [], [], []
            for record in records:
                problem = _query(source, record)
                if problem is None:
                    try:
                        found = prepared.prepared(record)
                    except AWSError as error:
                        problem = error.message
                if problem is not None:
                    results.append(problem)
                    continue
                where.append(len(results))
                results.append("")
                asked.append(record)
                keeps.append(None if found is None else found.items(user_id=record.get("userId"),
                                                                    item_id=record.get("itemId")))
            if asked:
                for at, scored in zip(where, recommend.many(source, asked, spec["numResults"], keeps)):
                    results[at] = _output(source, scored)
            return results

        return JobOutcome(batch.run(runtime, job, answer))

    return run
