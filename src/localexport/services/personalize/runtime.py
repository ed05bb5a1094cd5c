"""personalize-runtime: GetRecommendations and GetPersonalizedRanking from a campaign's trained model, or a
recommender's (recommenders.py).

What a call may ask depends on the recipe or use case, as the API reference states it: related items
(RELATED_ITEMS recipes, "Customers who viewed X", "More like X"...) need ``itemId``, personalized ones
``userId`` (popular and trending items are the same for everyone), and a PERSONALIZED_RANKING campaign
answers GetPersonalizedRanking only.  ``context`` weighs the items of the personalization and ranking models
by how often they were chosen in that context (models.CONTEXT: the interactions' categorical metadata
fields; a key the model did not learn is left out).  A ``filterArn`` (filters.py) must name an ACTIVE filter of the
source's dataset group; it removes items before the best ``numResults`` are kept, a CurrentItem filter
with the call's ``itemId`` (related items only).  ``promotions`` (_promote) and ``metadataColumns`` (the
Items columns, where the campaign or recommender has enableMetadataWithRecommendations) are answered
as the developer guide describes them.
"""

from __future__ import annotations

import uuid
from typing import Any

from ...core.runtime import Operations, RequestContext
from . import filters, group_records, recommend, recommenders
from . import resources as r
from .errors import invalid

op = Operations("personalize-runtime")

MAX_RESULTS = 500  # GetRecommendations' numResults (default 25)
MAX_INPUT = 500  # GetPersonalizedRanking's inputList
MAX_ACTIONS = 100  # GetActionRecommendations' numResults
MAX_COLUMNS, MAX_WITH_METADATA = 10, 50  # metadataColumns, and numResults (inputList) with them


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
    return recommend.of_version(ctx, doc.body["solutionVersionArn"], arn, config=doc.body.get("campaignConfig"))


def _filter(ctx: RequestContext, params: dict[str, Any], source: recommend.Source) -> filters.Prepared | None:
    return filters.prepare(ctx, params.get("filterArn"), params.get("filterValues"), source.group_arn)


def _metadata_columns(params: dict[str, Any], source: recommend.Source) -> list[str]:
    """The Items columns a call asks to see ("Getting item metadata with real-time recommendations")."""
    asked = params.get("metadataColumns") or {}
    if not asked:
        return []
    if not source.metadata:
        raise invalid(f"{source.arn} does not return item metadata: enable enableMetadataWithRecommendations in "
                      "its configuration.")
    if set(asked) != {"ITEMS"}:
        raise invalid("metadataColumns takes the columns of the Items dataset only, under the key ITEMS.")
    if len(asked["ITEMS"]) > MAX_COLUMNS:
        raise invalid(f"metadataColumns names at most {MAX_COLUMNS} columns.")
    if "inputList" in params and len(params["inputList"]) > MAX_WITH_METADATA:
        raise invalid(f"inputList holds at most {MAX_WITH_METADATA} items when metadataColumns are asked for.")
    if "inputList" not in params and params.get("numResults", 25) > MAX_WITH_METADATA:
        raise invalid(f"numResults is at most {MAX_WITH_METADATA} when metadataColumns are asked for.")
    return list(asked["ITEMS"])


def _answer(ctx: RequestContext, source: recommend.Source, scored: recommend.Scored, columns: list[str],
            promoted: dict[str, str] | None = None) -> list[dict[str, Any]]:
    found = group_records.item_metadata(ctx, source.group_arn, [item for item, _ in scored], columns) if columns else {}
    out = []
    for item, score in scored:
        entry: dict[str, Any] = {"itemId": item}
        if score is not None:
            entry["score"] = score
        if promoted and item in promoted:
            entry["promotionName"] = promoted[item]
        if columns:
            entry["metadata"] = found.get(item, {})
        out.append(entry)
    return out


