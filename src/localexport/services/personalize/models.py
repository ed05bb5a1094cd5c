"""The models a solution version trains: small, deterministic, explainable, computed by DuckDB.

Input: the solution's interaction records ``events(USER_ID, ITEM_ID, TIMESTAMP)`` (after the
solution's eventType and eventValueThreshold filters) and the catalogue (every item of the
interactions and of the Items dataset).  Output: three tables, written as Parquet files

    popularity(ITEM_ID, score)                 every interacted item; scores in [0, 1], summing to 1
    similar(ITEM_ID, RELATED_ITEM_ID, score)   at most NEIGHBOURS per item; cosine in [0, 1]
    history(USER_ID, ITEM_ID, TIMESTAMP)       each user's latest HISTORY distinct items

and metrics computed on a held-out split.

- popularity (aws-popularity-count): an item's score is the number of distinct users who
  interacted with it, over the sum of those counts for all items.
- trending (aws-trending-now): the same, each user's latest interaction with the item weighted
  by recency, ``0.5 ** (age / half_life)`` with ``age`` from the newest interaction and
  ``half_life`` the trend discovery frequency (30 minutes, 1 hour, 3 hours or 1 day).
- similar (aws-similar-items, aws-sims): item-to-item co-occurrence in user histories, as the
  cosine ``users(a and b) / sqrt(users(a) * users(b))``; the NEIGHBOURS best per item.
- personalization, ranking, affinity and actions (aws-user-personalization(-v2),
  aws-personalized-ranking(-v2), aws-item-affinity, aws-item-attribute-affinity, aws-next-best-action, whose
  "items" are the actions users took):
  a user's raw score of an item is the sum of its similarity to each item of their history,
  plus FALLBACK times its popularity (so a user without history gets the popular items);
  items already in the history are not recommended.  Scores are a user's raw scores over
  their sum across the catalogue, so they lie in [0, 1] and sum to at most 1, as AWS's
  USER_PERSONALIZATION scores do; ranking a list uses the same raw scores.
  Items with no interactions (cold items) have no similarity nor popularity: they score 0.
  A user's affinity to a set of items (user segments) is the same sum the other way round
  (affinity_query); users with none come after, the most active first.

Ties always break by item id, so the same records give the same model.

Metrics: each user with 2 or more interactions keeps their latest 10 % (at least one) apart;
the model trained on the rest recommends K items to each of them (personalization, ranking:
from their history; similar: from their latest remaining item; popularity, trending: the top
items), and the held-out items not already in their history are the relevant ones (at most
EVAL_USERS users, always the same ones for the same ids).  Named as
GetSolutionMetrics names them: coverage (distinct recommended items over the catalogue),
mean_reciprocal_rank_at_25, normalized_discounted_cumulative_gain_at_5/10/25 (binary
relevance) and precision_at_5/10/25, averaged over the held-out users.  The model kept is then
trained on every record.
"""

from __future__ import annotations

from pathlib import Path

from .records import duckdb

