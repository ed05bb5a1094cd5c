"""personalize-runtime: GetRecommendations and GetPersonalizedRanking from a campaign's trained model.

What a call may ask depends on the campaign's recipe, as the API reference states it: a RELATED_ITEMS
recipe needs ``itemId``, a USER_PERSONALIZATION one ``userId`` (except popularity, the same items for
everyone), and a PERSONALIZED_RANKING campaign answers GetPersonalizedRanking only.  ``context`` is
accepted and does not change the answer (the models here take no contextual metadata).  Filters and
recommenders are not built yet: a ``filterArn`` or ``recommenderArn`` names no resource here.
"""

from __future__ import annotations

import uuid
from typing import Any

from ...core.runtime import Operations, RequestContext
from . import recipes, recommend
from . import resources as r
from .errors import invalid, not_found

op = Operations("personalize-runtime")

MAX_RESULTS = 500  # GetRecommendations' numResults (default 25)
MAX_INPUT = 500  # GetPersonalizedRanking's inputList


def _campaign_source(ctx: RequestContext, params: dict[str, Any]) -> recommend.Source:
    if params.get("recommenderArn"):
        if params.get("campaignArn"):
            raise invalid("Provide either a campaignArn or a recommenderArn, not both.")
        raise not_found(params["recommenderArn"])
    arn = params.get("campaignArn")
    if not arn:
        raise invalid("Provide a campaignArn or a recommenderArn.")
    doc = r.load(ctx, r.CAMPAIGN, arn)
    status = r.view(ctx, doc).get("status")
    if status != r.ACTIVE:
        raise invalid(f"The campaign {arn} is {status}; it must be ACTIVE.")
    return recommend.of_version(ctx, doc.body["solutionVersionArn"], arn)


def _check_filter(params: dict[str, Any]) -> None:
    if params.get("filterArn"):
        raise not_found(params["filterArn"])
    if params.get("filterValues"):
        raise invalid("filterValues are only allowed with a filterArn.")


def _answer(scored: recommend.Scored) -> list[dict[str, Any]]:
    return [{"itemId": item} if score is None else {"itemId": item, "score": score} for item, score in scored]


def _recommendation_id() -> str:
    return f"RID-{uuid.uuid4()}"


@op("GetRecommendations")
def get_recommendations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = _campaign_source(ctx, params)
    _check_filter(params)
    kind = source.recipe.recipe_type
    if kind == recipes.PERSONALIZED_RANKING:
        raise invalid(f"The campaign {source.arn} uses a PERSONALIZED_RANKING recipe; call GetPersonalizedRanking.")
    if kind == recipes.RELATED_ITEMS and not params.get("itemId"):
        raise invalid("itemId is required for a campaign with a RELATED_ITEMS recipe.")
    if source.model == "personalization" and not params.get("userId"):
        raise invalid("userId is required for a campaign with a USER_PERSONALIZATION recipe.")
    wanted = params.get("numResults", 25)
    if not 1 <= wanted <= MAX_RESULTS:
        raise invalid(f"numResults must be between 1 and {MAX_RESULTS}.")
    scored = recommend.items_for(source, user_id=params.get("userId"), item_id=params.get("itemId"),
                                 num_results=wanted)
    return {"itemList": _answer(scored), "recommendationId": _recommendation_id()}


@op("GetPersonalizedRanking")
def get_personalized_ranking(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = _campaign_source(ctx, params)
    _check_filter(params)
    if source.recipe.recipe_type != recipes.PERSONALIZED_RANKING:
        raise invalid(f"The campaign {source.arn} does not use a PERSONALIZED_RANKING recipe; "
                      f"call GetRecommendations.")
    items = params["inputList"]
    if not items or len(items) > MAX_INPUT:
        raise invalid(f"inputList must hold between 1 and {MAX_INPUT} items.")
    scored = recommend.ranked(source, params["userId"], items)
    return {"personalizedRanking": _answer(scored), "recommendationId": _recommendation_id()}
