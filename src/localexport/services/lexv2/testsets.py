"""Test sets of the Lex V2 test workbench: the resource, its records, and the
import/export steps the import and export jobs call."""

from __future__ import annotations

from typing import Any

from ...core.jobs import JobFailed
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import Doc
from . import resources as r
from .errors import validation
from .handlers import op

TEST_SET = r.Resource("test_set", "Test set", "testSetId", "testSetName", (),
                      {"TestSetName": "testSetName", "LastUpdatedDateTime": r.UPDATED}, {}, "testSetName")
RECORDS = "test_set_records"  # one document per test set, apart so Describe does not read them


def load(ctx: RequestContext, test_set_id: str) -> Doc:
    return r.load(ctx, TEST_SET, {"testSetId": test_set_id})


def records_of(ctx: RequestContext, test_set_id: str) -> list[dict[str, Any]]:
    doc = ctx.store.get(ctx.scope, RECORDS, test_set_id)
    return doc.body["records"] if doc else []


def import_records(ctx: RequestContext, spec: dict[str, Any], strategy: str,
                   records: list[dict[str, Any]]) -> dict[str, Any]:
    """Create (or, with Overwrite, replace) the test set ``spec`` names, holding ``records``."""
    name = spec["testSetName"]
    existing = ctx.store.find(ctx.scope, TEST_SET.kind, None, name)
    if existing is not None and strategy == "FailOnConflict":
        raise JobFailed(f"A test set named {name} already exists; nothing was imported (merge strategy "
                        "FailOnConflict).")
    fields = {k: spec.get(k) for k in ("testSetName", "description", "roleArn", "storageLocation", "modality",
                                        "testSetTags")}
    fields.update(status="Ready", numTurns=len(records))
    now = ctx.clock.now()
    if existing is None:
        body = r.create(ctx, TEST_SET, fields, ctx.ids.short())
        ctx.store.put(ctx.scope, Doc(RECORDS, body["testSetId"], None, None, {"records": records}, now, now))
    else:
        body = r.save(ctx, existing, {**existing.body, **fields, r.UPDATED: now})
        ctx.store.replace(ctx.scope, Doc(RECORDS, body["testSetId"], None, None, {"records": records}, now, now))
    return {"importedResourceId": body["testSetId"], "importedResourceName": name}


@op("DescribeTestSet")
def describe_test_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return load(ctx, params["testSetId"]).body


@op("ListTestSets")
def list_test_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = [d.body for d in ctx.store.all(ctx.scope, TEST_SET.kind)]
    items, token = r.listing(ctx, TEST_SET, params, docs)
    return {"testSets": items, "nextToken": token}


@op("ListTestSetRecords")
def list_test_set_records(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    load(ctx, params["testSetId"])
    try:
        chunk, token = page(records_of(ctx, params["testSetId"]), params.get("maxResults", 50),
                            params.get("nextToken"), params["testSetId"])
    except InvalidToken as error:
        raise validation(str(error)) from None
    return {"testSetRecords": chunk, "nextToken": token}


@op("UpdateTestSet")
def update_test_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = load(ctx, params["testSetId"])
    return r.replace(ctx, TEST_SET, doc, {**doc.body, "description": None, **params})


@op("DeleteTestSet")
def delete_test_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = load(ctx, params["testSetId"])
    with ctx.store.transaction():
        r.remove(ctx, TEST_SET, doc)
        ctx.store.remove(ctx.scope, RECORDS, doc.key)
    return {}
