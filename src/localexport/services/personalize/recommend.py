"""What a trained model recommends: the items for a user, the items related to an item, a list ranked for
a user.  personalize-runtime answers with these, and batch inference jobs write them.

A model (models.py's Parquet files of one solution version) is loaded once into an in-memory DuckDB
database, with indexes on the columns a call looks up, and kept for the next calls (the latest
MODELS used).  Scoring, as models.py documents it:

- personalization (aws-user-personalization(-v2)): the user's raw score of every item not in their
  history, normalised over the catalogue; a user the model never saw gets the popular items.
- ranking (aws-personalized-ranking(-v2)): the same raw scores, normalised over the list given.
- similar (aws-similar-items, aws-sims): the item's neighbours by co-occurrence, then the popular
  items (AWS: "if there isn't enough user behavior data for an item or the specified item ID isn't
  found, SIMS recommends popular items").
- popularity, trending: the same popular items for everyone.

AWS "doesn't show scores for domain recommenders or the Similar-Items, SIMS or Popularity-Count
recipes" (How recommendation scoring works): their answers carry none; neither does Trending-Now,
whose scores are popularity shares too.  A filter (filters.py) removes items before the best
``numResults`` are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...core.runtime import RequestContext
from . import models, recipes, training
from .records import duckdb

MODELS = 16  # loaded models kept
UNSCORED = ("similar", "popularity", "trending")
TABLES = tuple(f'"{table}"' for table in models.TABLES)  # the loaded model's tables, quoted ("similar" is reserved)
# A filter removes items one pass at a time: the best (numResults * WIDEN + SLACK) first, then all.
WIDEN, SLACK = 4, 100

Scored = list[tuple[str, float | None]]
ItemFilter = Callable[[list[str]], list[str]]  # keeps the items it allows, in their order


@dataclass(frozen=True)
class Source:
    """A deployed model: a campaign's (or a recommender's, or a batch job's) trained solution version."""

    arn: str  # what the caller named (campaign, recommender, solution version)
    recipe: recipes.Recipe
    model: str  # models.py's model: personalization, ranking, similar, popularity, trending
    group_arn: str
    key: str  # the trained version's job id: one loaded model per key
    files: dict[str, Path]
    scored: bool  # whether answers carry scores


def of_version(ctx: RequestContext, version_arn: str, arn: str | None = None) -> Source:
    """The model of an ACTIVE solution version (NotFound, ResourceInUse otherwise)."""
    job = training.load_active(ctx, version_arn)
    recipe = recipes.find(job.spec["recipeArn"])
    return Source(arn or version_arn, recipe, recipe.model, job.spec["datasetGroupArn"], job.id,
                  training.model_files(ctx.runtime, job), recipe.model not in UNSCORED)


class Model:
    """One trained model, loaded into an in-memory DuckDB database (a cursor per call: calls may overlap)."""

    def __init__(self, files: dict[str, Path]):
        self._db = duckdb.connect(":memory:")
        for table, name in zip(models.TABLES, TABLES):
            self._db.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet({models.literal(str(files[table]))})")
        self._db.execute("CREATE INDEX history_user ON history (USER_ID)")
        self._db.execute('CREATE INDEX similar_item ON "similar" (ITEM_ID)')
        rows = self._db.execute("SELECT ITEM_ID, score FROM popularity ORDER BY score DESC, ITEM_ID").fetchall()
        self.popular: Scored = [(item, round(float(score), 6)) for item, score in rows]

    def _rows(self, query: str, args: list) -> Scored:
        with self._db.cursor() as cursor:
            return [(item, round(float(score), 6)) for item, score in cursor.execute(query, args).fetchall()]

    def history(self, user_id: str) -> list[str]:
        with self._db.cursor() as cursor:
            return [row[0] for row in cursor.execute("SELECT ITEM_ID FROM history WHERE USER_ID = ?", [user_id])
                    .fetchall()]

    def for_user(self, user_id: str | None, most: int | None) -> Scored:
        """Every item not in the user's history, best first (the first ``most``), scores over the catalogue."""
        return self._rows(models.scores_query(*TABLES, ranking=False, limit=most), [user_id])

    def rank(self, user_id: str | None, items: list[str]) -> Scored:
        """``items`` best first for the user, scores over the list (items the model never saw score 0)."""
        return models.unseen_last(self._rows(models.scores_query(*TABLES, ranking=True), [user_id, items]), items)

    def related(self, item_id: str, most: int | None) -> Scored:
        """The item's neighbours, best first, then the popular items (never the item itself)."""
        limit = f"LIMIT {int(most)}" if most is not None else ""
        near = self._rows(f'SELECT RELATED_ITEM_ID, score FROM "similar" WHERE ITEM_ID = ? '
                          f"ORDER BY score DESC, RELATED_ITEM_ID {limit}", [item_id])
        seen = {item for item, _ in near} | {item_id}
        return near + [(item, score) for item, score in self.popular if item not in seen]


_models: OrderedDict[str, Model] = OrderedDict()
_lock = threading.Lock()


def model(source: Source) -> Model:
    with _lock:
        found = _models.get(source.key)
        if found is not None:
            _models.move_to_end(source.key)
            return found
    loaded = Model(source.files)  # (outside the lock: loading a big model takes a while)
    with _lock:
        found = _models.setdefault(source.key, loaded)
        _models.move_to_end(source.key)
        while len(_models) > MODELS:
            _models.popitem(last=False)
    return found


def _best(candidates: Callable[[int | None], Scored], wanted: int, keep: ItemFilter | None) -> Scored:
    """The first ``wanted`` of the candidates the filter keeps (a wider pass, then all, while too few are kept)."""
    if keep is None:
        return candidates(wanted)[:wanted]
    for most in (wanted * WIDEN + SLACK, None):
        scored = candidates(most)
        allowed = set(keep([item for item, _ in scored]))
        kept = [pair for pair in scored if pair[0] in allowed]
        if len(kept) >= wanted or most is None or len(scored) < most:
            return kept[:wanted]
    raise AssertionError("unreachable")


def items_for(source: Source, *, user_id: str | None = None, item_id: str | None = None, num_results: int = 25,
              keep: ItemFilter | None = None) -> Scored:
    """The recommended items of ``source``'s model, best first, with their scores (None where AWS shows none)."""
    found = model(source)
    if source.model == "similar":
        scored = _best(lambda most: found.related(item_id, most), num_results, keep)
    elif source.model == "personalization":
        scored = _best(lambda most: found.for_user(user_id, most), num_results, keep)
    else:  # popularity, trending: the same items for everyone
        scored = _best(lambda most: found.popular if most is None else found.popular[:most], num_results, keep)
    return scored if source.scored else [(item, None) for item, _ in scored]


def ranked(source: Source, user_id: str, items: list[str], keep: ItemFilter | None = None) -> Scored:
    """``items`` ranked for the user (those the filter removes left out)."""
    scored = model(source).rank(user_id, items)
    if keep is not None:
        allowed = set(keep([item for item, _ in scored]))
        scored = [pair for pair in scored if pair[0] in allowed]
    return scored
