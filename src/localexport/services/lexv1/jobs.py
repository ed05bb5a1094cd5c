"""Lex V1 GetExport (which starts and polls an export) and StartImport/GetImport."""

from __future__ import annotations

from typing import Any

from ...aws.errors import AWSError
from ...core.archives import ArchiveError, open_zip, write_zip
from ...core.jobs import JobFailed, JobOutcome
from ...core.runtime import JobName, RequestContext, Runtime, holds_job
from ...core.store import Job
from ...core.tags import from_pairs
from . import alexa, lexformat
from . import resources as r
from .errors import bad_request, not_found
from .handlers import bot_status, check_intents, check_slot_types, op

EXPORT, IMPORT = "lexv1.export", "lexv1.import"
RETENTION = 7 * 24 * 3600  # [choice LV1-1] an export is reused for 7 days
URL_SECONDS = 300
SMALL_BOT_INTENTS = 100  # [choice] bots up to this size export within the first GetExport in realistic mode
EXPORT_STATUS = {"queued": "IN_PROGRESS", "running": "IN_PROGRESS", "succeeded": "READY", "failed": "FAILED"}
IMPORT_STATUS = {"queued": "IN_PROGRESS", "running": "IN_PROGRESS", "succeeded": "COMPLETE", "failed": "FAILED"}
RESOURCE = {"BOT": r.BOT, "INTENT": r.INTENT, "SLOT_TYPE": r.SLOT_TYPE}
# Regions where a bot must allow model improvements (AWS's import page).
MODEL_IMPROVEMENT_REGIONS = {"ap-southeast-1", "ap-northeast-1", "eu-central-1", "eu-west-2"}


# -- export ----------------------------------------------------------------------------------


