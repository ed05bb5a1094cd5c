"""Recipes: ListRecipes, DescribeRecipe, and what each recipe needs and trains.

The predefined recipes with the ARNs the Amazon Personalize developer guide gives on each
recipe's page ("Properties and hyperparameters"): name, recipe ARN, algorithm ARN, and, where the
page names them, the feature transformation ARN and recipe type (the pages of the newer recipes
name neither; the type is then the one their family has).  Every custom recipe trains on the
Item interactions dataset alone (Items and Users are optional), but two: Item-Attribute-Affinity, whose
segments are of item attributes, needs Items too; Next-Best-Action trains on the Actions and Action
interactions datasets (the actions users took) and answers GetActionRecommendations.  The
USER_SEGMENTATION recipes (Item-Affinity, Item-Attribute-Affinity) answer batch segment jobs only.

The domain use cases (ECOMMERCE, VIDEO_ON_DEMAND) are listed too, as ListRecipes lists them
with their domain; they back recommenders, not solutions.  Each trains one of the models here on
the event type its use case page names (Most viewed: View; Best sellers, Frequently bought
together: Purchase; Most popular: Watch), or on every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.runtime import RequestContext
from . import models
from . import resources as r
from .errors import invalid, not_found
from .handlers import op

USER_PERSONALIZATION, RELATED_ITEMS, PERSONALIZED_RANKING = "USER_PERSONALIZATION", "RELATED_ITEMS", \
    "PERSONALIZED_RANKING"
USER_SEGMENTATION = "USER_SEGMENTATION"  # batch segment jobs only: never deployed in a campaign
PERSONALIZED_ACTIONS = "PERSONALIZED_ACTIONS"  # GetActionRecommendations
# When the predefined recipes "were created": a fixed time, so answers do not change between calls.
PUBLISHED = 1_546_300_800.0  # 2019-01-01


@dataclass(frozen=True)
class Recipe:
    name: str
    recipe_type: str | None
    model: str | None  # what training.py builds: popularity, trending, similar, personalization, ranking
    description: str
    algorithm: bool = True  # the algorithm ARN is named after the recipe
    feature_transformation: str | None = None
    domain: str | None = None
    algorithm_name: str | None = None  # where the algorithm's name differs from the recipe's
    needs: tuple[str, ...] = ("Interactions",)  # the datasets it must have
    updatable: bool = False  # trainingMode UPDATE (User-Personalization only, as CreateSolutionVersion says)
    event_type: str | None = None  # a use case trained on one event type only (Best sellers: Purchase)

    @property
    def arn(self) -> str:
        return f"arn:aws:personalize:::recipe/{self.name}"

    def describe(self) -> dict[str, Any]:
        out = {"name": self.name, "recipeArn": self.arn, "status": "ACTIVE", "description": self.description,
               "creationDateTime": PUBLISHED, "lastUpdatedDateTime": PUBLISHED}
        if self.algorithm:
            out["algorithmArn"] = f"arn:aws:personalize:::algorithm/{self.algorithm_name or self.name}"
        if self.feature_transformation:
            out["featureTransformationArn"] = ("arn:aws:personalize:::feature-transformation/"
                                               + self.feature_transformation)
        if self.recipe_type:
            out["recipeType"] = self.recipe_type
        return out

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "recipeArn": self.arn, "status": "ACTIVE", "creationDateTime": PUBLISHED,
                "lastUpdatedDateTime": PUBLISHED, "domain": self.domain}


def _use_case(domain: str, name: str, description: str, model: str, event_type: str | None = None) -> Recipe:
    return Recipe(name, None, model, description, algorithm=False, domain=domain, event_type=event_type)


RECIPES = (
    Recipe("aws-user-personalization", USER_PERSONALIZATION, "personalization",
           "Recommends items for a user from their interaction history, with exploration of new items.",
           updatable=True),
    Recipe("aws-user-personalization-v2", USER_PERSONALIZATION, "personalization",
           "Recommends items for a user from their interaction history (transformer-based)."),
    Recipe("aws-personalized-ranking", PERSONALIZED_RANKING, "ranking",
           "Ranks a list of items for a user.", feature_transformation="JSON-percentile-filtering"),
    Recipe("aws-personalized-ranking-v2", PERSONALIZED_RANKING, "ranking",
           "Ranks a list of items for a user (transformer-based)."),
    Recipe("aws-similar-items", RELATED_ITEMS, "similar",
           "Recommends items similar to a given item, from co-occurrence in user histories and item metadata."),
    Recipe("aws-sims", RELATED_ITEMS, "similar",
           "Recommends items similar to a given item, from co-occurrence in user histories.",
           feature_transformation="sims"),
    Recipe("aws-popularity-count", USER_PERSONALIZATION, "popularity",
           "Recommends the items with the most interactions from unique users.", feature_transformation="sims"),
    Recipe("aws-trending-now", USER_PERSONALIZATION, "trending",
           "Recommends the items whose interactions grow fastest.", algorithm_name="aws-trending-now-custom"),
    Recipe("aws-next-best-action", PERSONALIZED_ACTIONS, "actions",
           "Recommends the actions a user is most likely to take next.", needs=("Actions", "Action_Interactions")),
    Recipe("aws-item-affinity", USER_SEGMENTATION, "affinity",
           "Creates a segment of the users most likely to interact with each item."),
    Recipe("aws-item-attribute-affinity", USER_SEGMENTATION, "affinity",
           "Creates a segment of the users most likely to interact with items of each attribute.",
           needs=("Interactions", "Items")),
    _use_case("ECOMMERCE", "aws-ecomm-customers-who-viewed-x-also-viewed", "Customers who viewed X also viewed.",
              "similar", "View"),
    _use_case("ECOMMERCE", "aws-ecomm-frequently-bought-together", "Frequently bought together.", "similar",
              "Purchase"),
    _use_case("ECOMMERCE", "aws-ecomm-popular-items-by-purchases", "Best sellers.", "popularity", "Purchase"),
    _use_case("ECOMMERCE", "aws-ecomm-popular-items-by-views", "Most viewed.", "popularity", "View"),
    _use_case("ECOMMERCE", "aws-ecomm-recommended-for-you", "Recommended for you.", "personalization"),
    _use_case("VIDEO_ON_DEMAND", "aws-vod-because-you-watched-x", "Because you watched X.", "similar"),
    _use_case("VIDEO_ON_DEMAND", "aws-vod-more-like-x", "More like X.", "similar"),
    _use_case("VIDEO_ON_DEMAND", "aws-vod-most-popular", "Most popular.", "popularity", "Watch"),
    _use_case("VIDEO_ON_DEMAND", "aws-vod-trending-now", "Trending now.", "trending"),
    _use_case("VIDEO_ON_DEMAND", "aws-vod-top-picks", "Top picks for you.", "personalization"),
)
BY_ARN = {recipe.arn: recipe for recipe in RECIPES}


def find(arn: str) -> Recipe:
    recipe = BY_ARN.get(arn)
    if recipe is None:
        raise not_found(arn)
    return recipe


def for_solution(arn: str) -> Recipe:
    """The recipe a solution trains with: a custom recipe (a domain use case backs a recommender)."""
    recipe = find(arn)
    if recipe.domain:
        raise invalid(f"Recipe {arn} is a {recipe.domain} use case: use it with CreateRecommender, not "
                      "CreateSolution.")
    return recipe


def trend_half_life(config: dict[str, Any] | None) -> float:
    """Seconds of the Trending-Now trend discovery frequency (InvalidInput for one it does not offer)."""
    config = config or {}
    value = ({**(config.get("featureTransformationParameters") or {}),
              **(config.get("algorithmHyperParameters") or {})}.get("trend_discovery_frequency")
             or models.DEFAULT_FREQUENCY)
    if value not in models.FREQUENCIES:
        raise invalid(f"trend_discovery_frequency must be one of {', '.join(models.FREQUENCIES)}, not {value}.")
    return float(models.FREQUENCIES[value])


@op("ListRecipes")
def list_recipes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # recipeProvider has one value (SERVICE); a domain lists only that domain's use cases
    domain = params.get("domain")
    items = [recipe.summary() for recipe in RECIPES if not domain or recipe.domain == domain]
    chunk, token = r.page_of(items, params, ["ListRecipes", domain])
    return {"recipes": chunk, "nextToken": token}


@op("DescribeRecipe")
def describe_recipe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"recipe": find(params["recipeArn"]).describe()}