HISTORY = 200  # distinct items per user that count (bounds the co-occurrence self-join)
NEIGHBOURS = 100
FALLBACK = 0.01
K = 25
HOLD_OUT = 0.1
EVAL_USERS = 5000  # held-out users the metrics average over (a fixed sample: the lowest md5 of their ids)
TABLES = ("popularity", "similar", "history")
# Contextual metadata (GetRecommendations' ``context``, for the personalization and ranking models): the
# categorical metadata fields of the interactions, as context(FIELD, VALUE, ITEM_ID, share), share an item's
# part of the interactions with that value.  Optional: a model trained without such fields has none.
CONTEXT = "context"
CONTEXTUAL = ("personalization", "ranking")
SEP = "="  # between a context field and its value (field names have no "=")
# Trend discovery frequencies (seconds) the Trending-Now recipe accepts.
FREQUENCIES = {"30 minutes": 1800, "1 hour": 3600, "3 hours": 10800, "1 day": 86400}
DEFAULT_FREQUENCY = "1 day"
USES_SIMILARITY = ("similar", "personalization", "ranking", "affinity", "actions")
EXCLUDES_HISTORY = ("personalization", "ranking", "affinity", "actions")


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _build(con: duckdb.DuckDBPyConnection, src: str, p: str, model: str, half_life: float) -> None:
    """Tables ``{p}_popularity``, ``{p}_similar``, ``{p}_history`` from the records of table ``src``."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {p}_history AS
        SELECT * FROM (SELECT USER_ID, ITEM_ID, max(TIMESTAMP) AS TIMESTAMP FROM {src} GROUP BY USER_ID, ITEM_ID)
        QUALIFY row_number() OVER (PARTITION BY USER_ID ORDER BY TIMESTAMP DESC, ITEM_ID) <= {HISTORY}""")
    if model == "trending":
        weight = f"pow(0.5, ((SELECT max(TIMESTAMP) FROM {p}_history) - TIMESTAMP) / {half_life})"
    else:
        weight = "1.0"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {p}_popularity AS
        WITH w AS (SELECT ITEM_ID, sum({weight}) AS w FROM (
            SELECT USER_ID, ITEM_ID, max(TIMESTAMP) AS TIMESTAMP FROM {src} GROUP BY USER_ID, ITEM_ID) GROUP BY ITEM_ID)
        SELECT ITEM_ID, w / sum(w) OVER () AS score FROM w""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {p}_similar (ITEM_ID INTEGER, RELATED_ITEM_ID INTEGER, score DOUBLE)")
    if model in USES_SIMILARITY:
        con.execute(f"""INSERT INTO {p}_similar
            WITH n AS (SELECT ITEM_ID, count(*) AS n FROM {p}_history GROUP BY ITEM_ID),
            c AS (SELECT a.ITEM_ID, b.ITEM_ID AS RELATED_ITEM_ID, count(*) AS c FROM {p}_history a
                  JOIN {p}_history b ON a.USER_ID = b.USER_ID AND a.ITEM_ID <> b.ITEM_ID GROUP BY ALL)
            SELECT c.ITEM_ID, c.RELATED_ITEM_ID, least(1.0, c.c / sqrt(na.n * nb.n)) AS score FROM c
            JOIN n na ON na.ITEM_ID = c.ITEM_ID JOIN n nb ON nb.ITEM_ID = c.RELATED_ITEM_ID
            QUALIFY row_number() OVER (PARTITION BY c.ITEM_ID ORDER BY score DESC, c.RELATED_ITEM_ID)
                <= {NEIGHBOURS}""")


