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

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...core.runtime import RequestContext
from . import models, recipes, training
from .records import duckdb, pa

MODELS = 16  # loaded models kept
UNSCORED = ("similar", "popularity", "trending")
PROMOTES = ("personalization", "similar", "popularity", "trending")  # the recipes that take promotions
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
    metadata: bool = False  # whether calls may ask for item metadata (enableMetadataWithRecommendations)
    actions: tuple[tuple[str, int | None], ...] = ()  # Next-Best-Action: its catalogue, (id, expiration time)


def of_version(ctx: RequestContext, version_arn: str, arn: str | None = None, recommender: bool = False,
               config: dict | None = None) -> Source:
    """The model of an ACTIVE solution version, or of a recommender's training (NotFound, ResourceInUse
    otherwise), deployed with ``config`` (a campaignConfig or recommenderConfig)."""
    job = training.load_active(ctx, version_arn, recommender)
    recipe = recipes.find(job.spec["recipeArn"])
    return Source(arn or version_arn, recipe, recipe.model, job.spec["datasetGroupArn"], job.id,
                  training.model_files(ctx.runtime, job), recipe.model not in UNSCORED and not recipe.domain,
                  bool((config or {}).get("enableMetadataWithRecommendations")),
                  tuple((action, expires) for action, expires in job.result.get("actions", ())))


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
        self.active: list[str] | None = None
        self.contextual: frozenset[str] = frozenset()  # the context fields it knows (models.CONTEXT)
        if models.CONTEXT in files:
            self._db.execute(f"CREATE TABLE context AS SELECT * FROM read_parquet("
                             f"{models.literal(str(files[models.CONTEXT]))})")
            self.contextual = frozenset(row[0] for row in self._db.execute(
                "SELECT DISTINCT FIELD FROM context").fetchall())

    def _rows(self, query: str, args: list) -> Scored:
        with self._db.cursor() as cursor:
            return [(item, round(float(score), 6)) for item, score in cursor.execute(query, args).fetchall()]

    def history(self, user_id: str) -> list[str]:
        with self._db.cursor() as cursor:
            return [row[0] for row in cursor.execute("SELECT ITEM_ID FROM history WHERE USER_ID = ?", [user_id])
                    .fetchall()]

    def _context(self, context: dict[str, str] | None) -> list[str]:
        """A call's context as the model knows it: the fields it learnt (by name, any case), the others left out."""
        fields = {name.upper(): name for name in self.contextual}
        return [f"{fields[key.upper()]}{models.SEP}{value}" for key, value in (context or {}).items()
                if key.upper() in fields]

    def for_user(self, user_id: str | None, most: int | None, context: dict[str, str] | None = None) -> Scored:
        """Every item not in the user's history, best first (the first ``most``), scores over the catalogue."""
        pairs = self._context(context)
        if not pairs:
            return self._rows(models.scores_query(*TABLES, ranking=False, limit=most), [user_id])
        return self._rows(models.scores_query(*TABLES, ranking=False, limit=most, context="context"),
                          [user_id, pairs])

    def rank(self, user_id: str | None, items: list[str], context: dict[str, str] | None = None) -> Scored:
        """``items`` best first for the user, scores over the list (items the model never saw score 0)."""
        pairs = self._context(context)
        if not pairs:
            query, args = models.scores_query(*TABLES, ranking=True), [user_id, items]
        else:
            query, args = models.scores_query(*TABLES, ranking=True, context="context"), [user_id, pairs, items]
        return models.unseen_last(self._rows(query, args), items)

    def _grouped(self, query: str, table: str, rows: pa.Table) -> dict:
        """The rows (key, item, score) of a query over a registered table, grouped by key, in their order."""
        out: dict = {}
        with self._db.cursor() as cursor:
            cursor.register(table, rows)
            for key, item, score in cursor.execute(query).fetchall():
                out.setdefault(key, []).append((item, round(float(score), 6)))
        return out

    def for_users(self, user_ids: list[str], most: int) -> dict[str, Scored]:
        """for_user for many users in one query (batch inference): each user's best ``most``."""
        users = pa.table({"USER_ID": pa.array(user_ids, pa.string())})
        found = self._grouped(models.many_scores_query(*TABLES, "users", most), "users", users)
        return {user: found.get(user, []) for user in user_ids}

    def rank_many(self, lists: list[tuple[str, list[str]]]) -> list[Scored]:
        """rank for many (user, items) lists in one query."""
        ks, users, items = [], [], []
        for k, (user_id, listed) in enumerate(lists):
            ks += [k] * len(listed)
            users += [user_id] * len(listed)
            items += listed
        table = pa.table({"k": pa.array(ks, pa.int64()), "USER_ID": pa.array(users, pa.string()),
                          "ITEM_ID": pa.array(items, pa.string())})
        found = self._grouped(models.many_ranking_query(*TABLES, "lists"), "lists", table)
        return [models.unseen_last(found.get(k, []), listed) for k, (_, listed) in enumerate(lists)]

    def related(self, item_id: str, most: int | None) -> Scored:
        """The item's neighbours, best first, then the popular items (never the item itself)."""
        limit = f"LIMIT {int(most)}" if most is not None else ""
        near = self._rows(f'SELECT RELATED_ITEM_ID, score FROM "similar" WHERE ITEM_ID = ? '
                          f"ORDER BY score DESC, RELATED_ITEM_ID {limit}", [item_id])
        return self._then_popular(item_id, near)

    def related_many(self, item_ids: list[str], most: int) -> dict[str, Scored]:
        """related for many items in one query: each item's best ``most``."""
        items = pa.table({"ITEM_ID": pa.array(sorted(set(item_ids)), pa.string())})
        found = self._grouped(f"""SELECT m.ITEM_ID, m.RELATED_ITEM_ID, m.score FROM "similar" m
            WHERE m.ITEM_ID IN (SELECT ITEM_ID FROM items)
            QUALIFY row_number() OVER (PARTITION BY m.ITEM_ID ORDER BY m.score DESC, m.RELATED_ITEM_ID) <= {int(most)}
            ORDER BY m.ITEM_ID, m.score DESC, m.RELATED_ITEM_ID""", "items", items)
        return {item: self._then_popular(item, found.get(item, []), most) for item in item_ids}

    def segments(self, targets: list[list[str]], most: int | None) -> list[list[str]]:
        """For each set of items, the ``most`` users (all with ``None``) most likely to interact with them
        (models.affinity_query), then the users with no affinity, the most active first."""
        ks = [k for k, items in enumerate(targets) for _ in items]
        table = pa.table({"k": pa.array(ks, pa.int64()),
                          "ITEM_ID": pa.array([item for items in targets for item in items], pa.string())})
        limit = 2**62 if most is None else most
        with self._db.cursor() as cursor:
            cursor.register("targets", table)
            found: dict[int, list[str]] = {}
            for k, user in cursor.execute(models.affinity_query('"similar"', "history", "targets", limit)).fetchall():
                found.setdefault(k, []).append(user)
        out = []
        for k in range(len(targets)):
            users = found.get(k, [])
            if most is None or len(users) < most:
                near = set(users)
                rest = (user for user in self._active() if user not in near)
                users += list(rest if most is None else itertools.islice(rest, most - len(users)))
            out.append(users)
        return out

    def _active(self) -> list[str]:
        """Every user of the model, the most interactions first."""
        if self.active is None:
            with self._db.cursor() as cursor:
                self.active = [row[0] for row in cursor.execute(
                    "SELECT USER_ID FROM history GROUP BY USER_ID ORDER BY count(*) DESC, USER_ID").fetchall()]
        return self.active

    def _then_popular(self, item_id: str, near: Scored, most: int | None = None) -> Scored:
        seen = {item for item, _ in near} | {item_id}
        out = near + [(item, score) for item, score in self.popular[:None if most is None else most + len(seen)]
                      if item not in seen]
        return out if most is None else out[:most]


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
        kept = _kept(scored, keep)
        if len(kept) >= wanted or most is None or len(scored) < most:
            return kept[:wanted]
    raise AssertionError("unreachable")