@op("GetExport")
def get_export(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind, export_type = params["resourceType"], params["exportType"]
    if export_type == "ALEXA_SKILLS_KIT" and kind != "BOT":
        raise bad_request("ALEXA_SKILLS_KIT export is supported only for resourceType BOT.")
    r.load(ctx, RESOURCE[kind], params["name"], params["version"])
    spec = {k: params[k] for k in ("name", "version", "resourceType", "exportType")}
    ctx.engine.expire(ctx.scope, EXPORT, RETENTION)
    jobs = [j for j in ctx.store.jobs(ctx.scope, EXPORT) if j.spec == spec]
    job = jobs[-1] if jobs else None
    if job is None or (job.state == "failed" and job.extra.get("reported")):
        job = ctx.engine.submit(ctx.scope, EXPORT, ctx.ids.uuid(), spec)
        if ctx.engine.mode == "realistic" and _small(ctx, kind, params["name"], params["version"]):
            job = ctx.engine.advance(job.id) or job  # public scripts call GetExport once and use its url
        if job.state != "succeeded":  # a failure is told on the next call, as a retry would start afresh
            return {**spec, "exportStatus": "IN_PROGRESS"}
    out = {**spec, "exportStatus": EXPORT_STATUS.get(job.state, "IN_PROGRESS")}
    if job.state == "succeeded":
        out["url"] = ctx.runtime.urls.sign(ctx.base_url, job.artifact, URL_SECONDS)
    elif job.state == "failed":
        out["failureReason"] = "; ".join(job.failure or [])
        ctx.store.update_job(job.id, extra={**job.extra, "reported": True})  # the next call tries again
    return out


@op.names_jobs(EXPORT)
def _export_name(job: Job) -> JobName:
    """GetExport answers no job id: an export is named by what it exports (its newest job, as GetExport)."""
    return JobName(":".join(job.spec[k] for k in ("name", "version", "resourceType")))


def _small(ctx: RequestContext, kind: str, name: str, version: str) -> bool:
    """Whether an export is small enough to be written within the GetExport call: a slot type, an intent, or
    a bot of at most SMALL_BOT_INTENTS intents."""
    if kind != "BOT":
        return True
    return len(r.load(ctx, r.BOT, name, version).body.get("intents") or []) <= SMALL_BOT_INTENTS


def _custom_slot_types(ctx: RequestContext, intents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for intent in intents:
        for slot in intent.get("slots") or []:
            if slot.get("slotTypeVersion") and not slot["slotType"].startswith("AMAZON."):
                ref = (slot["slotType"], slot["slotTypeVersion"])
                if ref not in seen:
                    doc = r.find(ctx, r.SLOT_TYPE, *ref)
                    if doc is None:
                        raise JobFailed(f"Slot type {ref[0]} version {ref[1]} used by intent {intent['name']} "
                                        "no longer exists.")
                    seen[ref] = doc.body
    return list(seen.values())


def make_export_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = RequestContext(runtime, job.scope.account, job.scope.region, job.scope.service, "GetExport", "")
        spec = job.spec
        kind, name, version = spec["resourceType"], spec["name"], spec["version"]
        doc = r.find(ctx, RESOURCE[kind], name, version)
        if doc is None:
            raise JobFailed(f"The {RESOURCE[kind].label} {name} version {version} was deleted during the export.")
        body = doc.body
        if kind == "SLOT_TYPE":
            data = lexformat.document(lexformat.slot_type_resource(body))
        elif kind == "INTENT":
            data = lexformat.document(lexformat.intent_resource(body, _custom_slot_types(ctx, [body])))
        else:
            intents = []
            for ref in body.get("intents") or []:
                intent = r.find(ctx, r.INTENT, ref["intentName"], ref["intentVersion"])
                if intent is None:
                    raise JobFailed(f"Intent {ref['intentName']} version {ref['intentVersion']} no longer exists.")
                intents.append(intent.body)
            slot_types = _custom_slot_types(ctx, intents)
            data = (alexa.interaction_model(body, intents, slot_types) if spec["exportType"] == "ALEXA_SKILLS_KIT"
                    else lexformat.document(lexformat.bot_resource(body, intents, slot_types)))
        suffix = "ALEXA_SKILLS_KIT" if spec["exportType"] == "ALEXA_SKILLS_KIT" else "LEX_V1"
        file_name = f"{name}_{version}_{runtime.ids.uuid()}_{lexformat.FILE_LABEL[kind]}_{suffix}.zip"
        key = f"lexv1/{job.scope.account}/{job.scope.region}/exports/{job.id}/{file_name}"
        with runtime.artifacts.writer(key) as out:
            write_zip(out, [(f"{name}_Export.json", data)], when=runtime.clock.now())
        return JobOutcome({"fileName": file_name}, key)

    return run


# -- import -----------------------------------------------------------------------------------


def _payload_json(ctx: RequestContext, payload: bytes) -> bytes:
    try:
        files = open_zip(payload, None, ctx.runtime.limits.archive_entries, ctx.runtime.limits.archive_bytes)
    except ArchiveError as error:
        raise bad_request(f"The payload is not a valid import archive: {error}") from None
    return b"".join(files.values()) if len(files) == 1 else b""


@op("StartImport")
def start_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("tags") and params["resourceType"] != "BOT":
        raise bad_request("Tags can be given only when importing a bot.")
    data = _payload_json(ctx, params["payload"])
    import_id = ctx.ids.uuid()
    key = f"lexv1/{ctx.account}/{ctx.region}/imports/{import_id}/payload.zip"
    with ctx.runtime.artifacts.writer(key) as out:
        out.write(params["payload"])
    try:
        name = lexformat.read(data, params["resourceType"])["resource"].get("name") if data else None
    except lexformat.FormatInvalid:
        name = None  # the job reports why
    spec = {k: params.get(k) for k in ("resourceType", "mergeStrategy", "tags")}
    job = ctx.engine.submit(ctx.scope, IMPORT, import_id, {**spec, "name": name, "payload": key})
    return {**spec, "name": name, "importId": job.id, "importStatus": "IN_PROGRESS", "createdDate": job.created_at}


op.claim("GetImport")(holds_job(IMPORT, "importId"))


@op("GetImport")
def get_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = ctx.store.get_job(params["importId"], ctx.scope)
    if job is None or job.kind != IMPORT:
        raise not_found(f"The import {params['importId']} does not exist.")
    return {**{k: job.spec.get(k) for k in ("name", "resourceType", "mergeStrategy")}, "importId": job.id,
            "importStatus": IMPORT_STATUS.get(job.state, "IN_PROGRESS"), "failureReason": job.failure,
            "createdDate": job.created_at}


class _Importer:
    """Applies one file: dependencies to $LATEST and a new numbered version each, the
    top resource to $LATEST only (LV1-4).  OVERWRITE_LATEST writes as it goes and, like
    AWS, does not roll back what it wrote before a failure."""

    def __init__(self, ctx: RequestContext, strategy: str):
        self.ctx = ctx
        self.strategy = strategy

    def conflicts(self, parsed: dict[str, Any], kind: str) -> list[str]:
        names = [("slot type", r.SLOT_TYPE, s["name"]) for s in parsed["slot_types"]]
        names += [("intent", r.INTENT, i["name"]) for i in parsed["intents"]]
        names.append((RESOURCE[kind].label, RESOURCE[kind], parsed["resource"]["name"]))
        return [f"{label} {name}" for label, res, name in names if r.find(self.ctx, res, name) is not None]

    def put(self, res: r.Resource, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        current = r.find(self.ctx, res, body["name"])
        params = {**body, "checksum": current.body["checksum"] if current else None}
        return r.put(self.ctx, res, params, **extra)

    def versioned(self, res: r.Resource, body: dict[str, Any]) -> str:
        self.put(res, body)
        return r.create_version(self.ctx, res, body["name"])["version"]

    def run(self, parsed: dict[str, Any], kind: str, tags: list[dict[str, str]] | None) -> str:
        if self.strategy == "FAIL_ON_CONFLICT":
            clashes = self.conflicts(parsed, kind)
            if clashes:
                raise JobFailed(f"The {clashes[0]} already exists (merge strategy FAIL_ON_CONFLICT).")
        top = parsed["resource"]
        if kind == "BOT" and top.get("enableModelImprovements") is False \
                and self.ctx.region in MODEL_IMPROVEMENT_REGIONS:
            raise JobFailed(f"In {self.ctx.region} a bot must have enableModelImprovements set to true.")
        type_versions = {s["name"]: self.versioned(r.SLOT_TYPE, s) for s in parsed["slot_types"]}

        def relinked(intent: dict[str, Any]) -> dict[str, Any]:
            slots = [{**s, "slotTypeVersion": type_versions[s["slotType"]]} if s["slotType"] in type_versions else s
                     for s in intent.get("slots") or []]
            return {**intent, "slots": slots} if intent.get("slots") else intent

        if kind == "SLOT_TYPE":
            self.put(r.SLOT_TYPE, top)
        elif kind == "INTENT":
            intent = relinked(top)
            check_slot_types(self.ctx, intent.get("slots") or [])
            self.put(r.INTENT, intent)
        else:
            refs = []
            for intent in parsed["intents"]:
                intent = relinked(intent)
                check_slot_types(self.ctx, intent.get("slots") or [])
                refs.append({"intentName": intent["name"], "intentVersion": self.versioned(r.INTENT, intent)})
            bot = {**top, "intents": refs}
            check_intents(self.ctx, refs)
            extra = bot_status(self.ctx, bot)
            if tags:
                extra["_tags"] = from_pairs(tags, "key", "value")
            self.put(r.BOT, bot, **extra)
        return top["name"]


def make_import_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = RequestContext(runtime, job.scope.account, job.scope.region, job.scope.service, "StartImport", "")
        kind = job.spec["resourceType"]
        try:
            files = open_zip(runtime.artifacts.read(job.spec["payload"]), None,
                             runtime.limits.archive_entries, runtime.limits.archive_bytes)
            if len(files) != 1:
                raise JobFailed(f"The archive should contain one file; it contains {len(files)}.")
            parsed = lexformat.read(next(iter(files.values())), kind)
        except (ArchiveError, FileNotFoundError) as error:
            raise JobFailed(f"The payload cannot be read: {error}") from None
        except lexformat.FormatInvalid as invalid:
            raise JobFailed(*invalid.reasons) from None
        try:
            _Importer(ctx, job.spec["mergeStrategy"]).run(parsed, kind, job.spec.get("tags"))
        except AWSError as error:  # a rule of the resources (a missing reference, say)
            raise JobFailed(error.message) from None
        return JobOutcome({"artifacts": [job.spec["payload"]]}, None)

    return run
