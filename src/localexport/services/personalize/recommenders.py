"""Recommenders of domain dataset groups: CreateRecommender, DescribeRecommender, ListRecommenders,
UpdateRecommender, StopRecommender, StartRecommender, DeleteRecommender.

A recommender is a document (``recommender/<name>``, child of its dataset group) and the training of its
use case's model, a job of training.py (a version named ``<recommender ARN>/<8 hex>`` that no solution
lists).  Its status is the training's until it is trained (CREATE PENDING, CREATE IN_PROGRESS, CREATE
FAILED), then ACTIVE, or what StopRecommender / StartRecommender and DeleteRecommender move it to
(STOP PENDING -> STOP IN_PROGRESS -> INACTIVE, START PENDING -> START IN_PROGRESS -> ACTIVE, DELETE
PENDING), settling on the engine's timing.  ``modelMetrics`` are the training's metrics.
personalize-runtime answers GetRecommendations from an ACTIVE recommender (runtime.py); its answers
carry no scores ("Amazon Personalize doesn't show scores for domain recommenders").
"""

from __future__ import annotations

from typing import Any

from ...aws.errors import AWSError
from ...core import statuses
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import jobs, recipes, recommend, tags, training
from . import resources as r
from .errors import already_exists, in_use, invalid
from .handlers import op

SUMMARY = ("name", "recommenderArn", "datasetGroupArn", "recipeArn", "recommenderConfig", "status", r.CREATED,
           r.UPDATED)
VERSION = "_version"  # the ARN of the recommender's training (a training.py job)


def _check_config(config: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(config or {})
    config.setdefault("minRecommendationRequestsPerSecond", 1)
    return config


@op("CreateRecommender")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = r.load_active(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    tags.check(params.get("tags"))
    recipe = recipes.find(params["recipeArn"])
    domain = group.body.get("domain")
    if not domain:
        raise invalid(f"Dataset group {params['datasetGroupArn']} is not a domain dataset group: create a solution "
                      "and a campaign for it, not a recommender.")
    if recipe.domain != domain:
        raise invalid(f"Recipe {params['recipeArn']} is not a use case of the {domain} domain.")
    training.check_datasets(ctx, params["datasetGroupArn"], recipe)
    config = _check_config(params.get("recommenderConfig"))
    version = f"{r.arn(ctx, 'recommender/' + params['name'])}/{ctx.ids.uuid().replace('-', '')[:8]}"
    body = {"name": params["name"], "datasetGroupArn": params["datasetGroupArn"], "recipeArn": recipe.arn,
            "recommenderConfig": config, "status": r.ACTIVE, VERSION: version, "_tags": params.get("tags")}
    arn = r.arn(ctx, f"recommender/{params['name']}")
    if r.find(ctx, r.RECOMMENDER, arn) is not None:
        raise already_exists(arn)
    # the training first: a crash before the document leaves a job nothing shows, never a recommender
    # without its training
    training.submit(ctx, version, {
        "name": None, "solutionArn": None, "recommenderArn": arn, "datasetGroupArn": params["datasetGroupArn"],
        "recipeArn": recipe.arn, "performHPO": False, "performAutoML": False, "performIncrementalUpdate": False,
        "eventType": recipe.event_type, "solutionConfig": {}, "trainingMode": "FULL", "trainingType": "AUTOMATIC",
        "tags": None})
    try:
        r.create(ctx, r.RECOMMENDER, f"recommender/{params['name']}", body, parent=group.key)
    except AWSError:  # created meanwhile by another call
        ctx.engine.delete(jobs.job_id(ctx, version))
        raise
    return {"recommenderArn": arn}


def _training(ctx: RequestContext, doc: Doc):
    return ctx.store.get_job(jobs.job_id(ctx, doc.body[VERSION]), r.scope(ctx))


def view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    body = r.view(ctx, doc)
    job = _training(ctx, doc)
    if body["status"] != "DELETE PENDING" and job is None:
        body.update(status="CREATE FAILED", failureReason="The recommender's training was lost.")
    elif body["status"] != "DELETE PENDING" and job.state != "succeeded":
        body["status"] = training.status(job)
        if job.state == "failed":
            body["failureReason"] = "; ".join(job.failure)
    if job is not None and job.state == "succeeded":
        body["modelMetrics"] = job.result["metrics"]
    update = r.latest_update(ctx, doc)
    if update:
        body["latestRecommenderUpdate"] = update
    return body


def source(ctx: RequestContext, arn: str) -> recommend.Source:
    """The model an ACTIVE recommender answers with (personalize-runtime)."""
    doc = r.load(ctx, r.RECOMMENDER, arn)
    status = view(ctx, doc)["status"]
    if status != r.ACTIVE:
        raise invalid(f"The recommender {arn} is {status}; it must be ACTIVE.")
    return recommend.of_version(ctx, doc.body[VERSION], arn, recommender=True,
                                config=doc.body["recommenderConfig"])


@op("DescribeRecommender")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"recommender": view(ctx, r.load(ctx, r.RECOMMENDER, params["recommenderArn"]))}


@op("ListRecommenders")
def list_recommenders(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = r.of_groups(ctx, r.RECOMMENDER, params, SUMMARY, "ListRecommenders", show=view)
    return {"recommenders": chunk, "nextToken": token}


def _load_in(ctx: RequestContext, arn: str, wanted: str) -> Doc:
    doc = r.load(ctx, r.RECOMMENDER, arn)
    status = view(ctx, doc)["status"]
    if status != wanted:
        raise in_use(f"The recommender {arn} is {status}; it must be {wanted}.")
    return doc


@op("UpdateRecommender")
def update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _load_in(ctx, params["recommenderArn"], r.ACTIVE)
    r.check_no_update(ctx, doc, "Recommender", params["recommenderArn"])
    config = _check_config({**doc.body["recommenderConfig"], **params["recommenderConfig"]})
    body = {**doc.body, "recommenderConfig": config, r.UPDATED: ctx.clock.now()}
    r.begin_update(ctx, body, {"recommenderConfig": config})
    r.save(ctx, doc, body)
    return {"recommenderArn": params["recommenderArn"]}


def _power(ctx: RequestContext, arn: str, wanted: str, verb: str, final: str) -> None:
    doc = _load_in(ctx, arn, wanted)
    now = ctx.clock.now()
    body = {**doc.body, r.UPDATED: now}
    at = ctx.engine.settle_at()
    statuses.begin(body, "status", f"{verb} PENDING", final, at, via=(f"{verb} IN_PROGRESS", (now + at) / 2))
    r.save(ctx, doc, body)


@op("StopRecommender")
def stop(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _power(ctx, params["recommenderArn"], r.ACTIVE, "STOP", "INACTIVE")
    return {"recommenderArn": params["recommenderArn"]}


@op("StartRecommender")
def start(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _power(ctx, params["recommenderArn"], "INACTIVE", "START", r.ACTIVE)
    return {"recommenderArn": params["recommenderArn"]}


@op("DeleteRecommender")
def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.RECOMMENDER, params["recommenderArn"])
    job = _training(ctx, doc)
    r.delete(ctx, r.RECOMMENDER, doc)
    if job is not None:  # its model goes with it
        ctx.engine.delete(job.id)
    return {}