def items_for(source: Source, *, user_id: str | None = None, item_id: str | None = None, num_results: int = 25,
              keep: ItemFilter | None = None, context: dict[str, str] | None = None) -> Scored:
    """The recommended items of ``source``'s model, best first, with their scores (None where AWS shows none);
    ``context`` weighs them for personalized ones (models.CONTEXT)."""
    found = model(source)
    if source.model == "similar":
        scored = _best(lambda most: found.related(item_id, most), num_results, keep)
    elif source.model in ("personalization", "actions"):
        scored = _best(lambda most: found.for_user(user_id, most, context), num_results, keep)
    else:  # popularity, trending: the same items for everyone
        scored = _best(lambda most: found.popular if most is None else found.popular[:most], num_results, keep)
    return scored if source.scored else [(item, None) for item, _ in scored]


def _kept(scored: Scored, keep: ItemFilter) -> Scored:
    allowed = set(keep([item for item, _ in scored]))
    return [pair for pair in scored if pair[0] in allowed]


def many(source: Source, records: list[dict], num_results: int,
         keeps: list[ItemFilter | None] | None = None) -> list[Scored]:
    """What items_for (or ranked, for a ranking model) answers for each of ``records`` (``userId``, ``itemId``,
    ``itemList`` as batch inference input lines hold them), in one query for all; ``keeps`` the filter of
    each record.  A filtered record whose widened candidates keep too few is answered on its own."""
    found = model(source)
    keeps = keeps or [None] * len(records)
    if source.model == "ranking":
        ranked_lists = found.rank_many([(rec["userId"], rec["itemList"]) for rec in records])
        return [scored if keep is None else _kept(scored, keep) for scored, keep in zip(ranked_lists, keeps)]
    most = num_results * WIDEN + SLACK if any(keep is not None for keep in keeps) else num_results
    if source.model == "personalization":
        by_user = found.for_users([rec.get("userId") for rec in records], most)
        candidates = [by_user[rec.get("userId")] for rec in records]

        def everything(rec: dict) -> Scored:
            return found.for_user(rec.get("userId"), None)
    elif source.model == "similar":
        by_item = found.related_many([rec["itemId"] for rec in records], most)
        candidates = [by_item[rec["itemId"]] for rec in records]

        def everything(rec: dict) -> Scored:
            return found.related(rec["itemId"], None)
    else:  # popularity: the same items for everyone
        candidates = [found.popular[:most]] * len(records)

        def everything(rec: dict) -> Scored:
            return found.popular
    out = []
    for rec, scored, keep in zip(records, candidates, keeps):
        if keep is not None:
            kept = _kept(scored, keep)
            scored = kept if len(kept) >= num_results or len(scored) < most else _kept(everything(rec), keep)
        scored = scored[:num_results]
        out.append(scored if source.scored else [(item, None) for item, _ in scored])
    return out


