"""Lex V1 -> V2 migration: StartMigration, GetMigration, GetMigrations.

A migration is a job (``lexv1.migration``) whose outcome is a Lex V2 bot's
DRAFT: CREATE_NEW makes the bot (its id is chosen at StartMigration, which
answers it), UPDATE_EXISTING gives an existing bot the V1 bot's settings and
replaces the migrated locale, keeping the others.  The V2 bot is written as a
V2 import writes an archive, in one transaction, so a failed migration changes
nothing.  What does not map is reported in ``alerts`` (see to_v2).
"""

from __future__ import annotations

from typing import Any

from ...aws.errors import AWSError
from ...core.jobs import JobFailed, JobOutcome
from ...core.pagination import InvalidToken, page
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job
from ..lexv2 import drafts
from . import resources as r
from .errors import bad_request, not_found
from .handlers import op
from .to_v2 import Converter, bot_settings

KIND = "lexv1.migration"
STATUS = {"queued": "IN_PROGRESS", "running": "IN_PROGRESS", "succeeded": "COMPLETED", "failed": "FAILED"}
SUMMARY = ("migrationId", "v1BotName", "v1BotVersion", "v1BotLocale", "v2BotId", "v2BotRole", "migrationStrategy",
           "migrationTimestamp")


def bot_version_sources(ctx: RequestContext, name: str, version: str) -> tuple[dict, list[dict], list[dict]]:
    """The V1 bot version with the intents and custom slot types it uses."""
    bot = r.load(ctx, r.BOT, name, version).body
    intents = []
    for ref in bot.get("intents") or []:
        intents.append(r.load(ctx, r.INTENT, ref["intentName"], ref["intentVersion"]).body)
    slot_types: dict[tuple[str, str], dict] = {}
    for intent in intents:
        for slot in intent.get("slots") or []:
            if slot.get("slotTypeVersion") and not slot["slotType"].startswith("AMAZON."):
                ref = (slot["slotType"], slot["slotTypeVersion"])
                slot_types.setdefault(ref, r.load(ctx, r.SLOT_TYPE, *ref).body)
    return bot, intents, list(slot_types.values())


@op("StartMigration")
def start_migration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, version = params["v1BotName"], params["v1BotVersion"]
    bot = r.find(ctx, r.BOT, name, version)
    if bot is None:
        raise not_found(f"The bot {name} version {version} does not exist.")
    existing = drafts.bot_id_named(ctx.runtime, ctx.account, ctx.region, params["v2BotName"])
    strategy = params["migrationStrategy"]
    if strategy == "CREATE_NEW" and existing is not None:
        raise bad_request(f"A Lex V2 bot named {params['v2BotName']} already exists; use the UPDATE_EXISTING "
                          "migration strategy to migrate into it.")
    if strategy == "UPDATE_EXISTING" and existing is None:
        raise bad_request(f"There is no Lex V2 bot named {params['v2BotName']} to update; use the CREATE_NEW "
                          "migration strategy.")
    migration_id = ctx.ids.short()
    spec = {**params, "v1BotLocale": bot.body["locale"],
            "v2BotId": existing or ctx.ids.short()}
    job = ctx.engine.submit(ctx.scope, KIND, migration_id, spec)
    return _summary(job)


def _summary(job: Job) -> dict[str, Any]:
    return {**{k: job.spec.get(k) for k in SUMMARY}, "migrationId": job.id, "migrationTimestamp": job.created_at}


def _load(ctx: RequestContext, migration_id: str) -> Job:
    job = ctx.store.get_job(migration_id, ctx.scope)
    if job is None or job.kind != KIND:
        raise not_found(f"The migration {migration_id} does not exist.")
    return job


@op("GetMigration")
def get_migration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _load(ctx, params["migrationId"])
    alerts = (job.result or {}).get("alerts")
    if job.state == "failed" and not alerts:
        alerts = [{"type": "ERROR", "message": "The bot couldn't be migrated.", "details": job.failure or [],
                   "referenceURLs": []}]
    return {**_summary(job), "migrationStatus": STATUS.get(job.state, "IN_PROGRESS"), "alerts": alerts or []}


@op("GetMigrations")
def get_migrations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    jobs = ctx.store.jobs(ctx.scope, KIND)
    if params.get("v1BotNameContains"):
        jobs = [j for j in jobs if params["v1BotNameContains"] in j.spec["v1BotName"]]
    if params.get("migrationStatusEquals"):
        jobs = [j for j in jobs if STATUS.get(j.state) == params["migrationStatusEquals"]]
    by_name = params.get("sortByAttribute") == "V1_BOT_NAME"
    descending = params.get("sortByOrder", "ASCENDING" if by_name else "DESCENDING") == "DESCENDING"
    jobs.sort(key=(lambda j: j.spec["v1BotName"]) if by_name else (lambda j: j.created_at), reverse=descending)
    try:
        chunk, token = page([{**_summary(j), "migrationStatus": STATUS.get(j.state, "IN_PROGRESS")} for j in jobs],
                            params.get("maxResults", 10), params.get("nextToken"),
                            {k: v for k, v in params.items() if k not in ("maxResults", "nextToken")})
    except InvalidToken as error:
        raise bad_request(str(error)) from None
    return {"migrationSummaries": chunk, "nextToken": token}


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        spec = job.spec
        ctx = RequestContext(runtime, job.scope.account, job.scope.region, job.scope.service, "StartMigration", "")
        try:
            bot, intents, slot_types = bot_version_sources(ctx, spec["v1BotName"], spec["v1BotVersion"])
        except AWSError as missing:  # deleted since StartMigration
            raise JobFailed(missing.message) from None
        converter = Converter(bot, intents, slot_types)
        content = converter.locale()
        reasons = drafts.problems(content)
        for reason in reasons:
            converter.alerts.error("The following resources can't be migrated.", reason)
        if bot.get("_tags"):
            converter.alerts.warn("The following Lex features can't be migrated. Please refer to documentation for "
                                  "recommended approach.", "Tags")
        if r.aliases_of(ctx, spec["v1BotName"]):
            converter.alerts.warn("The following Lex features can't be migrated. Please refer to documentation for "
                                  "recommended approach.", "Bot alias")
        alerts = converter.alerts.as_list()
        if converter.alerts.failed:
            raise JobFailed(*reasons, result={"alerts": alerts})
        existing = drafts.bot_id_named(runtime, job.scope.account, job.scope.region, spec["v2BotName"])
        if spec["migrationStrategy"] == "CREATE_NEW" and existing is not None:
            raise JobFailed(f"A Lex V2 bot named {spec['v2BotName']} was created since the migration started.")
        if spec["migrationStrategy"] == "UPDATE_EXISTING" and existing != spec["v2BotId"]:
            raise JobFailed(f"The Lex V2 bot {spec['v2BotName']} was deleted since the migration started.")
        try:
            with runtime.store.transaction():
                bot_id = drafts.write(runtime, job.scope.account, job.scope.region,
                                      bot_settings(bot, spec["v2BotName"], spec["v2BotRole"]), content, spec["v2BotId"])
        except AWSError as error:  # a rule of the V2 resources (a name clash inside the bot, say)
            raise JobFailed(error.message) from None
        return JobOutcome({"alerts": alerts, "v2BotId": bot_id})

    return run