def _promote(ctx: RequestContext, params: dict[str, Any], source: recommend.Source, scored: recommend.Scored,
             wanted: int, related: bool) -> tuple[recommend.Scored, dict[str, str]]:
    """The answer with its promotion ("Promoting items in real-time recommendations"): ``percentPromotedItems``
    of ``numResults`` are the best items the promotion's filter keeps, "in sorted order relative to other
    promoted items"; AWS places them at random among the others, here they are spread evenly (the same
    request gets the same answer).  Too few such items: as many as there are.  The guide does not say how
    the share rounds: here down, but at least one item."""
    [promotion] = params["promotions"]  # (the model allows one)
    if source.model not in recommend.PROMOTES:
        raise invalid(f"{source.arn} uses {source.recipe.name}, whose recommendations take no promotions.")
    if not promotion.get("filterArn"):
        raise invalid("A promotion needs the filterArn of the filter that names the items it promotes.")
    if not 1 <= promotion.get("percentPromotedItems", 0) <= 100:
        raise invalid("percentPromotedItems must be between 1 and 100.")
    prepared = filters.prepare(ctx, promotion["filterArn"], promotion.get("filterValues"), source.group_arn)
    keep = prepared.items(user_id=params.get("userId"), item_id=params.get("itemId") if related else None)
    count = max(1, wanted * promotion["percentPromotedItems"] // 100)
    chosen = recommend.items_for(source, user_id=params.get("userId"), item_id=params.get("itemId"),
                                 num_results=count, keep=keep, context=params.get("context"))
    taken = {item for item, _ in chosen}
    rest = [pair for pair in scored if pair[0] not in taken][:wanted - len(chosen)]
    total = len(chosen) + len(rest)
    places = {int((k + 0.5) * total / len(chosen)) for k in range(len(chosen))}  # (distinct: total >= len)
    promoted, others = iter(chosen), iter(rest)
    merged = [next(promoted) if at in places else next(others) for at in range(total)]
    return merged, {item: promotion["name"] for item in taken} if promotion.get("name") else {}


def _recommendation_id() -> str:
    return f"RID-{uuid.uuid4()}"


@op("GetRecommendations")
def get_recommendations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    source = _source(ctx, params)
    prepared = _filter(ctx, params, source)
    if source.model == "ranking":
        raise invalid(f"The campaign {source.arn} uses a PERSONALIZED_RANKING recipe; call GetPersonalizedRanking.")
    if source.model == "actions":
        raise invalid(f"The campaign {source.arn} recommends actions; call GetActionRecommendations.")
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
    columns = _metadata_columns(params, source)
    scored = recommend.items_for(source, user_id=params.get("userId"), item_id=params.get("itemId"),
                                 num_results=wanted, keep=keep, context=params.get("context"))
    promoted = None
    if params.get("promotions"):
        scored, promoted = _promote(ctx, params, source, scored, wanted, related)
    return {"itemList": _answer(ctx, source, scored, columns, promoted), "recommendationId": _recommendation_id()}


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
    columns = _metadata_columns(params, source)
    scored = recommend.ranked(source, params["userId"], items, keep=keep, context=params.get("context"))
    return {"personalizedRanking": _answer(ctx, source, scored, columns), "recommendationId": _recommendation_id()}


@op("GetActionRecommendations")
def get_action_recommendations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The actions a user is most likely to take next, from a Next-Best-Action campaign (numResults: default 5,
    at most 100, as the API reference gives them)."""
    source = _source(ctx, params)
    if source.model != "actions":
        raise invalid(f"{source.arn} does not use the Next-Best-Action recipe; call GetRecommendations.")
    if not params.get("userId"):
        raise invalid(f"userId is required: {source.arn} recommends actions for a user.")
    if params.get("filterArn") or params.get("filterValues"):  # (CreateFilter refuses ActionID filters)
        raise invalid("GetActionRecommendations takes no filter here: action (ActionID) filters are not offered.")
    wanted = params.get("numResults", 5)
    if not 1 <= wanted <= MAX_ACTIONS:
        raise invalid(f"numResults must be between 1 and {MAX_ACTIONS}.")
    scored = recommend.next_actions(source, params["userId"], wanted, ctx.clock.now())
    return {"actionList": [{"actionId": action, "score": score} for action, score in scored],
            "recommendationId": _recommendation_id()}
