"""Dataset groups, schemas, datasets and event trackers: Create/Describe/List/Delete."""

from __future__ import annotations

import uuid
from typing import Any

from ...core.artifacts import account_prefix
from ...core.runtime import Operations, RequestContext
from ...core.store import Doc
from . import datasets, schemas
from . import resources as r
from .errors import already_exists, in_use, invalid, limit

op = Operations("personalize")

MAX_DATASET_GROUPS = 5  # active dataset groups per region (an adjustable AWS quota)
MAX_SCHEMAS = 500


def _summary(body: dict[str, Any], *members: str) -> dict[str, Any]:
    return {k: body.get(k) for k in members}


# -- dataset groups --------------------------------------------------------------------


@op("CreateDatasetGroup")
def create_dataset_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    r.check_kms(params)
    if len(r.alive(ctx, r.DATASET_GROUP)) >= MAX_DATASET_GROUPS:
        raise limit(f"You have reached the limit of {MAX_DATASET_GROUPS} dataset groups in this region.")
    body = {k: params.get(k) for k in ("name", "roleArn", "kmsKeyArn", "domain")}
    doc = r.create(ctx, r.DATASET_GROUP, f"dataset-group/{params['name']}", {**body, "_tags": params.get("tags")})
    return {"datasetGroupArn": doc.body["datasetGroupArn"], "domain": params.get("domain")}


@op("DescribeDatasetGroup")
def describe_dataset_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"datasetGroup": r.view(ctx, r.load(ctx, r.DATASET_GROUP, params["datasetGroupArn"]))}


@op("ListDatasetGroups")
def list_dataset_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items = [_summary(r.view(ctx, d), "name", "datasetGroupArn", "status", r.CREATED, r.UPDATED, "failureReason",
                      "domain") for d in r.alive(ctx, r.DATASET_GROUP)]
    chunk, token = r.page_of(items, params, "ListDatasetGroups")
    return {"datasetGroups": chunk, "nextToken": token}


@op("DeleteDatasetGroup")
def delete_dataset_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    if any(r.alive(ctx, kind, doc.key) for kind in (r.DATASET, r.EVENT_TRACKER, r.SOLUTION, r.FILTER,
                                                   r.RECOMMENDER, r.METRIC_ATTRIBUTION)):
        raise in_use(f"Dataset group {params['datasetGroupArn']} still has datasets, event trackers, solutions, "
                     "recommenders, filters or a metric attribution; delete them first.")
    r.delete(ctx, r.DATASET_GROUP, doc)
    for deletion in doc.body.get("_deletions", []):  # its data deletion jobs' user lists go with it
        ctx.runtime.artifacts.delete(deletion["key"])
    return {}


# -- schemas ---------------------------------------------------------------------------


