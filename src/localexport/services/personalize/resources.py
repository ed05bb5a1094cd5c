"""Personalize resources (dataset groups, schemas, datasets, event trackers, solutions, campaigns): ARNs,
documents and their settling statuses.

A document's key is the resource part of its ARN (``dataset/Group/INTERACTIONS``),
so an ARN finds its document directly.  Bodies hold the members Describe* returns;
fields starting with ``_`` are internal.  personalize-events calls read the
same documents, so everything here is in the ``personalize`` scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core import statuses
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext
from ...core.store import AlreadyExists, Doc, Scope
from .errors import already_exists, in_use, invalid, invalid_token, not_found

SERVICE = "personalize"
CREATED, UPDATED = "creationDateTime", "lastUpdatedDateTime"
ACTIVE = "ACTIVE"
GONE = "_gone"  # where DELETE PENDING settles: the document is then treated as absent
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class Kind:
    kind: str
    label: str
    arn_field: str
    arn_part: str  # dataset-group, schema, ...
    has_status: bool = True


DATASET_GROUP = Kind("dataset_group", "dataset group", "datasetGroupArn", "dataset-group")
SCHEMA = Kind("schema", "schema", "schemaArn", "schema", has_status=False)
DATASET = Kind("dataset", "dataset", "datasetArn", "dataset")
EVENT_TRACKER = Kind("event_tracker", "event tracker", "eventTrackerArn", "event-tracker")
SOLUTION = Kind("solution", "solution", "solutionArn", "solution")
CAMPAIGN = Kind("campaign", "campaign", "campaignArn", "campaign")
FILTER = Kind("filter", "filter", "filterArn", "filter")
METRIC_ATTRIBUTION = Kind("metric_attribution", "metric attribution", "metricAttributionArn", "metric-attribution")
# (a recommender's status is its training's, then what Stop/StartRecommender make it: recommenders.py)
RECOMMENDER = Kind("recommender", "recommender", "recommenderArn", "recommender", has_status=False)


def scope(ctx: RequestContext) -> Scope:
    return Scope(ctx.account, ctx.region, SERVICE)


def arn(ctx: RequestContext, resource: str) -> str:
    return f"arn:aws:personalize:{ctx.region}:{ctx.account}:{resource}"


def key_of(ctx: RequestContext, kind: Kind, value: str) -> str:
    """The document key of an ARN of ``kind`` (NotFound when the ARN names another account,
    region or kind: those resources cannot be here)."""
    prefix = arn(ctx, kind.arn_part + "/")
    if not value.startswith(prefix):
        raise not_found(value)
    return value.split(":", 5)[5]


def view(ctx: RequestContext, doc: Doc) -> dict[str, Any]:
    body = statuses.settle(doc.body, ctx.clock.now())
    return {k: v for k, v in body.items() if not k.startswith("_")}


def _alive(ctx: RequestContext, doc: Doc | None) -> Doc | None:
    if doc is None:
        return None
    body = statuses.settle(doc.body, ctx.clock.now())
    if body.get("status") == GONE:
        ctx.store.remove(scope(ctx), doc.kind, doc.key)
        return None
    return doc


def find(ctx: RequestContext, kind: Kind, value: str) -> Doc | None:
    return _alive(ctx, ctx.store.get(scope(ctx), kind.kind, key_of(ctx, kind, value)))


def load(ctx: RequestContext, kind: Kind, value: str) -> Doc:
    doc = find(ctx, kind, value)
    if doc is None:
        raise not_found(value)
    return doc


def load_active(ctx: RequestContext, kind: Kind, value: str) -> Doc:
    """A resource that must be ACTIVE for the call (ResourceInUse while it is pending)."""
    doc = load(ctx, kind, value)
    status = view(ctx, doc).get("status")
    if status != ACTIVE:
        raise in_use(f"The {kind.label} {value} is {status}; it must be ACTIVE.")
    return doc


def alive(ctx: RequestContext, kind: Kind, parent: str | None = None) -> list[Doc]:
    docs = ctx.store.children(scope(ctx), kind.kind, parent) if parent else ctx.store.all(scope(ctx), kind.kind)
    return [d for d in docs if _alive(ctx, d) is not None]


def children_of(ctx: RequestContext, kind: Kind, group_arn: str) -> list[Doc]:
    """The ``kind`` resources of a dataset group (none for a group that does not exist: List*
    calls declare no ResourceNotFoundException)."""
    prefix = arn(ctx, DATASET_GROUP.arn_part + "/")
    return alive(ctx, kind, group_arn.split(":", 5)[5]) if group_arn.startswith(prefix) else []


def of_groups(ctx: RequestContext, kind: Kind, params: dict[str, Any], members: tuple[str, ...], query: str,
              show: Callable[[RequestContext, Doc], dict[str, Any]] = view) -> tuple[list[Any], str | None]:
    """A List* page of the ``kind`` resources of the dataset group ``datasetGroupArn`` names (none for a group
    that does not exist: those List* calls declare no ResourceNotFoundException), or of every group: each as
    ``show`` describes it, cut to ``members``."""
    group = params.get("datasetGroupArn")
    docs = children_of(ctx, kind, group) if group else alive(ctx, kind)
    return page_of([{k: body.get(k) for k in members} for body in (show(ctx, d) for d in docs)], params,
                   [query, group])


def create(ctx: RequestContext, kind: Kind, resource: str, body: dict[str, Any], parent: str | None = None) -> Doc:
    """Store a new resource; its status settles from CREATE PENDING to ACTIVE."""
    now = ctx.clock.now()
    the_arn = arn(ctx, resource)
    body = {**body, kind.arn_field: the_arn, CREATED: now, UPDATED: now}
    if kind.has_status:
        at = ctx.engine.settle_at()
        statuses.begin(body, "status", "CREATE PENDING", ACTIVE, at, via=("CREATE IN_PROGRESS", (now + at) / 2))
    _alive(ctx, ctx.store.get(scope(ctx), kind.kind, resource))  # drops one that has finished going away
    try:
        return ctx.store.put(scope(ctx), Doc(kind.kind, resource, parent, body.get("name"), body, now, now))
    except AlreadyExists:
        raise already_exists(the_arn) from None


def delete(ctx: RequestContext, kind: Kind, doc: Doc) -> None:
    """DELETE PENDING, then gone (at once outside the realistic timing)."""
    at = ctx.engine.settle_at()
    if at <= ctx.clock.now():
        ctx.store.remove(scope(ctx), kind.kind, doc.key)
        return
    body = {**doc.body, UPDATED: ctx.clock.now()}
    statuses.begin(body, "status", "DELETE PENDING", GONE, at)
    ctx.store.replace(scope(ctx), Doc(doc.kind, doc.key, doc.parent, doc.name, body, doc.created_at, ctx.clock.now()))


UPDATE = "_updateStatus"  # the settling status of a resource's latest update (latestCampaignUpdate, ...)


def check_no_update(ctx: RequestContext, doc: Doc, label: str, value: str) -> None:
    """An update waits for the previous one (ResourceInUse while it settles)."""
    if statuses.settle(doc.body, ctx.clock.now()).get(UPDATE) not in (None, ACTIVE, "CREATE FAILED"):
        raise in_use(f"{label} {value} has an update in progress.")


def begin_update(ctx: RequestContext, body: dict[str, Any], summary: dict[str, Any]) -> None:
    """Record an update's summary in ``body``; its status settles from CREATE PENDING to ACTIVE."""
    now = ctx.clock.now()
    body["_update"] = {**summary, CREATED: now, UPDATED: now}
    at = ctx.engine.settle_at()
    statuses.begin(body, UPDATE, "CREATE PENDING", ACTIVE, at, via=("CREATE IN_PROGRESS", (now + at) / 2))


def latest_update(ctx: RequestContext, doc: Doc) -> dict[str, Any] | None:
    """The latest update's summary with its status now (None when there was none)."""
    update = doc.body.get("_update")
    return {**update, "status": statuses.settle(doc.body, ctx.clock.now())[UPDATE]} if update else None


def save(ctx: RequestContext, doc: Doc, body: dict[str, Any]) -> Doc:
    return ctx.store.replace(scope(ctx), Doc(doc.kind, doc.key, doc.parent, doc.name, body, doc.created_at,
                                             ctx.clock.now()))


def page_of(items: list[Any], params: dict[str, Any], query: Any) -> tuple[list[Any], str | None]:
    try:
        chunk, token = page(items, params.get("maxResults") or DEFAULT_PAGE, params.get("nextToken"), query)
    except InvalidToken as error:
        raise invalid_token(str(error)) from None
    return list(chunk), token


def check_kms(params: dict[str, Any]) -> None:
    if params.get("kmsKeyArn") and not params.get("roleArn"):
        raise invalid("A roleArn is required when a kmsKeyArn is given.")