def _recommend(con: duckdb.DuckDBPyConnection, p: str, model: str, queries: str, out: str) -> None:
    """Table ``out(USER_ID, ITEM_ID, rank)``: the top K items for each user of ``queries(USER_ID, ITEM_ID)``,
    the items their recommendations start from."""
    seen = (f"AND NOT EXISTS (SELECT 1 FROM {p}_history h WHERE h.USER_ID = s.USER_ID AND h.ITEM_ID = s.ITEM_ID)"
            if model in EXCLUDES_HISTORY else "")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {out} AS
        WITH users AS (SELECT DISTINCT USER_ID FROM {queries}),
        co AS (SELECT q.USER_ID, m.RELATED_ITEM_ID AS ITEM_ID, sum(m.score) AS raw FROM {queries} q
               JOIN {p}_similar m ON m.ITEM_ID = q.ITEM_ID GROUP BY ALL),
        top AS (SELECT ITEM_ID FROM {p}_popularity ORDER BY score DESC, ITEM_ID LIMIT {K + HISTORY}),
        cand AS (SELECT USER_ID, ITEM_ID, raw FROM co UNION ALL SELECT USER_ID, ITEM_ID, 0 FROM users, top),
        s AS (SELECT c.USER_ID, c.ITEM_ID, sum(c.raw) + {FALLBACK} * max(coalesce(pop.score, 0)) AS raw
              FROM cand c LEFT JOIN {p}_popularity pop ON pop.ITEM_ID = c.ITEM_ID GROUP BY c.USER_ID, c.ITEM_ID)
        SELECT USER_ID, ITEM_ID, row_number() OVER (PARTITION BY USER_ID ORDER BY raw DESC, ITEM_ID) AS rank
        FROM s WHERE TRUE {seen} QUALIFY rank <= {K}""")


def _metrics(con: duckdb.DuckDBPyConnection, recs: str, test: str) -> dict[str, float]:
    ks = (5, 10, 25)
    hits = ", ".join(f"count(h.rank) FILTER (WHERE h.rank <= {k}) AS h{k}, "
                     f"coalesce(sum(1 / log2(h.rank + 1)) FILTER (WHERE h.rank <= {k}), 0) AS d{k}" for k in ks)
    ideal = ", ".join(f"(SELECT v FROM ideal WHERE m = least(u.n, {k})) AS i{k}" for k in ks)
    averages = ", ".join(f"avg(h{k} / {k}), avg(d{k} / i{k})" for k in ks)
    row = con.execute(f"""
        WITH t AS (SELECT USER_ID, count(*) AS n FROM {test} GROUP BY USER_ID),
        h AS (SELECT r.USER_ID, r.rank FROM {recs} r JOIN {test} USING (USER_ID, ITEM_ID)),
        ideal AS (SELECT j AS m, sum(1 / log2(j + 1)) OVER (ORDER BY j) AS v FROM range(1, {K + 1}) t(j)),
        u AS (SELECT t.USER_ID, t.n, {hits}, coalesce(max(1.0 / h.rank), 0) AS rr
              FROM t LEFT JOIN h USING (USER_ID) GROUP BY t.USER_ID, t.n)
        SELECT count(*), avg(rr), {averages}, (SELECT count(DISTINCT ITEM_ID) FROM {recs}
            WHERE USER_ID IN (SELECT USER_ID FROM t)), (SELECT count(*) FROM catalogue)
        FROM (SELECT *, {ideal} FROM u) u""").fetchone()
    users, values, (recommended, catalogue) = row[0], row[1:-2], row[-2:]
    if not users:
        values = (0.0,) * len(values)
    names = ["mean_reciprocal_rank_at_25"]
    for k in ks:
        names += [f"precision_at_{k}", f"normalized_discounted_cumulative_gain_at_{k}"]
    metrics = {"coverage": recommended / catalogue if catalogue else 0.0}
    metrics.update({name: float(v or 0.0) for name, v in zip(names, values, strict=True)})
    return {name: round(min(1.0, max(0.0, v)), 4) for name, v in sorted(metrics.items())}


def train(con: duckdb.DuckDBPyConnection, model: str, half_life: float, folder: Path) -> tuple[dict[str, Path],
                                                                                            dict[str, float]]:
    """Train on tables ``events`` and ``catalogue``: the model's Parquet files in ``folder``, and its metrics."""
    con.execute("SET preserve_insertion_order = false")  # lets DuckDB spill; every output is ordered anyway
    # users and items as integers (numbered in id order, so ties still break by id): far less to hash and sort
    for table, column in (("item_ids", "ITEM_ID"), ("user_ids", "USER_ID")):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT {column} AS name,
            (row_number() OVER (ORDER BY {column}))::INTEGER AS id FROM (SELECT DISTINCT {column} FROM events)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE coded AS SELECT u.id AS USER_ID, i.id AS ITEM_ID, e.TIMESTAMP
        FROM events e JOIN user_ids u ON u.name = e.USER_ID JOIN item_ids i ON i.name = e.ITEM_ID""")
    con.execute("""CREATE OR REPLACE TEMP TABLE ranked AS SELECT *,
        row_number() OVER (PARTITION BY USER_ID ORDER BY TIMESTAMP, ITEM_ID) AS rn,
        count(*) OVER (PARTITION BY USER_ID) AS n FROM coded""")
    kept = f"(n < 2 OR rn <= n - greatest(1, floor(n * {HOLD_OUT})::BIGINT))"
    con.execute(f"CREATE OR REPLACE TEMP TABLE train AS SELECT USER_ID, ITEM_ID, TIMESTAMP FROM ranked WHERE {kept}")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE test AS SELECT DISTINCT USER_ID, ITEM_ID FROM ranked WHERE NOT {kept}
        EXCEPT SELECT USER_ID, ITEM_ID FROM train""")
    con.execute(f"""DELETE FROM test WHERE USER_ID NOT IN (SELECT id FROM user_ids
        WHERE id IN (SELECT USER_ID FROM test) ORDER BY md5(name), name LIMIT {EVAL_USERS})""")
    _build(con, "train", "e", model, half_life)
    if model in EXCLUDES_HISTORY:
        starts = "SELECT USER_ID, ITEM_ID FROM e_history WHERE USER_ID IN (SELECT USER_ID FROM test)"
    elif model == "similar":
        starts = ("SELECT USER_ID, ITEM_ID FROM e_history WHERE USER_ID IN (SELECT USER_ID FROM test) "
                  "QUALIFY row_number() OVER (PARTITION BY USER_ID ORDER BY TIMESTAMP DESC, ITEM_ID) = 1")
    else:  # the same top items for everyone
        starts = "SELECT DISTINCT USER_ID, NULL::INTEGER AS ITEM_ID FROM test"
    con.execute(f"CREATE OR REPLACE TEMP TABLE starts AS {starts}")
    _recommend(con, "e", model, "starts", "recs")
    metrics = _metrics(con, "recs", "test")
    _build(con, "coded", "m", model, half_life)
    named = {
        "popularity": "SELECT i.name AS ITEM_ID, m.score FROM m_popularity m JOIN item_ids i ON i.id = m.ITEM_ID",
        "similar": "SELECT i.name AS ITEM_ID, r.name AS RELATED_ITEM_ID, m.score FROM m_similar m "
                   "JOIN item_ids i ON i.id = m.ITEM_ID JOIN item_ids r ON r.id = m.RELATED_ITEM_ID",
        "history": "SELECT u.name AS USER_ID, i.name AS ITEM_ID, m.TIMESTAMP FROM m_history m "
                   "JOIN user_ids u ON u.id = m.USER_ID JOIN item_ids i ON i.id = m.ITEM_ID",
    }
    files = {}
    for table in TABLES:
        files[table] = folder / f"{table}.parquet"
        con.execute(f"COPY ({named[table]} ORDER BY ALL) TO {literal(str(files[table]))} (FORMAT parquet)")
    return files, metrics


