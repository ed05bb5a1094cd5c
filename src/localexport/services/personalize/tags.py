"""TagResource, UntagResource, ListTagsForResource, for every resource and job that takes ``tags``."""

from __future__ import annotations

from typing import Any

from ...core import tags as tagging
from ...core.runtime import RequestContext
from . import jobs
from . import resources as r
from .errors import not_found, too_many_tags
from .handlers import op

MAX_TAGS = 50  # user tags per resource (AWS's tag quota)
PAIR = ("tagKey", "tagValue")  # how Personalize spells a tag
_DOCS = {k.arn_part: k for k in (r.DATASET_GROUP, r.DATASET, r.EVENT_TRACKER, r.SOLUTION, r.CAMPAIGN, r.FILTER,
                                  r.RECOMMENDER)}
_JOBS = ("dataset-import-job", "dataset-export-job", "solution-version", "data-deletion-job", "batch-inference-job",
         "batch-segment-job")


def check(tags: list[dict[str, str]] | None) -> None:
    """The tags of a Create* call fit the quota (TooManyTagsException otherwise)."""
    try:
        tagging.merge({}, tagging.from_pairs(tags, *PAIR), MAX_TAGS)
    except tagging.TooManyTags as error:
        raise too_many_tags(str(error)) from None


def _part(arn: str) -> str:
    resource = arn.split(":", 5)[-1]
    if resource.count("/") == 2 and resource.startswith("solution/"):
        return "solution-version"  # solution/<name>/<id>: a training job
    return resource.split("/", 1)[0]


def _tags(ctx: RequestContext, arn: str) -> list[dict[str, str]]:
    part = _part(arn)
    if part in _DOCS:
        return r.load(ctx, _DOCS[part], arn).body.get("_tags") or []
    if part in _JOBS:
        return _job(ctx, arn).spec.get("tags") or []
    raise not_found(arn)


def _job(ctx: RequestContext, arn: str):
    job = ctx.store.get_job(jobs.job_id(ctx, arn), r.scope(ctx))
    if job is None:
        raise not_found(arn)
    return job


def _save(ctx: RequestContext, arn: str, tags: list[dict[str, str]]) -> None:
    part = _part(arn)
    if part in _DOCS:
        doc = r.load(ctx, _DOCS[part], arn)
        r.save(ctx, doc, {**doc.body, "_tags": tags})
    else:
        job = _job(ctx, arn)
        ctx.store.update_job(job.id, spec={**job.spec, "tags": tags})


@op("ListTagsForResource")
def list_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": _tags(ctx, params["resourceArn"])}


@op("TagResource")
def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    current = tagging.from_pairs(_tags(ctx, params["resourceArn"]), *PAIR)
    try:
        merged = tagging.merge(current, tagging.from_pairs(params["tags"], *PAIR), MAX_TAGS)
    except tagging.TooManyTags as error:
        raise too_many_tags(str(error)) from None
    _save(ctx, params["resourceArn"], tagging.to_pairs(merged, *PAIR))
    return {}


@op("UntagResource")
def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kept = tagging.remove(tagging.from_pairs(_tags(ctx, params["resourceArn"]), *PAIR), params["tagKeys"])
    _save(ctx, params["resourceArn"], tagging.to_pairs(kept, *PAIR))
    return {}
