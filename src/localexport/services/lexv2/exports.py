"""Lex V2 export jobs: CreateExport, DescribeExport, ListExports, UpdateExport, DeleteExport.

An export is a core job of kind ``lexv2.export``.  The runner writes the plain
archive; when a password is set, the served archive is an AES-encrypted copy
(UpdateExport only re-encrypts, as the spec's LV2-4 chooses).
"""

from __future__ import annotations

from typing import Any

from ...aws.errors import AWSError
from ...core.archives import read_entries, write_zip
from ...core.jobs import JobFailed, JobOutcome
from ...core.runtime import RequestContext, Runtime
from ...core.store import Job, Scope
from . import jobviews, lexjson, testset_csv, testsets, vocabulary
from . import resources as r
from .errors import conflict, not_found, validation
from .handlers import bot_version, op
from .jobviews import STATUS, single_member

KIND = "lexv2.export"
URL_SECONDS = 300  # download URLs are valid 5 minutes

# resourceSpecification member -> (ExportResourceType filter value, the one fileFormat it takes)
SPECS = {
    "botExportSpecification": ("Bot", "LexJson"),
    "botLocaleExportSpecification": ("BotLocale", "LexJson"),
    "customVocabularyExportSpecification": ("CustomVocabulary", "TSV"),
    "testSetExportSpecification": ("TestSet", "CSV"),
}


def _spec_member(spec: dict[str, Any]) -> str:
    return single_member(spec, "export")


def _summary(job: Job) -> dict[str, Any]:
    return {
        "exportId": job.id,
        "resourceSpecification": job.spec["resourceSpecification"],
        "fileFormat": job.spec["fileFormat"],
        "exportStatus": STATUS[job.state],
        "failureReasons": job.failure,
        "creationDateTime": job.created_at,
        "lastUpdatedDateTime": job.updated_at,
    }


def _load(ctx: RequestContext, export_id: str, missing) -> Job:
    return jobviews.load(ctx, KIND, export_id, missing, "Export")