@op("CreateSchema")
def create_schema(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    schemas.parse(params["schema"])
    if len(r.alive(ctx, r.SCHEMA)) >= MAX_SCHEMAS:
        raise limit(f"You have reached the limit of {MAX_SCHEMAS} schemas in this region.")
    body = {k: params.get(k) for k in ("name", "schema", "domain")}
    doc = r.create(ctx, r.SCHEMA, f"schema/{params['name']}", body)
    return {"schemaArn": doc.body["schemaArn"]}


@op("DescribeSchema")
def describe_schema(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"schema": r.view(ctx, r.load(ctx, r.SCHEMA, params["schemaArn"]))}


@op("ListSchemas")
def list_schemas(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items = [_summary(r.view(ctx, d), "name", "schemaArn", r.CREATED, r.UPDATED, "domain")
             for d in r.alive(ctx, r.SCHEMA)]
    chunk, token = r.page_of(items, params, "ListSchemas")
    return {"schemas": chunk, "nextToken": token}


@op("DeleteSchema")
def delete_schema(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.SCHEMA, params["schemaArn"])
    users = [d.body["datasetArn"] for d in r.alive(ctx, r.DATASET) if d.body["schemaArn"] == params["schemaArn"]]
    if users:
        raise in_use(f"Schema {params['schemaArn']} is used by dataset {users[0]}.")
    ctx.store.remove(r.scope(ctx), r.SCHEMA.kind, doc.key)
    return {}


# -- datasets --------------------------------------------------------------------------


def tracker_of(ctx: RequestContext, group_key: str) -> Doc | None:
    found = r.alive(ctx, r.EVENT_TRACKER, group_key)
    return found[0] if found else None


@op("CreateDataset")
def create_dataset(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind = schemas.dataset_type(params["datasetType"])
    group = r.load_active(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    schema = r.load(ctx, r.SCHEMA, params["schemaArn"])
    domain = group.body.get("domain")
    if domain and not kind.exportable:  # Actions / Action interactions
        raise invalid(f"A {domain} domain dataset group cannot have a {kind.name} dataset.")
    if schema.body.get("domain") != domain:
        raise invalid(f"The schema's domain ({schema.body.get('domain') or 'none'}) does not match the dataset "
                      f"group's domain ({domain or 'none'}).")
    schemas.check_for_dataset(schema.body["schema"], kind, domain)
    body = {
        "name": params["name"], "datasetGroupArn": params["datasetGroupArn"], "datasetType": kind.name,
        "schemaArn": params["schemaArn"], "_tags": params.get("tags"),
        "_storage": f"{account_prefix(ctx.account)}/personalize/{ctx.region}/{uuid.uuid4().hex}", "_bulk": [],
    }
    doc = r.create(ctx, r.DATASET, f"dataset/{group.key.split('/', 1)[1]}/{kind.arn_part}", body, parent=group.key)
    return {"datasetArn": doc.body["datasetArn"]}


def _dataset_view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    body = r.view(ctx, doc)
    if body["datasetType"] == "Interactions":
        tracker = tracker_of(ctx, doc.parent)
        body["trackingId"] = tracker.body["trackingId"] if tracker else None
    return body


@op("DescribeDataset")
def describe_dataset(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": _dataset_view(ctx, r.load(ctx, r.DATASET, params["datasetArn"]))}


@op("ListDatasets")
def list_datasets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = params.get("datasetGroupArn")
    docs = r.children_of(ctx, r.DATASET, group) if group else r.alive(ctx, r.DATASET)
    items = [_summary(r.view(ctx, d), "name", "datasetArn", "datasetType", "status", r.CREATED, r.UPDATED)
             for d in docs]
    chunk, token = r.page_of(items, params, ["ListDatasets", group])
    return {"datasets": chunk, "nextToken": token}


@op("DeleteDataset")
def delete_dataset(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = r.load(ctx, r.DATASET, params["datasetArn"])
    for job in ctx.store.jobs(r.scope(ctx), states=("queued", "running")):
        of_group = job.kind in (datasets.TRAINING, datasets.DELETION) and \
            job.spec["datasetGroupArn"] == doc.body["datasetGroupArn"]  # (they read every dataset of the group)
        if job.spec.get("datasetArn") == params["datasetArn"] or of_group:
            raise in_use(f"Dataset {params['datasetArn']} has a job in progress: {job.spec['arn']}.")
    r.delete(ctx, r.DATASET, doc)
    ctx.runtime.artifacts.delete_tree(doc.body["_storage"])
    return {}


# -- event trackers --------------------------------------------------------------------


@op("CreateEventTracker")
def create_event_tracker(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = r.load_active(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    if tracker_of(ctx, group.key) is not None:
        raise limit(f"Dataset group {params['datasetGroupArn']} already has an event tracker; a dataset group can "
                    "have one.")
    tracking_id = str(uuid.uuid4())
    body = {"name": params["name"], "datasetGroupArn": params["datasetGroupArn"], "accountId": ctx.account,
            "trackingId": tracking_id, "_tags": params.get("tags")}
    same_name = [t for t in r.alive(ctx, r.EVENT_TRACKER) if t.body["name"] == params["name"]]
    if same_name:
        raise already_exists(same_name[0].body["eventTrackerArn"])
    doc = r.create(ctx, r.EVENT_TRACKER, f"event-tracker/{uuid.uuid4().hex[:8]}", body, parent=group.key)
    return {"eventTrackerArn": doc.body["eventTrackerArn"], "trackingId": tracking_id}


@op("DescribeEventTracker")
def describe_event_tracker(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"eventTracker": r.view(ctx, r.load(ctx, r.EVENT_TRACKER, params["eventTrackerArn"]))}


@op("ListEventTrackers")
def list_event_trackers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = params.get("datasetGroupArn")
    docs = r.children_of(ctx, r.EVENT_TRACKER, group) if group else r.alive(ctx, r.EVENT_TRACKER)
    items = [_summary(r.view(ctx, d), "name", "eventTrackerArn", "status", r.CREATED, r.UPDATED) for d in docs]
    chunk, token = r.page_of(items, params, ["ListEventTrackers", group])
    return {"eventTrackers": chunk, "nextToken": token}


@op("DeleteEventTracker")
def delete_event_tracker(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    r.delete(ctx, r.EVENT_TRACKER, r.load(ctx, r.EVENT_TRACKER, params["eventTrackerArn"]))
    return {}


def find_tracker(ctx: RequestContext, tracking_id: str) -> Doc | None:
    return next((t for t in r.alive(ctx, r.EVENT_TRACKER) if t.body["trackingId"] == tracking_id), None)
