"""A dataset's records in the artifact store: the live bulk segments its document
lists, files retired by a FULL import (removed once no job may still read them),
and the put logs and their compacted segments (found by listing its ``put/`` folder);
and the users its dataset group's data deletion jobs deleted, which the group's
document lists (``_deletions``) and every reader of records leaves out."""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import jobs, records, schemas
from . import resources as r
from .records import Segment
from .schemas import Field

if TYPE_CHECKING:
    import duckdb

EXPORT = "personalize.dataset-export"
TRAINING = "personalize.solution-version"  # (training.py's jobs, which read the records too)
DELETION = "personalize.data-deletion"  # (deletion.py's jobs, which count them)


def now_ns(ctx: RequestContext) -> int:
    """Arrival times of records, bulk and put alike, on the instance's clock."""
    return int(ctx.clock.now() * 1_000_000_000)


def fields_of(ctx: RequestContext, dataset: Doc) -> list[Field]:
    schema = r.load(ctx, r.SCHEMA, dataset.body["schemaArn"])
    return schemas.parse(schema.body["schema"])[1]


def of_group(ctx: RequestContext, group_arn: str, dataset_type: str) -> Doc | None:
    """The group's dataset of a type (Interactions, Items, Users, ...), if it has one."""
    return next((d for d in r.children_of(ctx, r.DATASET, group_arn) if d.body["datasetType"] == dataset_type), None)


def records_query(ctx: RequestContext, dataset: Doc, con: duckdb.DuckDBPyConnection, scratch: Path,
                  mode: str = "ALL") -> tuple[str, list[Field]]:
    """The query of the dataset's records an ingestion mode selects (BULK, PUT, ALL: records.export_query),
    the put logs compacted first, without the records of users deleted after they arrived; and the
    dataset's fields."""
    fields = fields_of(ctx, dataset)
    if mode != "BULK":
        compact(ctx, dataset, con, fields, scratch)
    kind = schemas.dataset_type(dataset.body["datasetType"])
    return records.export_query(bulk_segments(ctx, dataset), put_segments(ctx, dataset), fields, kind.id_field,
                                mode, deletions_of(ctx, dataset, fields)), fields


def whole_segment(ctx: RequestContext, dataset: Doc, mode: str) -> Path | None:
    """The one file an export in ``mode`` reads whole and in its order, if it is so (``records.whole_segment``)."""
    fields = fields_of(ctx, dataset)
    return records.whole_segment(bulk_segments(ctx, dataset), mode, deletions_of(ctx, dataset, fields), fields)


# -- deleted users ---------------------------------------------------------------------


def has_users(fields: list[Field]) -> bool:
    """Whether a dataset's records belong to users (Interactions, Users, Action interactions)."""
    return any(f.name == records.USER_ID for f in fields)


def deletions_of(ctx: RequestContext, dataset: Doc, fields: list[Field]) -> list[Segment]:
    """The committed deletions of the dataset's group that apply to its records (none to Items or Actions)."""
    if not has_users(fields):
        return []
    group = r.find(ctx, r.DATASET_GROUP, dataset.body["datasetGroupArn"])
    found = group.body.get("_deletions", []) if group is not None else []
    return [Segment(ctx.runtime.artifacts.path(d["key"]), d["ts"]) for d in found]


def deleted_count(ctx: RequestContext, dataset: Doc, con: duckdb.DuckDBPyConnection, scratch: Path,
                  deletion: Segment) -> int:
    """How many of the dataset's records ``deletion`` (not committed yet) deletes: its bulk records and
    its put records (as BULK and PUT exports count them) that the deletions before it left.

    Both counts read the same segments, so records arriving meanwhile count in neither."""
    fields = fields_of(ctx, dataset)
    if not has_users(fields):
        return 0
    compact(ctx, dataset, con, fields, scratch)
    kind = schemas.dataset_type(dataset.body["datasetType"])
    bulk, put, before = bulk_segments(ctx, dataset), put_segments(ctx, dataset), deletions_of(ctx, dataset, fields)

    def count(mode: str, deleted: list[Segment]) -> str:
        return f"(SELECT count(*) FROM ({records.export_query(bulk, put, fields, kind.id_field, mode, deleted)}))"

    after = [*before, deletion]
    return int(con.execute(f"SELECT {count('BULK', before)} - {count('BULK', after)} + {count('PUT', before)} - "
                           f"{count('PUT', after)}").fetchall()[0][0])


def commit_deletion(ctx: RequestContext, group_arn: str, deletion: dict[str, Any]) -> dict[str, Any] | None:
    """Make a deletion (``key`` of its USER_ID file, ``ts``, what the job reports) part of its dataset group,
    in one transaction: from then on no reader sees the records it deletes.  Committing the same file twice
    (a job re-run after a crash) changes nothing.  Returns the committed deletion (the first one, if committed
    before), None if the group is gone."""
    with ctx.store.transaction():
        group = r.find(ctx, r.DATASET_GROUP, group_arn)
        if group is None:
            return None
        done = group.body.get("_deletions", [])
        earlier = next((d for d in done if d["key"] == deletion["key"]), None)
        if earlier is not None:
            return earlier
        r.save(ctx, group, {**group.body, "_deletions": [*done, deletion]})  # (not an update of the group itself)
        return deletion


