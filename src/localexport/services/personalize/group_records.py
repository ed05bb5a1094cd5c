"""A dataset group's records, loaded for filters and item metadata: Items and Users as tables of an in-memory
DuckDB database, Interactions as each user's latest RECENT events per type, kept up to date with the
datasets' files (a new bulk import or deletion reloads a dataset; new put records are added), for the
latest GROUPS dataset groups used.  A reloaded table is dropped one reload later, so calls still reading it
finish."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import datasets, records, schemas
from . import resources as r
from .errors import invalid
from .records import Segment, duckdb
from .schemas import Field

RECENT = 100  # a user's interactions a filter considers, per event type
GROUPS = 16  # dataset groups whose records are kept loaded
EVENT_COLUMNS = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")  # what filters read of interactions

Recent = dict[str, dict[str | None, list[tuple[int, str]]]]  # user -> event type (lower) -> (time, item), newest first


@dataclass
class Table:
    storage: str  # the dataset's folder (a new dataset, a new folder)
    bulk: tuple[str, ...]  # the live bulk segments loaded
    put: frozenset[str]  # the put segments loaded (keys)
    deleted: tuple[Segment, ...]  # the group's data deletions applied
    fields: dict[str, Field]  # by upper-case name
    version: int  # a new one at each change (what cached answers are keyed by)
    name: str | None = None  # Items, Users: a table of the group's database
    retired: str | None = None  # the table it replaced, kept for the calls still reading it (dropped next time)
    recent: Recent | None = None  # Interactions: each user's latest RECENT per event type


@dataclass
class Group:
    db: Any = field(default_factory=lambda: duckdb.connect(":memory:"))
    lock: threading.Lock = field(default_factory=threading.Lock)  # (loading)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    tables: dict[str, Table] = field(default_factory=dict)  # by dataset type
    # The records a condition matches, by (table version, condition, values): computed once, then a lookup.
    matches: OrderedDict[tuple, frozenset[str]] = field(default_factory=OrderedDict)
    rows: OrderedDict[tuple, dict[str, Any] | None] = field(default_factory=OrderedDict)  # current items


_groups: OrderedDict[tuple[int, str], Group] = OrderedDict()
_groups_lock = threading.Lock()
_versions = itertools.count(1)
MATCHES, ROWS = 64, 1024  # cached match sets and current-item records per group


def group(ctx: RequestContext, group_arn: str) -> Group:
    key = (id(ctx.runtime), group_arn)  # (several instances may live in one process: tests)
    with _groups_lock:
        found = _groups.get(key)
        if found is None:
            found = _groups[key] = Group()
        _groups.move_to_end(key)
        while len(_groups) > GROUPS:
            _groups.popitem(last=False)  # (its database closes once no call uses it)
        return found


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def refresh(ctx: RequestContext, group: Group, group_arn: str, kinds: set[str]) -> None:
    """Bring the group's records of ``kinds`` up to date with the datasets' files: a new bulk import reloads
    a dataset, new put records are added to what is loaded."""
    docs = {d.body["datasetType"]: d for d in r.children_of(ctx, r.DATASET, group_arn)}
    with group.lock:
        for kind in kinds:
            dataset = docs.get(kind)
            if dataset is None:
                old = group.tables.pop(kind, None)
                for name in (old.name, old.retired) if old is not None else ():
                    if name:
                        group.db.execute(f"DROP TABLE IF EXISTS {quote(name)}")
            else:
                _update(ctx, group, kind, dataset)


def _update(ctx: RequestContext, group: Group, kind: str, dataset: Doc) -> None:
    artifacts = ctx.runtime.artifacts
    folder = f"{dataset.body['_storage']}/put"  # the put logs and segments (records.py's layout)
    bulk = tuple(s["key"] for s in dataset.body["_bulk"])
    fields = datasets.fields_of(ctx, dataset)
    deleted = tuple(datasets.deletions_of(ctx, dataset, fields))  # (a new deletion reloads: users go)
    table = group.tables.get(kind)
    same = (table is not None and table.storage == dataset.body["_storage"] and table.bulk == bulk
            and table.deleted == deleted)
    keys = artifacts.keys(folder)
    if same and table.put == frozenset(keys):  # nothing new (no pending log, no new segment)
        return
    if any(k.endswith(".jsonl") for k in keys):  # compacted first, as exports do (the logs are small)
        with artifacts.scratch() as scratch, group.db.cursor() as con:
            datasets.compact(ctx, dataset, con, fields, scratch)
        keys = artifacts.keys(folder)
    put = frozenset(k for k in keys if k.endswith(".parquet"))
    id_field = schemas.dataset_type(kind).id_field
    if same and table.put <= put:  # only new put records: added to what is loaded
        fresh = [Segment(artifacts.path(k), None) for k in sorted(put - table.put)]
        query = records.export_query([], fresh, fields, id_field, "ALL", deleted)
        if kind == "Interactions":
            _add_events(table.recent, group.db, query, table.fields)
        else:  # newer records replace those with the same id
            with group.db.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute(f"CREATE TEMP TABLE fresh AS {query}")
                cur.execute(f"DELETE FROM {quote(table.name)} WHERE {quote(id_field)} IN (SELECT {quote(id_field)} FROM fresh)")
                cur.execute(f"INSERT INTO {quote(table.name)} SELECT * FROM fresh")
                cur.execute("DROP TABLE fresh")
                cur.execute("COMMIT")
        table.put, table.version = put, next(_versions)
        return
    segments = [Segment(artifacts.path(s["key"]), s["ts"]) for s in dataset.body["_bulk"]]
    query = records.export_query(segments, [Segment(artifacts.path(k), None) for k in sorted(put)], fields,
                                 id_field, "ALL", deleted)
    by_name = {f.name.upper(): f for f in fields}
    loaded = Table(dataset.body["_storage"], bulk, put, deleted, by_name, next(_versions))
    if kind == "Interactions":
        loaded.fields = {k: f for k, f in by_name.items() if k in EVENT_COLUMNS}
        loaded.recent = {}
        _add_events(loaded.recent, group.db, query, loaded.fields)
    else:
        loaded.name = f"{kind.lower()}_{loaded.version}"  # a new table: calls reading the old one finish with it
        group.db.execute(f"CREATE TABLE {quote(loaded.name)} AS {query}")
    old = table.retired if table is not None else None
    loaded.retired = table.name if table is not None else None
    group.tables[kind] = loaded
    if old:  # the table before the previous one: the calls that read it have long finished
        group.db.execute(f"DROP TABLE IF EXISTS {quote(old)}")


def _add_events(recent: Recent, db: Any, query: str, fields: dict[str, Field]) -> None:
    """Add interactions to each user's latest RECENT per event type (a user's dict and lists are replaced,
    never changed in place: calls may be reading them)."""
    event = "EVENT_TYPE" if "EVENT_TYPE" in fields else "NULL::VARCHAR"
    distinct = f"SELECT DISTINCT USER_ID, ITEM_ID, lower({event}) AS kind, TIMESTAMP FROM ({query})"
    ranked = (f"SELECT USER_ID, kind, TIMESTAMP, ITEM_ID FROM ({distinct}) QUALIFY row_number() OVER "
              f"(PARTITION BY USER_ID, kind ORDER BY TIMESTAMP DESC, ITEM_ID DESC) <= {RECENT}")
    names: dict[str, str] = {}  # one string per item id, however many users saw it
    grouped: dict[tuple[str, str | None], list[tuple[int, str]]] = {}
    with db.cursor() as cur:
        for user, kind, ts, item in cur.execute(ranked).fetchall():
            grouped.setdefault((user, kind), []).append((ts, names.setdefault(item, item)))
    for (user, kind), found in grouped.items():
        mine = dict(recent.get(user, {}))
        mine[kind] = sorted(set(mine.get(kind, ())) | set(found), reverse=True)[:RECENT]
        recent[user] = mine


def item_metadata(ctx: RequestContext, group_arn: str, item_ids: list[str], columns: list[str]
                  ) -> dict[str, dict[str, str]]:
    """The ``columns`` of the group's Items records of ``item_ids`` (as text; the records filters read, loaded
    once and kept up to date): recommendations' ``metadata``.  InvalidInput for a column Items lacks."""
    records = group(ctx, group_arn)
    refresh(ctx, records, group_arn, {"Items"})
    for attempt in range(3):
        table = records.tables.get("Items")
        if table is None:
            raise invalid(f"The dataset group {group_arn} has no Items dataset to take metadata columns from.")
        missing = [c for c in columns if c.upper() not in table.fields]
        if missing:
            raise invalid(f"The Items dataset has no column {', '.join(missing)}.")
        select = ", ".join(f"{quote(table.fields[c.upper()].name)}::VARCHAR" for c in columns)
        try:
            with records.db.cursor() as cur:
                rows = cur.execute(f"SELECT ITEM_ID::VARCHAR, {select} FROM {quote(table.name)} WHERE ITEM_ID IN "
                                   f"(SELECT unnest(?::VARCHAR[]))", [item_ids]).fetchall()
            break
        except duckdb.CatalogException:  # reloaded meanwhile: read the new table
            if attempt == 2:
                raise
    return {row[0]: {c: v for c, v in zip(columns, row[1:]) if v is not None} for row in rows}
