"""What the console's pages show, gathered from the store and the test controls (no HTTP here)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..aws.errors import AWSError
from ..core.store import Scope
from . import kinds
from .calls import describe

if TYPE_CHECKING:
    from ..app import LocalExport

ACTIVE = ("queued", "running")
MAX_JOBS = 500  # a page, newest first


@dataclass(frozen=True)
class Row:
    kind: kinds.Kind
    key: str
    name: str
    owner: str
    status: str | None
    detail: str


@dataclass(frozen=True)
class Table:
    kind: kinds.Kind
    rows: list[Row]


def accounts(instance: LocalExport) -> list[dict[str, Any]]:
    """Each account and region with state: its services and how many documents and jobs each holds."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for scope in instance.runtime.store.scopes():
        entry = found.setdefault((scope.account, scope.region),
                                 {"account": scope.account, "region": scope.region, "services": []})
        entry["services"].append(kinds.SERVICE_LABELS.get(scope.service, scope.service))
    return list(found.values())


def tables(instance: LocalExport, account: str, region: str, base_url: str) -> dict[str, list[Table]]:
    """Per service, a table per resource kind that has resources here; statuses as Describe answers them."""
    store = instance.runtime.store
    out: dict[str, list[Table]] = {}
    for kind in kinds.KINDS:
        scope = Scope(account, region, kind.service)
        docs = store.all(scope, kind.stored)
        rows = []
        for doc in docs:
            try:
                answer = describe(instance, account, region, kind.service, kind.describe, kind.params(scope, doc),
                                  base_url)
            except AWSError as error:
                if error.code == "ResourceNotFoundException" or error.code == "NotFoundException":
                    continue  # a document on its way out (a Personalize resource DELETE PENDING has settled)
                answer = {}
            rows.append(Row(kind, doc.key, kind.name(doc), kind.owner(store, scope, doc), kinds.status_of(kind, answer),
                            kind.detail(doc)))
        if rows:
            out.setdefault(kinds.SERVICE_LABELS.get(kind.service, kind.service), []).append(Table(kind, rows))
    return out


def resource_json(instance: LocalExport, slug: str, account: str, region: str, key: str,
                  base_url: str) -> tuple[kinds.Kind, dict[str, Any]] | None:
    """The kind and its Describe answer (AWSError as the service raises it); None for an unknown kind or key."""
    kind = kinds.BY_SLUG.get(slug)
    if kind is None:
        return None
    scope = Scope(account, region, kind.service)
    doc = instance.runtime.store.get(scope, kind.stored, key)
    if doc is None:
        return None
    return kind, describe(instance, account, region, kind.service, kind.describe, kind.params(scope, doc), base_url)


def job_row(job: dict[str, Any], now: float) -> dict[str, Any]:
    """A job of ``Controls.jobs()`` with what the console shows of it."""
    done = job["state"] not in ACTIVE
    return {
        **job,
        "aws_id": job.get("aws_id") or job["id"],
        "output": job.get("output"),
        "service_label": kinds.SERVICE_LABELS.get(job["service"], job["service"]),
        "kind_label": job["kind"].split(".", 1)[-1].replace("-", " "),
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(job["created_at"])),
        "elapsed": f"{(job['updated_at'] if done else max(now, job['updated_at'])) - job['created_at']:.1f} s",
        "active": not done,
        "downloadable": job["state"] == "succeeded" and job.get("size") is not None,
        "version": f"{job['state']}|{job['attempts']}|{job['updated_at']}",
    }


def jobs(instance: LocalExport) -> list[dict[str, Any]]:
    now = instance.runtime.clock.now()
    found = sorted(instance.controls.jobs(), key=lambda j: j["created_at"], reverse=True)[:MAX_JOBS]
    return [job_row(j, now) for j in found]


def job(instance: LocalExport, job_id: str) -> dict[str, Any] | None:
    found = instance.controls.job(job_id)
    return job_row(found, instance.runtime.clock.now()) if found else None