def committed_deletion(ctx: RequestContext, group_arn: str, key: str) -> dict[str, Any] | None:
    group = r.find(ctx, r.DATASET_GROUP, group_arn)
    return next((d for d in group.body.get("_deletions", []) if d["key"] == key), None) if group else None


def bulk_segments(ctx: RequestContext, dataset: Doc) -> list[Segment]:
    return [Segment(ctx.runtime.artifacts.path(s["key"]), s["ts"]) for s in dataset.body["_bulk"]]


def _put(dataset: Doc) -> str:
    return f"{dataset.body['_storage']}/put"


def append(ctx: RequestContext, dataset: Doc, rows: list[dict[str, Any]]) -> None:
    """Store records of PutEvents/PutItems/...: each call its own log, as no artifact is ever appended to."""
    now = now_ns(ctx)
    with ctx.runtime.artifacts.writer(f"{_put(dataset)}/{now:020d}-{uuid.uuid4().hex}.jsonl") as out:
        out.write(records.log_lines(rows, now))


_compacting: dict[str, threading.Lock] = {}
_compacting_guard = threading.Lock()


def compact(ctx: RequestContext, dataset: Doc, con: duckdb.DuckDBPyConnection, fields: list[Field], scratch: Path) -> None:
    """Compact the put logs written so far into one Parquet segment, named after the last of them (and unique).

    Logs are deleted only once their segment is published: a crash in between, or another process
    compacting the same logs at once, leaves their records twice, which exports read as once (put
    records are deduplicated)."""
    artifacts = ctx.runtime.artifacts
    with _compacting_guard:
        lock = _compacting.setdefault(dataset.body["_storage"], threading.Lock())
    with lock:
        logs = [key for key in artifacts.keys(_put(dataset)) if key.endswith(".jsonl")]
        if not logs:
            return
        joined = scratch / "put.jsonl"
        with open(joined, "wb") as out:
            for key in logs:
                try:
                    with artifacts.open(key) as log:
                        shutil.copyfileobj(log, out)
                except FileNotFoundError:  # compacted meanwhile by another process, whose segment is published
                    pass
        if joined.stat().st_size:
            segment = scratch / "put.parquet"
            records.compact_logs(con, joined, fields, segment)
            # a name of its own: another process compacting some of the same logs publishes beside it, never over it
            artifacts.publish(segment, logs[-1].removesuffix(".jsonl") + f"-{uuid.uuid4().hex}.parquet")
        for key in logs:
            artifacts.delete(key)


def put_segments(ctx: RequestContext, dataset: Doc) -> list[Segment]:
    artifacts = ctx.runtime.artifacts
    return [Segment(artifacts.path(key), None) for key in artifacts.keys(_put(dataset)) if key.endswith(".parquet")]


def commit_bulk(ctx: RequestContext, dataset_arn: str, segment: dict[str, Any], full: bool) -> None:
    """Make an imported segment live: FULL replaces the bulk data, INCREMENTAL adds to it.
    Committing the same segment twice (a job re-run after a crash) changes nothing."""
    with ctx.store.transaction():
        doc = r.load(ctx, r.DATASET, dataset_arn)
        bulk = doc.body["_bulk"]
        if any(s["key"] == segment["key"] for s in bulk):
            return
        retired = list(doc.body.get("_retired", []))
        if full:
            retired += [s["key"] for s in bulk]
            bulk = [segment]
        else:
            bulk = [*bulk, segment]
        r.save(ctx, doc, {**doc.body, "_bulk": bulk, "_retired": retired, r.UPDATED: ctx.clock.now()})


def _readers(ctx: RequestContext, dataset_arn: str, group_arn: str) -> list:
    """The jobs that may be reading a dataset's segments: its exports, and its group's trainings and data
    deletion jobs."""
    return [*jobs.active(ctx, EXPORT, dataset_arn),
            *(job for kind in (TRAINING, DELETION) for job in jobs.active(ctx, kind)
              if job.spec["datasetGroupArn"] == group_arn)]


def sweep(ctx: RequestContext, dataset_arn: str, running: str | None = None) -> None:
    """Delete retired segment files once no job reading the dataset (but ``running``, the caller) runs."""
    found = r.find(ctx, r.DATASET, dataset_arn)
    if found is None or any(job.id != running for job in _readers(ctx, dataset_arn, found.body["datasetGroupArn"])):
        return
    with ctx.store.transaction():
        doc = r.find(ctx, r.DATASET, dataset_arn)
        if doc is None or not doc.body.get("_retired"):
            return
        for key in doc.body["_retired"]:
            ctx.runtime.artifacts.delete(key)
        r.save(ctx, doc, {**doc.body, "_retired": []})
