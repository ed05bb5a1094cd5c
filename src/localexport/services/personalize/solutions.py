"""Solutions: CreateSolution, DescribeSolution, ListSolutions, UpdateSolution, DeleteSolution.

A solution is a document (``solution/<name>``, child of its dataset group) whose status settles
like every Personalize resource; its versions are jobs (training.py), its campaigns documents
(campaigns.py).  Automatic training (performAutoTraining, on by default as in AWS) is recorded
and reported, not scheduled: a version is trained when CreateSolutionVersion asks.
"""

from __future__ import annotations

from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import jobs, recipes, training
from . import resources as r
from .errors import in_use, invalid
from .handlers import op

SUMMARY = ("name", "solutionArn", "status", r.CREATED, r.UPDATED, "recipeArn")


@op("CreateSolution")
def create_solution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("performAutoML"):
        raise invalid("performAutoML is no longer supported: choose a recipe with recipeArn.")
    if not params.get("recipeArn"):
        raise invalid("A recipeArn is required.")
    group = r.load_active(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    recipe = recipes.for_solution(params["recipeArn"])
    config = params.get("solutionConfig") or {}
    if recipe.model == "trending":
        recipes.trend_half_life(config)
    threshold = config.get("eventValueThreshold")
    if threshold is not None:
        try:
            float(threshold)
        except ValueError:
            raise invalid(f"solutionConfig.eventValueThreshold must be a number, not {threshold}.") from None
    body = {
        "name": params["name"], "recipeArn": recipe.arn, "datasetGroupArn": params["datasetGroupArn"],
        "performHPO": params.get("performHPO", False), "performAutoML": False,
        "performAutoTraining": params.get("performAutoTraining", True),
        "performIncrementalUpdate": params.get("performIncrementalUpdate", False),
        "eventType": params.get("eventType"), "solutionConfig": config, "_tags": params.get("tags"),
    }
    doc = r.create(ctx, r.SOLUTION, f"solution/{params['name']}", body, parent=group.key)
    return {"solutionArn": doc.body["solutionArn"]}


def view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    body = r.view(ctx, doc)
    update = r.latest_update(ctx, doc)
    if update:
        body["latestSolutionUpdate"] = update
    latest = training.latest(ctx, body["solutionArn"])
    if latest is not None:
        body["latestSolutionVersion"] = latest
    return body


@op("DescribeSolution")
def describe_solution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"solution": view(ctx, r.load(ctx, r.SOLUTION, params["solutionArn"]))}


@op("ListSolutions")
def list_solutions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = r.of_groups(ctx, r.SOLUTION, params, SUMMARY, "ListSolutions")
    return {"solutions": chunk, "nextToken": token}


@op("UpdateSolution")
def update_solution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load_active(ctx, r.SOLUTION, params["solutionArn"])
    r.check_no_update(ctx, doc, "Solution", params["solutionArn"])
    config = params.get("solutionUpdateConfig") or {}
    now = ctx.clock.now()
    body = {**doc.body, r.UPDATED: now}
    for flag in ("performAutoTraining", "performIncrementalUpdate"):
        if flag in params:
            body[flag] = params[flag]
    merged = {**(body.get("solutionConfig") or {})}
    for part in ("autoTrainingConfig", "eventsConfig"):
        if part in config:
            merged[part] = config[part]
    body["solutionConfig"] = merged
    r.begin_update(ctx, body, {"solutionUpdateConfig": config, "performAutoTraining": body["performAutoTraining"],
                               "performIncrementalUpdate": body["performIncrementalUpdate"]})
    r.save(ctx, doc, body)
    return {"solutionArn": params["solutionArn"]}


@op("DeleteSolution")
def delete_solution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.SOLUTION, params["solutionArn"])
    versions = training.of_solution(ctx, params["solutionArn"])
    running = [j.spec["arn"] for j in versions if j.state in jobs.ACTIVE_STATES]
    if running:
        raise in_use(f"Solution {params['solutionArn']} has a solution version being created: {running[0]}.")
    campaigns = r.alive(ctx, r.CAMPAIGN, doc.key)
    if campaigns:
        raise in_use(f"Solution {params['solutionArn']} is used by campaign {campaigns[0].body['campaignArn']}.")
    r.delete(ctx, r.SOLUTION, doc)
    for job in versions:  # its versions (and their models) go with it
        ctx.engine.delete(job.id)
    return {}
