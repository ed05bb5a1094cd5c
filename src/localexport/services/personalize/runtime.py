"""personalize-runtime: GetRecommendations and GetPersonalizedRanking from a campaign's trained model, or a
recommender's (recommenders.py).

What a call may ask depends on the recipe or use case, as the API reference states it: related items
(RELATED_ITEMS recipes, "Customers who viewed X", "More like X"...) need ``itemId``, personalized ones
``userId`` (popular and trending items are the same for everyone), and a PERSONALIZED_RANKING campaign
answers GetPersonalizedRanking only.  ``context`` is accepted and does not change the answer (the models
here take no contextual metadata).  A ``filterArn`` (filters.py) must name an ACTIVE filter of the
source's dataset group; it removes items before the best ``numResults`` are kept, a CurrentItem filter
with the call's ``itemId`` (related items only).
"""

from __future__ import annotations

import uuid
from typing import Any

from ...core.runtime import Operations, RequestContext
from . import filters, recommend, recommenders
from . import resources as r
from .errors import invalid

op = Operations("personalize-runtime")

MAX_RESULTS = 500  # GetRecommendations' numResults (default 25)
MAX_INPUT = 500  # GetPersonalizedRanking's inputList


def _source(ctx: RequestContext, params: dict[str, Any]) -> recommend.Source:
    if params.get("recommenderArn"):
        if params.get("campaignArn"):
            raise invalid("Provide either a campaignArn or a recommenderArn, not both.")
        return recommenders.source(ctx, params["recommenderArn"])
    arn = params.get("campaignArn")
    if not arn:
        raise invalid("Provide a campaignArn or a recommenderArn.")
    doc = r.load(ctx, r.CAMPAIGN, arn)
    status = r.view(ctx, doc).get("status")
    if status != r.ACTIVE:
        raise invalid(f"The campaign {arn} is {status}; it must be ACTIVE.")
    return recommend.of_version(ctx, doc.body["solutionVersionArn"], arn)


def _filter(ctx: RequestContext, params: dict[str, Any], source: recommend.Source) -> filters.Prepared | None:
    return filters.prepare(ctx, params.get("filterArn"), params.get("filterValues"), source.group_arn)


def _answer(scored: recommend.Scored) -> list[dict[str, Any]]:
    return [{"itemId": item} if score is None else {"itemId": item, "score": score} for item, score in scored]


def _recommendation_id() -> str:
    return f"RID-{uuid.uuid4()}"


@op("GetRecommendations")
def get_recommendations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = _source(ctx, params)
    prepared = _filter(ctx, params, source)
    if source.model == "ranking":
        raise invalid(f"The campaign {source.arn} uses a PERSONALIZED_RANKING recipe; call GetPersonalizedRanking.")
    related = source.model == "similar"
    if related and not params.get("itemId"):
        raise invalid(f"itemId is required: {source.arn} recommends items related to an item.")
    if source.model == "personalization" and not params.get("userId"):
        raise invalid(f"userId is required: {source.arn} recommends items for a user.")
    wanted = params.get("numResults", 25)
    if not 1 <= wanted <= MAX_RESULTS:
        raise invalid(f"numResults must be between 1 and {MAX_RESULTS}.")
    keep = None
    if prepared is not None:  # CurrentItem is the item of related-items recommendations
        keep = prepared.items(user_id=params.get("userId"), item_id=params.get("itemId") if related else None)
    scored = recommend.items_for(source, user_id=params.get("userId"), item_id=params.get("itemId"),
                                 num_results=wanted, keep=keep)
    return {"itemList": _answer(scored), "recommendationId": _recommendation_id()}


@op("GetPersonalizedRanking")
def get_personalized_ranking(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = _source(ctx, params)
    prepared = _filter(ctx, params, source)
    if source.model != "ranking":
        raise invalid(f"{source.arn} does not use a PERSONALIZED_RANKING recipe; call GetRecommendations.")
    items = params["inputList"]
    if not items or len(items) > MAX_INPUT:
        raise invalid(f"inputList must hold between 1 and {MAX_INPUT} items.")
    keep = prepared.items(user_id=params["userId"]) if prepared is not None else None
    scored = recommend.ranked(source, params["userId"], items, keep=keep)
    return {"personalizedRanking": _answer(scored), "recommendationId": _recommendation_id()}
