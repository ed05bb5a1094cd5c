"""Metric attributions: CreateMetricAttribution, DescribeMetricAttribution, ListMetricAttributions,
ListMetricAttributionMetrics, UpdateMetricAttribution, DeleteMetricAttribution.

A metric attribution is a document (``metric-attribution/<name>``, child of its dataset group; one per
group, as the developer guide's "Measuring impact of recommendations" allows) holding up to 10 metrics:
an event type and an expression, ``SUM(Interactions.<column>)``, ``SUM(Items.<column>)`` (a numeric
column of that dataset) or ``SAMPLECOUNT()``.  The reports AWS publishes from them (CloudWatch, or
S3 with ``publishAttributionMetricsToS3`` imports) are not computed here.
"""

from __future__ import annotations

import re
from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import datasets, imports, schemas
from . import resources as r
from .errors import invalid, limit
from .handlers import op

MAX_METRICS = 10
SUMMARY = ("name", "metricAttributionArn", "status", r.CREATED, r.UPDATED, "failureReason")
_EXPRESSION = re.compile(r"\s*(?:SUM\(\s*(Interactions|Items)\.([A-Za-z_][A-Za-z0-9_]*)\s*\)|SAMPLECOUNT\(\s*\))\s*",
                         re.IGNORECASE)


def _check_metrics(ctx: RequestContext, group_arn: str, metrics: list[dict[str, Any]],
                   new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``metrics`` if they fit a metric attribution; the ``new`` ones' expressions are checked against the
    group's datasets as they are now ("to apply a SUM() function to a column in an Items dataset, you must
    first import item metadata"), those already accepted are not checked again."""
    if not 1 <= len(metrics) <= MAX_METRICS:
        raise invalid(f"A metric attribution has between 1 and {MAX_METRICS} metrics.")
    names = [m["metricName"] for m in metrics]
    if len(set(names)) != len(names):
        raise invalid("Each metric of a metric attribution needs its own metricName.")
    for metric in new:
        found = _EXPRESSION.fullmatch(metric["expression"])
        if found is None:
            raise invalid(f"Invalid expression {metric['expression']}: use SUM(Interactions.<column>), "
                          "SUM(Items.<column>) or SAMPLECOUNT().")
        kind, column = found.groups()
        if kind:
            kind = kind.capitalize()
            dataset = datasets.of_group(ctx, group_arn, kind)
            if dataset is None:
                raise invalid(f"{metric['expression']} sums a column of the {kind} dataset, which dataset group "
                              f"{group_arn} does not have yet.")
            fields = {f.name: f for f in datasets.fields_of(ctx, dataset)}
            if column not in fields or fields[column].type not in schemas.NUMERIC:
                raise invalid(f"{kind}.{column} is not a numeric column of the {kind} dataset.")
    return metrics


def _check_output(config: dict[str, Any]) -> dict[str, Any]:
    destination = config.get("s3DataDestination")
    if destination:
        imports.check_path(destination["path"])
    return config


@op("CreateMetricAttribution")
def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = r.load_active(ctx, r.DATASET_GROUP, params["datasetGroupArn"])
    body = {"name": params["name"], "datasetGroupArn": params["datasetGroupArn"],
            "metricsOutputConfig": _check_output(params["metricsOutputConfig"]),
            "_metrics": _check_metrics(ctx, params["datasetGroupArn"], params["metrics"], params["metrics"])}
    with ctx.store.transaction():  # (one per group, even for two calls at once)
        existing = r.alive(ctx, r.METRIC_ATTRIBUTION, group.key)
        if existing:
            raise limit(f"Dataset group {params['datasetGroupArn']} already has a metric attribution: "
                        f"{existing[0].body['metricAttributionArn']}.")
        doc = r.create(ctx, r.METRIC_ATTRIBUTION, f"metric-attribution/{params['name']}", body, parent=group.key)
    return {"metricAttributionArn": doc.body["metricAttributionArn"]}


@op("DescribeMetricAttribution")
def describe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"metricAttribution": r.view(ctx, r.load(ctx, r.METRIC_ATTRIBUTION, params["metricAttributionArn"]))}


@op("ListMetricAttributions")
def list_attributions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = r.of_groups(ctx, r.METRIC_ATTRIBUTION, params, SUMMARY, "ListMetricAttributions")
    return {"metricAttributions": chunk, "nextToken": token}


def _load(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    if not params.get("metricAttributionArn"):
        raise invalid("metricAttributionArn is required.")
    return r.load(ctx, r.METRIC_ATTRIBUTION, params["metricAttributionArn"])


@op("ListMetricAttributionMetrics")
def list_metrics(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _load(ctx, params)
    chunk, token = r.page_of(doc.body["_metrics"], params, ["ListMetricAttributionMetrics", doc.key])
    return {"metrics": chunk, "nextToken": token}


@op("UpdateMetricAttribution")
def update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = _load(ctx, params).body["metricAttributionArn"]
    doc = r.load_active(ctx, r.METRIC_ATTRIBUTION, arn)
    metrics = list(doc.body["_metrics"])
    names = {m["metricName"] for m in metrics}
    unknown = [name for name in params.get("removeMetrics") or [] if name not in names]
    if unknown:
        raise invalid(f"The metric attribution {arn} has no metric {', '.join(unknown)}.")
    metrics = [m for m in metrics if m["metricName"] not in set(params.get("removeMetrics") or [])]
    added = params.get("addMetrics") or []
    metrics += added
    body = {**doc.body, "_metrics": _check_metrics(ctx, doc.body["datasetGroupArn"], metrics, added),
            r.UPDATED: ctx.clock.now()}
    if params.get("metricsOutputConfig"):
        body["metricsOutputConfig"] = _check_output(params["metricsOutputConfig"])
    r.save(ctx, doc, body)
    return {"metricAttributionArn": arn}


@op("DeleteMetricAttribution")
def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    r.delete(ctx, r.METRIC_ATTRIBUTION, r.load(ctx, r.METRIC_ATTRIBUTION, params["metricAttributionArn"]))
    return {}