@op("CreateExport")
def create_export(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    spec = params["resourceSpecification"]
    member = _spec_member(spec)
    resource_type, file_format = SPECS[member]
    if params["fileFormat"] != file_format:
        raise validation(f"File format {params['fileFormat']} is not supported for resource type {resource_type}.")
    target = spec[member]
    if member == "testSetExportSpecification":
        testsets.load(ctx, target["testSetId"])
        return _submit(ctx, params, spec, file_format)
    bot = bot_version(ctx, target["botId"], target["botVersion"])
    if "localeId" in target:
        locale = r.load(ctx, r.LOCALE, target)
        if member == "customVocabularyExportSpecification" and vocabulary.find(ctx, locale.key) is None:
            raise not_found(ctx.operation, f"Bot locale {target['localeId']} of bot {target['botId']} version "
                                           f"{target['botVersion']} has no custom vocabulary.")
    if bot.get("botStatus") not in ("Available", None):
        raise conflict(f"Bot {target['botId']} is {bot['botStatus']}; try the export again later.")
    return _submit(ctx, params, spec, file_format)


def _submit(ctx: RequestContext, params: dict[str, Any], spec: dict[str, Any], file_format: str) -> dict[str, Any]:
    for job in ctx.store.jobs(ctx.scope, KIND, states=("queued", "running")):
        if job.spec["resourceSpecification"] == spec:
            raise conflict(f"Export {job.id} of the same resource is already in progress.")
    secret = {"filePassword": params["filePassword"]} if params.get("filePassword") else {}
    job = ctx.engine.submit(ctx.scope, KIND, ctx.ids.short(),
                            {"resourceSpecification": spec, "fileFormat": file_format}, secrets=secret)
    # AWS always answers InProgress: even an immediate-mode job is only seen done by DescribeExport
    return {**_summary(job), "exportStatus": "InProgress"}


@op("DescribeExport")
def describe_export(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _load(ctx, params["exportId"], lambda m: not_found(ctx.operation, m))
    out = _summary(job)
    if job.state == "succeeded" and job.artifact:
        out["downloadUrl"] = ctx.runtime.urls.sign(ctx.base_url, job.artifact, URL_SECONDS)
    return out


@op("ListExports")
def list_exports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobviews.list_bot_jobs(ctx, KIND, params, {m: t[0] for m, t in SPECS.items()})
    return {**jobviews.echo_bot_filters(params), "exportSummaries": [_summary(j) for j in chunk], "nextToken": token}


@op("UpdateExport")
def update_export(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = _load(ctx, params["exportId"], lambda m: not_found(ctx.operation, m))
    if job.state != "succeeded":
        raise conflict(f"Export {job.id} is {STATUS[job.state]}; only a Completed export can be updated.")
    password = params.get("filePassword")
    plain = job.result["plain"]
    served = plain
    if password:
        served = f"{plain.rsplit('/', 1)[0]}/protected/{ctx.ids.short()}/{plain.rsplit('/', 1)[1]}"
        with ctx.runtime.artifacts.writer(served) as out:
            write_zip(out, read_entries(ctx.runtime.artifacts.path(plain)), password)
    artifacts = [plain] + ([served] if served != plain else [])
    old = [k for k in job.result.get("artifacts", []) if k not in artifacts]
    now = ctx.clock.now()
    ctx.store.update_job(job.id, artifact=served, result={**job.result, "artifacts": artifacts}, updated_at=now)
    for key in old:
        ctx.runtime.artifacts.delete(key)
    return _summary(ctx.store.get_job(job.id))


@op("DeleteExport")
def delete_export(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = jobviews.deletable(ctx, KIND, params["exportId"], "Export")
    ctx.engine.delete(job.id)
    return {"exportId": job.id, "exportStatus": "Deleting"}


# -- the job -------------------------------------------------------------------


def _locale_content(ctx: RequestContext, locale_key: str) -> lexjson.LocaleContent:
    docs = ctx.store.tree(ctx.scope, locale_key + "/")
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        by_kind.setdefault(d.kind, []).append(d.body)
    slots: dict[str, list[dict[str, Any]]] = {}
    for slot in by_kind.get(r.SLOT.kind, []):
        slots.setdefault(slot["intentId"], []).append(slot)
    locale = ctx.store.get(ctx.scope, r.LOCALE.kind, locale_key)
    if locale is None:
        raise JobFailed(f"Bot locale {locale_key.rsplit('/', 1)[1]} was deleted during the export.")
    vocabularies = by_kind.get(vocabulary.KIND)
    return lexjson.LocaleContent(locale.body, by_kind.get(r.INTENT.kind, []), slots, by_kind.get(r.SLOT_TYPE.kind, []),
                                 vocabularies[0]["items"] if vocabularies else None)


def zip_name(bot_name: str, version: str, export_id: str, locale_id: str | None = None, suffix: str = "LexJson") -> str:
    """Real exports are named ``{BotName}-{version}-{exportId}-LexJson.zip``."""
    parts = [bot_name, version, *([locale_id] if locale_id else []), export_id, suffix]
    return "-".join(parts) + ".zip"


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = RequestContext(runtime, job.scope.account, job.scope.region, job.scope.service, "CreateExport", "")
        spec = job.spec["resourceSpecification"]
        member = _spec_member(spec)
        target = spec[member]
        if member == "testSetExportSpecification":
            return _write(runtime, job, *_test_set_entries(ctx, job, target["testSetId"]))
        bot_id, version = target["botId"], target["botVersion"]
        try:
            bot = bot_version(ctx, bot_id, version)
        except AWSError as missing:  # deleted between CreateExport and the run
            raise JobFailed(missing.message) from None
        if member == "customVocabularyExportSpecification":
            items = vocabulary.items_of(ctx, f"{bot_id}/{version}/{target['localeId']}")
            if items is None:
                raise JobFailed(f"Bot locale {target['localeId']} of bot {bot_id} has no custom vocabulary.")
            entries = [(lexjson.MANIFEST, lexjson.manifest("CUSTOMVOCABULARY", "TSV")),
                       ("CustomVocabulary/CustomVocabulary.tsv", lexjson.write_vocabulary_tsv(items))]
            name = zip_name(bot["botName"], version, job.id, target["localeId"], "TSV")
        else:
            if member == "botLocaleExportSpecification":
                keys = [f"{bot_id}/{version}/{target['localeId']}"]
                resource_type = "BOTLOCALE"
            else:
                keys = [d.key for d in ctx.store.children(ctx.scope, r.LOCALE.kind, f"{bot_id}/{version}")]
                resource_type = "BOT"
            entries = lexjson.bot_entries(bot, version, [_locale_content(ctx, k) for k in keys], resource_type)
            name = zip_name(bot["botName"], version, job.id, target.get("localeId"))
        return _write(runtime, job, entries, name)

    return run


def _test_set_entries(ctx: RequestContext, job: Job, test_set_id: str) -> tuple[list[tuple[str, bytes]], str]:
    doc = ctx.store.get(ctx.scope, testsets.TEST_SET.kind, test_set_id)
    if doc is None:
        raise JobFailed(f"Test set {test_set_id} was deleted during the export.")
    name = doc.body["testSetName"]
    records = testsets.records_of(ctx, test_set_id)
    return [(f"{name}.csv", testset_csv.write_records(records))], f"{name}-{job.id}-CSV.zip"


def _write(runtime: Runtime, job: Job, entries: list[tuple[str, bytes]], name: str) -> JobOutcome:
    """Publish the archive (and its protected copy when a password was given)."""
    scope: Scope = job.scope
    plain = f"lexv2/{scope.account}/{scope.region}/exports/{job.id}/{name}"
    with runtime.artifacts.writer(plain) as out:
        write_zip(out, entries, when=runtime.clock.now())
    served = plain
    password = job.secrets.get("filePassword")
    if password:
        served = f"lexv2/{scope.account}/{scope.region}/exports/{job.id}/protected/{job.id}/{name}"
        with runtime.artifacts.writer(served) as out:
            write_zip(out, entries, password, when=runtime.clock.now())
    artifacts = [plain] + ([served] if served != plain else [])
    return JobOutcome({"plain": plain, "artifacts": artifacts, "fileName": name}, served)