def scores_query(popularity: str, similar: str, history: str, *, ranking: bool, limit: int | None = None,
                 context: str | None = None) -> str:
    """The SQL of a user's scored items, best first, over the model's three tables (names or ``read_parquet``
    calls); its parameters are the user id, then with ``context`` (the model's context table) the call's
    context as ``FIELD<SEP>VALUE`` strings, then for ``ranking`` the list to rank.  Over the catalogue the
    user's history is left out and the scores sum to at most 1; over a list they are normalised over it.
    A context multiplies an item's raw score by 1 + its share of the interactions in that context, for
    each field the call gives (CONTEXT below)."""
    where = "list_contains(?, p.ITEM_ID)" if ranking else "p.ITEM_ID NOT IN (SELECT ITEM_ID FROM h)"
    cut = f" LIMIT {int(limit)}" if limit is not None else ""
    if context is None:
        cx, factor, join = "", "", ""
    else:
        cx = (f"cx AS (SELECT ITEM_ID, exp(sum(ln(1 + share))) AS f FROM {context} "
              f"WHERE list_contains(?, FIELD || '{SEP}' || VALUE) GROUP BY ITEM_ID),")
        factor, join = " * coalesce(cx.f, 1.0)", " LEFT JOIN cx USING (ITEM_ID)"
    return f"""
        WITH h AS (SELECT ITEM_ID FROM {history} WHERE USER_ID = ?),
        co AS (SELECT RELATED_ITEM_ID AS ITEM_ID, sum(score) AS raw FROM {similar}
               WHERE ITEM_ID IN (SELECT ITEM_ID FROM h) GROUP BY ALL), {cx}
        s AS (SELECT p.ITEM_ID, (coalesce(co.raw, 0) + {FALLBACK} * p.score){factor} AS raw
              FROM {popularity} p LEFT JOIN co USING (ITEM_ID){join} WHERE {where})
        SELECT ITEM_ID, coalesce(raw / nullif(sum(raw) OVER (), 0), 0) AS score FROM s
        ORDER BY score DESC, ITEM_ID{cut}"""