def segments(source: Source, targets: list[list[str]], most: int, keeps: list[Callable | None]) -> list[list[str]]:
    """The user segment of each set of items (batch segment jobs), ``keeps`` the user filter of each."""
    found = model(source)
    wider = most * WIDEN + SLACK if any(keep is not None for keep in keeps) else most
    out = []
    for users, items, keep in zip(found.segments(targets, wider), targets, keeps):
        if keep is not None:
            kept = keep(users)
            users = kept if len(kept) >= most or len(users) < wider else keep(found.segments([items], None)[0])
        out.append(users[:most])
    return out


def next_actions(source: Source, user_id: str, num_results: int, now: float) -> Scored:
    """A user's next best actions: the model's (those not expired by ``now``), then the actions nobody has
    taken yet, score 0, as AWS recommends them before it has action interactions."""
    live = [(action, expires) for action, expires in source.actions if expires is None or expires > now]
    allowed = {action for action, _ in live}
    scored = items_for(source, user_id=user_id, num_results=num_results,
                       keep=lambda actions: [action for action in actions if action in allowed])
    taken = {action for action, _ in model(source).popular}
    cold = [(action, 0.0) for action, _ in live if action not in taken]
    return (scored + cold)[:num_results]


def ranked(source: Source, user_id: str, items: list[str], keep: ItemFilter | None = None,
           context: dict[str, str] | None = None) -> Scored:
    """``items`` ranked for the user (those the filter removes left out)."""
    scored = model(source).rank(user_id, items, context)
    return scored if keep is None else _kept(scored, keep)
