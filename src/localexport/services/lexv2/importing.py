"""What an import that has not finished shows: its bot and locales ``Importing``.

An import applies in one transaction, so nothing of it is visible until it is
done; while it is queued or running, the bot (or locale) it targets reports
``Importing``, and a bot it will create is listed and described already, as
AWS shows it.  StartImport marks the documents it targets with the import's
id; the status is read from that job's state, so a finished, failed or
crashed import never leaves a status behind, and a document no import marked
costs no lookup.
"""

from __future__ import annotations

from typing import Any

from ...core.jobs import ACTIVE
from ...core.runtime import RequestContext
from ...core.store import Doc

KIND = "lexv2.import"
STATUS = "Importing"
MARK = "_imports"  # in a bot or locale document: ids of the imports that target it
TARGET = "target"  # in an import job's spec: {"botId", "localeId" (None for a whole bot), "new", "botName"}


def mark(ctx: RequestContext, docs: list[Doc], import_id: str) -> None:
    for doc in docs:
        ctx.store.replace(ctx.scope, Doc(doc.kind, doc.key, doc.parent, doc.name,
                                         {**doc.body, MARK: [*doc.body.get(MARK, ()), import_id][-5:]},
                                         doc.created_at, doc.updated_at))


def _importing(ctx: RequestContext, body: dict[str, Any]) -> bool:
    for import_id in body.get(MARK) or ():
        job = ctx.store.get_job(import_id, ctx.scope)
        if job is not None and job.state in ACTIVE:
            return True
    return False


def bot_status(ctx: RequestContext, bot: dict[str, Any]) -> dict[str, Any]:
    """``bot`` (a DescribeBot body) as an unfinished import of it shows it."""
    return {**bot, "botStatus": STATUS} if _importing(ctx, bot) else bot


def locale_status(ctx: RequestContext, locale: dict[str, Any]) -> dict[str, Any]:
    """``locale`` (a DescribeBotLocale body) as an unfinished import of it, or of its bot, shows it."""
    return {**locale, "botLocaleStatus": STATUS} if _importing(ctx, locale) else locale


def pending_bots(ctx: RequestContext) -> list[dict[str, Any]]:
    """The bots unfinished imports will create, as DescribeBot shows them meanwhile (one of them may be made
    already, by an earlier import of the same name: callers list the made ones first)."""
    bots: list[dict[str, Any]] = []
    for job in ctx.store.jobs(ctx.scope, KIND, states=ACTIVE):
        target = job.spec.get(TARGET) or {}
        if target.get("new") and all(b["botId"] != target["botId"] for b in bots):  # two imports, one new bot
            spec = job.spec["resourceSpecification"]["botImportSpecification"]
            bots.append({**{k: spec.get(k) for k in ("roleArn", "dataPrivacy", "idleSessionTTLInSeconds",
                                                      "errorLogSettings")},
                         "botId": target["botId"], "botName": target["botName"], "botStatus": STATUS,
                         "creationDateTime": job.created_at, "lastUpdatedDateTime": job.updated_at,
                         "_versionsCreated": 0})
    return bots


def pending_bot(ctx: RequestContext, bot_id: str) -> dict[str, Any] | None:
    return next((b for b in pending_bots(ctx) if b["botId"] == bot_id), None)
