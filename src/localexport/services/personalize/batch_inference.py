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

from ...core.jobs import JobOutcome
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from . import batch, recipes, recommend
from .errors import invalid

JOB = batch.JobType(
    "BatchInferenceJob", "personalize.batch-inference", "batch-inference-job",
    ("jobName", "solutionVersionArn", "filterArn", "numResults", "jobInput", "jobOutput", "roleArn",
     "batchInferenceJobConfig", "batchInferenceJobMode"),
    ("jobName", "solutionVersionArn", "batchInferenceJobMode"),
    (recipes.USER_PERSONALIZATION, recipes.RELATED_ITEMS, recipes.PERSONALIZED_RANKING), 500, batch.ITEMS)
KIND = JOB.kind
MAX_LIST = 500  # itemList of a PERSONALIZED_RANKING line, as GetPersonalizedRanking's inputList


def _checks(ctx: RequestContext, params: dict[str, Any], source: recommend.Source) -> dict[str, Any]:
    mode = params.get("batchInferenceJobMode") or "BATCH_INFERENCE"
    if mode == "THEME_GENERATION" or params.get("themeGenerationConfig"):
        raise invalid("batchInferenceJobMode THEME_GENERATION (themes from Content Generator) is not offered by "
                      "this implementation; use BATCH_INFERENCE.")
    if (params.get("batchInferenceJobConfig") or {}).get("itemExplorationConfig") and \
            source.recipe.name != "aws-user-personalization":
        raise invalid("itemExplorationConfig is only for the User-Personalization recipe.")
    return {"batchInferenceJobMode": mode}


batch.register(JOB, _checks)


def _query(source: recommend.Source, record: dict[str, Any]) -> None:
    """LineError when the line cannot be answered by this model."""
    batch.text_field(record, "userId", source.model in ("personalization", "ranking", "popularity"))
    batch.text_field(record, "itemId", source.model == "similar")
    if source.model == "ranking":
        listed = record.get("itemList")
        if not isinstance(listed, list) or not listed or not all(isinstance(i, str) and i for i in listed):
            raise batch.LineError("The input line has no itemList of item ids; the "
                                  f"{source.recipe.name} recipe needs one.")
        if len(listed) > MAX_LIST:
            raise batch.LineError(f"itemList holds at most {MAX_LIST} items.")


def _output(source: recommend.Source, scored: recommend.Scored) -> dict[str, Any]:
    out: dict[str, Any] = {"recommendedItems": [item for item, _ in scored]}
    if source.scored:
        out["scores"] = [score for _, score in scored]
    return out


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        _, source, prepared = batch.begin(runtime, job)
        spec = job.spec

        def ask(record: dict[str, Any]) -> tuple[dict[str, Any], Any]:
            _query(source, record)
            found = prepared.prepared(record)
            related = record.get("itemId") if source.model == "similar" else None
            return record, None if found is None else found.items(user_id=record.get("userId"), item_id=related)

        def solve(asked: list[dict[str, Any]], keeps: list[Any]) -> list[recommend.Scored]:
            return recommend.many(source, asked, spec["numResults"], keeps)

        def answer(records: list[dict[str, Any]]) -> list[dict[str, Any] | str]:
            return batch.answers(records, ask, solve, lambda scored: _output(source, scored))

        return JobOutcome(batch.run(runtime, job, answer))

    return run