def write_context(con: duckdb.DuckDBPyConnection, query: str, fields: list[str], out: Path) -> Path | None:
    """The model's context table (CONTEXT) from the interaction records ``query``, over its categorical
    metadata ``fields`` (a record of several values, "a|b", counts for each); None without such fields."""
    if not fields:
        return None
    parts = " UNION ALL ".join(
        f"SELECT {literal(name)} AS FIELD, unnest(string_split(\"{name}\"::VARCHAR, '|')) AS VALUE, "
        f"ITEM_ID::VARCHAR AS ITEM_ID FROM ({query}) WHERE \"{name}\" IS NOT NULL" for name in fields)
    con.execute(f"""COPY (SELECT FIELD, VALUE, ITEM_ID, n / sum(n) OVER (PARTITION BY FIELD, VALUE) AS share
        FROM (SELECT FIELD, VALUE, ITEM_ID, count(*) AS n FROM ({parts}) GROUP BY FIELD, VALUE, ITEM_ID)
        ORDER BY ALL) TO {literal(str(out))} (FORMAT parquet)""")
    return out


def many_scores_query(popularity: str, similar: str, history: str, users: str, most: int) -> str:
    """scores_query over the catalogue for every user of table ``users(USER_ID)`` at once (batch inference):
    rows (USER_ID, ITEM_ID, score), each user's best ``most``.  An item out of a user's co-occurrences scores
    FALLBACK times its popularity, so their candidates are those plus the ``most`` + history-size most popular."""
    return f"""
        WITH q AS (SELECT DISTINCT USER_ID FROM {users}),
        h AS (SELECT USER_ID, ITEM_ID FROM {history} JOIN q USING (USER_ID)),
        n AS (SELECT q.USER_ID, count(h.ITEM_ID) AS n FROM q LEFT JOIN h USING (USER_ID) GROUP BY q.USER_ID),
        co AS (SELECT h.USER_ID, m.RELATED_ITEM_ID AS ITEM_ID, sum(m.score) AS raw FROM h
               JOIN {similar} m ON m.ITEM_ID = h.ITEM_ID GROUP BY ALL),
        unseen AS (SELECT * FROM co WHERE NOT EXISTS
                   (SELECT 1 FROM h WHERE h.USER_ID = co.USER_ID AND h.ITEM_ID = co.ITEM_ID)),
        top AS (SELECT ITEM_ID, row_number() OVER (ORDER BY score DESC, ITEM_ID) AS r FROM {popularity}),
        cand AS (SELECT USER_ID, ITEM_ID FROM unseen UNION
                 SELECT n.USER_ID, top.ITEM_ID FROM n JOIN top ON top.r <= {int(most)} + n.n
                 WHERE NOT EXISTS (SELECT 1 FROM h WHERE h.USER_ID = n.USER_ID AND h.ITEM_ID = top.ITEM_ID)),
        s AS (SELECT c.USER_ID, c.ITEM_ID, coalesce(u.raw, 0) + {FALLBACK} * p.score AS raw FROM cand c
              JOIN {popularity} p ON p.ITEM_ID = c.ITEM_ID LEFT JOIN unseen u ON u.USER_ID = c.USER_ID
              AND u.ITEM_ID = c.ITEM_ID),
        seen AS (SELECT h.USER_ID, sum(p.score) AS p FROM h JOIN {popularity} p ON p.ITEM_ID = h.ITEM_ID
                 GROUP BY h.USER_ID),
        total AS (SELECT n.USER_ID, coalesce(c.raw, 0)
                         + {FALLBACK} * ((SELECT sum(score) FROM {popularity}) - coalesce(seen.p, 0)) AS total
                  FROM n LEFT JOIN (SELECT USER_ID, sum(raw) AS raw FROM unseen GROUP BY USER_ID) c USING (USER_ID)
                  LEFT JOIN seen USING (USER_ID))
        SELECT s.USER_ID, s.ITEM_ID, coalesce(s.raw / nullif(t.total, 0), 0) AS score FROM s JOIN total t USING (USER_ID)
        QUALIFY row_number() OVER (PARTITION BY s.USER_ID ORDER BY score DESC, s.ITEM_ID) <= {int(most)}
        ORDER BY s.USER_ID, score DESC, s.ITEM_ID"""


