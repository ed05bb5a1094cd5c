"""Campaigns: CreateCampaign, DescribeCampaign, ListCampaigns, UpdateCampaign, DeleteCampaign.

A campaign is a document (``campaign/<name>``, child of its solution) deploying an ACTIVE solution
version; its status, and that of its latest update, settle like every Personalize resource's.
Recommendations from it: runtime.py (personalize-runtime).
"""

from __future__ import annotations

from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import recipes, training
from . import resources as r
from .errors import invalid
from .handlers import op

SUMMARY = ("name", "campaignArn", "status", r.CREATED, r.UPDATED, "failureReason")


def _check_config(ctx: RequestContext, version_arn: str, config: dict[str, Any] | None) -> str:
    """The solution of an ACTIVE version, and a campaignConfig its recipe takes."""
    job = training.load_active(ctx, version_arn)
    recipe = recipes.find(job.spec["recipeArn"])
    if recipe.recipe_type == recipes.USER_SEGMENTATION:
        raise invalid(f"Solution version {version_arn} uses the USER_SEGMENTATION recipe {recipe.name}: its user "
                      "segments come from batch segment jobs, not from a campaign.")
    if (config or {}).get("itemExplorationConfig") and recipe.name != "aws-user-personalization":
        raise invalid(f"itemExplorationConfig is only for the User-Personalization recipe; solution version "
                      f"{version_arn} uses {recipe.name}.")
    return job.spec["solutionArn"]


@op("CreateCampaign")
def create_campaign(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    solution_arn = _check_config(ctx, params["solutionVersionArn"], params.get("campaignConfig"))
    solution = r.load(ctx, r.SOLUTION, solution_arn)
    body = {"name": params["name"], "solutionVersionArn": params["solutionVersionArn"],
            "minProvisionedTPS": params.get("minProvisionedTPS", 1), "campaignConfig": params.get("campaignConfig"),
            "_tags": params.get("tags")}
    doc = r.create(ctx, r.CAMPAIGN, f"campaign/{params['name']}", body, parent=solution.key)
    return {"campaignArn": doc.body["campaignArn"]}


def view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    body = r.view(ctx, doc)
    update = r.latest_update(ctx, doc)
    if update:
        body["latestCampaignUpdate"] = update
    return body


@op("DescribeCampaign")
def describe_campaign(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"campaign": view(ctx, r.load(ctx, r.CAMPAIGN, params["campaignArn"]))}


@op("ListCampaigns")
def list_campaigns(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    solution = params.get("solutionArn")  # an unknown solution lists nothing (ListCampaigns has no NotFound)
    if solution:
        prefix = r.arn(ctx, "solution/")
        docs = r.alive(ctx, r.CAMPAIGN, solution.split(":", 5)[5]) if solution.startswith(prefix) else []
    else:
        docs = r.alive(ctx, r.CAMPAIGN)
    items = [{k: body.get(k) for k in SUMMARY} for body in (r.view(ctx, d) for d in docs)]
    chunk, token = r.page_of(items, params, ["ListCampaigns", solution])
    return {"campaigns": chunk, "nextToken": token}


@op("UpdateCampaign")
def update_campaign(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load_active(ctx, r.CAMPAIGN, params["campaignArn"])
    r.check_no_update(ctx, doc, "Campaign", params["campaignArn"])
    version = params.get("solutionVersionArn") or doc.body["solutionVersionArn"]
    config = params["campaignConfig"] if "campaignConfig" in params else doc.body.get("campaignConfig")
    solution_arn = _check_config(ctx, version, config)
    if r.key_of(ctx, r.SOLUTION, solution_arn) != doc.parent:
        raise invalid(f"Solution version {version} is not a version of the campaign's solution.")
    now = ctx.clock.now()
    tps = params.get("minProvisionedTPS", doc.body["minProvisionedTPS"])
    body = {**doc.body, "solutionVersionArn": version, "minProvisionedTPS": tps, "campaignConfig": config,
            r.UPDATED: now}
    r.begin_update(ctx, body, {"solutionVersionArn": version, "minProvisionedTPS": tps, "campaignConfig": config})
    r.save(ctx, doc, body)
    return {"campaignArn": params["campaignArn"]}


@op("DeleteCampaign")
def delete_campaign(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    r.delete(ctx, r.CAMPAIGN, r.load(ctx, r.CAMPAIGN, params["campaignArn"]))
    return {}
