"""Dashboard versions: CreateDashboard makes version 1 (published); every UpdateDashboard
adds a version without publishing it; UpdateDashboardPublishedVersion picks the version
that Describe*, ListDashboards and asset bundles see.

The document's top-level fields are the published version's request; ``_versions``
keeps every version's request, ``_latest`` and ``_published`` their numbers.
"""

from __future__ import annotations

from typing import Any

from ...core.runtime import RequestContext
from ...core.store import Doc
from . import assets as a
from .errors import not_found

LATEST, PUBLISHED = "$LATEST", "$PUBLISHED"


def _public(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if not k.startswith("_")}


def _entry(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """One version: its request, source, time, and why it failed (a source it could not read), if it did."""
    return {"request": _public(body), "source": body.get("_source"), "created": ctx.clock.now(),
            "failure": body.get("_failure")}


def start(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """A new dashboard's body: version 1, published."""
    return {**body, "_versions": {"1": _entry(ctx, body)}, "_latest": 1, "_published": 1}


def _with_published(doc: Doc, versions: dict[str, Any], latest: int, published: int) -> dict[str, Any]:
    entry = versions[str(published)]
    internal = {k: v for k, v in doc.body.items() if k.startswith("_")}
    return {**internal, **entry["request"], "_source": entry["source"], "_failure": entry.get("failure"),
            "_versions": versions, "_latest": latest, "_published": published}


def add(ctx: RequestContext, doc: Doc, body: dict[str, Any], publish: bool) -> Doc:
    """A new version of the dashboard (published at once when ``publish``, as an import does)."""
    latest = doc.body.get("_latest", 1) + 1
    versions = {**doc.body.get("_versions", {}), str(latest): _entry(ctx, body)}
    published = latest if publish else doc.body.get("_published", 1)
    return a.replace(ctx, a.DASHBOARD, doc, _with_published(doc, versions, latest, published))


def publish(ctx: RequestContext, doc: Doc, number: int) -> Doc:
    versions = doc.body.get("_versions", {})
    if str(number) not in versions:
        raise not_found(f"Version {number} of dashboard {a.arn_of(ctx, a.DASHBOARD, doc.key)} is not found")
    return a.replace(ctx, a.DASHBOARD, doc, _with_published(doc, versions, doc.body["_latest"], number))


def at(ctx: RequestContext, doc: Doc, params: dict[str, Any]) -> Doc:
    """The dashboard as its version ``VersionNumber`` (or alias ``$LATEST``/``$PUBLISHED``) is."""
    number = params.get("VersionNumber")
    if number is None and params.get("AliasName") == LATEST:
        number = doc.body.get("_latest")
    if number is None or number == doc.body.get("_published"):
        return doc
    versions = doc.body.get("_versions", {})
    if str(number) not in versions:
        raise not_found(f"Version {number} of dashboard {a.arn_of(ctx, a.DASHBOARD, doc.key)} is not found")
    shown = _with_published(doc, versions, doc.body["_latest"], number)
    return Doc(doc.kind, doc.key, doc.parent, doc.name, shown, doc.created_at, doc.updated_at)


def summaries(ctx: RequestContext, doc: Doc) -> list[dict[str, Any]]:
    the_arn = a.arn_of(ctx, a.DASHBOARD, doc.key)
    return [{"Arn": f"{the_arn}/version/{n}", "CreatedTime": v["created"], "VersionNumber": int(n),
             "Status": "CREATION_FAILED" if v.get("failure") else "CREATION_SUCCESSFUL", "SourceEntityArn": v["source"],
             "Description": v["request"].get("VersionDescription")}
            for n, v in sorted(doc.body.get("_versions", {}).items(), key=lambda item: int(item[0]))]


def version_created(doc: Doc) -> float | None:
    entry = doc.body.get("_versions", {}).get(str(doc.body.get("_published", 1)))
    return entry["created"] if entry else None


def latest_failure(doc: Doc) -> list[dict[str, Any]] | None:
    """Why the dashboard's newest version failed (what Create/UpdateDashboard answer), if it did."""
    return doc.body.get("_versions", {}).get(str(doc.body.get("_latest", 1)), {}).get("failure")