def many_ranking_query(popularity: str, similar: str, history: str, lists: str) -> str:
    """scores_query over lists for every row of table ``lists(k, USER_ID, ITEM_ID)`` (one list per ``k``):
    rows (k, ITEM_ID, score) best first per list; items the model never saw are left out (unseen_last)."""
    return f"""
        WITH l AS (SELECT DISTINCT k, USER_ID, ITEM_ID FROM {lists}),
        co AS (SELECT l.k, l.ITEM_ID, sum(m.score) AS raw FROM l JOIN {history} h ON h.USER_ID = l.USER_ID
               JOIN {similar} m ON m.ITEM_ID = h.ITEM_ID AND m.RELATED_ITEM_ID = l.ITEM_ID GROUP BY ALL),
        s AS (SELECT l.k, l.ITEM_ID, coalesce(co.raw, 0) + {FALLBACK} * p.score AS raw FROM l
              JOIN {popularity} p ON p.ITEM_ID = l.ITEM_ID LEFT JOIN co ON co.k = l.k AND co.ITEM_ID = l.ITEM_ID)
        SELECT k, ITEM_ID, coalesce(raw / nullif(sum(raw) OVER (PARTITION BY k), 0), 0) AS score FROM s
        ORDER BY k, score DESC, ITEM_ID"""


def affinity_query(similar: str, history: str, targets: str, most: int) -> str:
    """The users most likely to interact with each target of table ``targets(k, ITEM_ID)`` (one set of items per
    ``k``; user segmentation): a user's raw affinity is the sum, over their history and the set's items, of the
    item's similarity to the history's (1 for the item itself).  Rows (k, USER_ID), best first per target."""
    return f"""
        WITH q AS (SELECT DISTINCT k, ITEM_ID FROM {targets}),
        near AS (SELECT q.k, m.ITEM_ID AS via, m.score FROM q JOIN {similar} m ON m.RELATED_ITEM_ID = q.ITEM_ID
                 UNION ALL SELECT k, ITEM_ID, 1.0 FROM q),
        a AS (SELECT near.k, h.USER_ID, sum(near.score) AS raw FROM near JOIN {history} h ON h.ITEM_ID = near.via
              GROUP BY ALL)
        SELECT k, USER_ID FROM a QUALIFY row_number() OVER (PARTITION BY k ORDER BY raw DESC, USER_ID) <= {int(most)}
        ORDER BY k, raw DESC, USER_ID"""


def unseen_last(scored: list[tuple[str, float]], items: list[str]) -> list[tuple[str, float]]:
    """A ranked list with the items the model never saw appended, scoring 0."""
    known = {item for item, _ in scored}
    return scored + [(item, 0.0) for item in sorted(set(items) - known)]


def user_scores(con: duckdb.DuckDBPyConnection, files: dict[str, Path], user_id: str,
                items: list[str] | None = None) -> list[tuple[str, float]]:
    """A user's scored items (scores_query) read straight from the model's files; over ``items`` if given."""
    tables = (f"read_parquet({literal(str(files[t]))})" for t in TABLES)
    args = [user_id] if items is None else [user_id, items]
    rows = con.execute(scores_query(*tables, ranking=items is not None), args).fetchall()
    scored = [(item, round(float(score), 6)) for item, score in rows]
    return scored if items is None else unseen_last(scored, items)
