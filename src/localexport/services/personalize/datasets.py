"""A dataset's records in the artifact store: the live bulk segments its document
lists, files retired by a FULL import (removed once no job may still read them),
and the put logs and their compacted segments (found by listing its ``put/`` folder)."""

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
    the put logs compacted first; and the dataset's fields."""
    fields = fields_of(ctx, dataset)
    if mode != "BULK":
        compact(ctx, dataset, con, fields, scratch)
    kind = schemas.dataset_type(dataset.body["datasetType"])
    return records.export_query(bulk_segments(ctx, dataset), put_segments(ctx, dataset), fields, kind.id_field,
                                mode), fields


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
    """The jobs that may be reading a dataset's segments: its exports, and its group's trainings."""
    return [*jobs.active(ctx, EXPORT, dataset_arn),
            *(job for job in jobs.active(ctx, TRAINING) if job.spec["datasetGroupArn"] == group_arn)]


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
