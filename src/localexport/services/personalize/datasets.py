"""A dataset's records as its document tracks them: the live bulk segments, and
files retired by a FULL import, removed once no job may still read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import jobs
from . import resources as r
from .records import Segment

EXPORT = "personalize.dataset-export"


def now_ns(ctx: RequestContext) -> int:
    """Arrival times of records, bulk and put alike, on the instance's clock."""
    return int(ctx.clock.now() * 1_000_000_000)


def folder(ctx: RequestContext, dataset: Doc) -> Path:
    return ctx.runtime.artifacts.folder(dataset.body["_storage"])


def bulk_segments(ctx: RequestContext, dataset: Doc) -> list[Segment]:
    return [Segment(ctx.runtime.artifacts.path(s["key"]), s["ts"]) for s in dataset.body["_bulk"]]


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


def sweep(ctx: RequestContext, dataset_arn: str, running: str | None = None) -> None:
    """Delete retired segment files once no export of the dataset (but ``running``, the caller) is running."""
    if any(job.id != running for job in jobs.active(ctx, EXPORT, dataset_arn)):
        return
    with ctx.store.transaction():
        doc = r.find(ctx, r.DATASET, dataset_arn)
        if doc is None or not doc.body.get("_retired"):
            return
        for key in doc.body["_retired"]:
            ctx.runtime.artifacts.delete(key)
        r.save(ctx, doc, {**doc.body, "_retired": []})
