"""Lex V2 imports: CreateUploadUrl, StartImport, DescribeImport, ListImports, DeleteImport.

The upload goes to a signed PUT URL served by the app; StartImport queues a
core job of kind ``lexv2.import`` whose runner reads the archive (defensively:
see core.archives.open_zip) and applies it in one store transaction, so a
failed import changes nothing.

Merge strategies (shared/spec/lexv2.md §5, LV2-6):
- FailOnConflict: any name in the archive that exists already fails the import.
- Overwrite: the target (the bot's DRAFT, or the locale) is replaced by the archive.
- Append (bot locales and custom vocabularies): resources of the archive are
  added; existing ones of the same name are replaced; others are kept.
"""

from __future__ import annotations

import io
from functools import partial
from typing import Any

from ...aws.errors import AWSError
from ...aws.models import operation
from ...aws.validation import SerializationError, validate
from ...core.archives import ArchiveError, open_zip
from ...core.jobs import JobFailed, JobOutcome
from ...core.objects import ObjectError
from ...core.runtime import Limits, RequestContext, Runtime, holds_job
from ...core.store import Doc, Job
from . import importing, jobviews, lexjson, testset_csv, testsets, vocabulary
from . import resources as r
from .errors import conflict, not_found, validation
from .handlers import FALLBACK_INTENT_ID, bot_version, locale_doc, op
from .jobviews import STATUS, single_member
from .locales import LOCALE_NAMES

KIND = importing.KIND
UPLOAD = "upload_slot"
URL_SECONDS = 300  # upload URLs are valid 5 minutes

# resourceSpecification member -> (importedResourceType, manifest resourceType, merge strategies allowed)
SPECS = {
    "botImportSpecification": ("Bot", "BOT", ("FailOnConflict", "Overwrite")),
    "botLocaleImportSpecification": ("BotLocale", "BOTLOCALE", ("FailOnConflict", "Overwrite", "Append")),
    "customVocabularyImportSpecification": ("CustomVocabulary", "CUSTOMVOCABULARY",
                                            ("FailOnConflict", "Overwrite", "Append")),
    "testSetImportResourceSpecification": ("TestSet", None, ("FailOnConflict", "Overwrite")),
}


def upload_key(ctx_scope, import_id: str) -> str:
    return f"lexv2/{ctx_scope.account}/{ctx_scope.region}/uploads/{import_id}/import.zip"


@op("CreateUploadUrl")
def create_upload_url(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    import_id = ctx.ids.short()
    now = ctx.clock.now()
    ctx.store.put(ctx.scope, Doc(UPLOAD, import_id, None, None, {"importId": import_id}, now, now))
    url = ctx.runtime.urls.sign(ctx.base_url, upload_key(ctx.scope, import_id), URL_SECONDS, method="PUT")
    return {"importId": import_id, "uploadUrl": url}


def _summary(job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "importId": job.id,
        "resourceSpecification": job.spec["resourceSpecification"],
        "mergeStrategy": job.spec["mergeStrategy"],
        "importStatus": STATUS[job.state],
        "failureReasons": job.failure,
        "importedResourceId": result.get("importedResourceId"),
        "importedResourceName": result.get("importedResourceName"),
        "importedResourceType": SPECS[single_member(job.spec["resourceSpecification"], "import")][0],
        "creationDateTime": job.created_at,
        "lastUpdatedDateTime": job.updated_at,
    }


@op("StartImport")
def start_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    spec = params["resourceSpecification"]
    member = single_member(spec, "import")
    resource_type, _, strategies = SPECS[member]
    if params["mergeStrategy"] not in strategies:
        raise validation(f"Merge strategy {params['mergeStrategy']} is not supported for resource type "
                         f"{resource_type}.")
    import_id = params["importId"]
    if ctx.store.get(ctx.scope, UPLOAD, import_id) is None:
        raise not_found(ctx.operation, f"Import {import_id} does not exist; get an importId from CreateUploadUrl.")
    if ctx.store.get_job(import_id, ctx.scope) is not None:
        raise conflict(f"Import {import_id} has already been started.")
    source: dict[str, Any] = {}
    if not ctx.runtime.artifacts.exists(upload_key(ctx.scope, import_id)):
        if member != "testSetImportResourceSpecification":
            raise validation(f"The import file for {import_id} has not been uploaded.")
        location = spec[member]["importInputLocation"]  # LV2-9: the upload, else importInputLocation in S3
        source = {"s3": {"bucket": location["s3BucketName"], "key": location["s3Path"].lstrip("/")}}
    target = spec[member]
    if member in ("botLocaleImportSpecification", "customVocabularyImportSpecification"):
        bot_version(ctx, target["botId"], target["botVersion"])
        if member == "customVocabularyImportSpecification":
            locale_doc(ctx, target)
        elif target["localeId"] not in LOCALE_NAMES:
            raise validation(f"The locale {target['localeId']} is not supported by Amazon Lex V2.")
    secret = {"filePassword": params["filePassword"]} if params.get("filePassword") else {}
    aim = _target(ctx, member, target)
    if aim is not None and not aim["new"]:  # before the job exists: a mark whose job never came marks nothing
        with ctx.store.transaction():
            importing.mark(ctx, _targeted_docs(ctx, aim), import_id)
    job = ctx.engine.submit(ctx.scope, KIND, import_id,  # outside any transaction: an immediate job runs here
                            {"resourceSpecification": spec, "mergeStrategy": params["mergeStrategy"], **source,
                             importing.TARGET: aim},
                            secrets=secret)
    # AWS always answers InProgress: even an immediate-mode job is only seen done by DescribeImport
    return {**_summary(job), "importStatus": "InProgress", "failureReasons": None}


def _target(ctx: RequestContext, member: str, target: dict[str, Any]) -> dict[str, Any] | None:
    """What the import will change, shown ``Importing`` until it is done: a bot made now gets its id now."""
    if member == "botImportSpecification":
        name = target["botName"]
        existing = ctx.store.find(ctx.scope, r.BOT.kind, None, name)
        pending = next((b for b in importing.pending_bots(ctx) if b["botName"] == name), None)
        bot_id = existing.body["botId"] if existing else pending["botId"] if pending else ctx.ids.short()
        return {"botId": bot_id, "localeId": None, "new": existing is None, "botName": name}
    if member in ("botLocaleImportSpecification", "customVocabularyImportSpecification"):
        return {"botId": target["botId"], "localeId": target["localeId"], "new": False}
    return None


def _targeted_docs(ctx: RequestContext, aim: dict[str, Any]) -> list[Doc]:
    """The bot and DRAFT locales an import of a whole bot replaces, or the one locale it writes."""
    where = {"botId": aim["botId"], "botVersion": r.DRAFT}
    if aim["localeId"] is not None:
        locale = r.find(ctx, r.LOCALE, {**where, "localeId": aim["localeId"]})
        return [locale] if locale else []
    bot = r.find(ctx, r.BOT, where)
    return [bot, *ctx.store.children(ctx.scope, r.LOCALE.kind, r.LOCALE.parent_key(where))] if bot else []


@op("DescribeImport")
def describe_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _summary(jobviews.load(ctx, KIND, params["importId"], lambda m: not_found(ctx.operation, m), "Import"))


op.claim("DescribeImport")(holds_job(KIND, "importId"))


@op("ListImports")
def list_imports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    chunk, token = jobviews.list_bot_jobs(ctx, KIND, params, {m: t[0] for m, t in SPECS.items()})
    return {**jobviews.echo_bot_filters(params), "importSummaries": [_summary(j) for j in chunk], "nextToken": token}


@op("DeleteImport")
def delete_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job = jobviews.deletable(ctx, KIND, params["importId"], "Import")
    ctx.store.remove(ctx.scope, UPLOAD, job.id)
    ctx.engine.delete(job.id)  # removes the record and the uploaded file, not what was imported
    return {"importId": job.id, "importStatus": "Deleting"}


# -- the job -------------------------------------------------------------------


def _check(op_name: str, body: dict[str, Any], path: str, reasons: list[str]) -> None:
    """Validate imported content as the Create* API would, naming the file on failure."""
    errors: list[str] = []
    try:
        validate(operation("lexv2-models", op_name).input_shape, body, "", errors)
    except SerializationError as error:
        errors.append(error.message)
    reasons.extend(f"{path}: {e}" for e in errors)


_PLACEHOLDER = {"botId": "PLACEHOLDR", "botVersion": "DRAFT", "localeId": "en_US", "intentId": "PLACEHOLDR"}


def validate_locale(content: lexjson.LocaleContent, reasons: list[str]) -> None:
    type_names = {t.get("slotTypeName") for t in content.slot_types}
    for slot_type in content.slot_types:
        _check("CreateSlotType", {**_PLACEHOLDER, **_public(slot_type)}, slot_type["_path"], reasons)
    for intent in content.intents:
        _check("CreateIntent", {**_PLACEHOLDER, **_public(intent)}, intent["_path"], reasons)
        slot_names = set()
        for slot in content.slots.get(_folder(intent), []):
            slot_names.add(slot.get("slotName"))
            type_name = slot.get("slotTypeName")
            if type_name and not type_name.startswith("AMAZON.") and type_name not in type_names:
                reasons.append(f"{slot['_path']}: slotTypeName {type_name!r} is neither a slot type of the archive "
                               "nor a built-in slot type.")
            body = {k: v for k, v in _public(slot).items() if k != "slotTypeName"}
            _check("CreateSlot", {**_PLACEHOLDER, **body, "slotTypeId": "PLACEHOLDR"}, slot["_path"], reasons)
        for priority in intent["_slotPriorities"]:
            if priority.get("slotName") not in slot_names:
                reasons.append(f"{intent['_path']}: slotPriorities names slot {priority.get('slotName')!r}, which "
                               "the intent does not have.")


def _folder(intent: dict[str, Any]) -> str:
    """The intent's folder name in the archive (``.../Intents/{folder}/Intent.json``): its slots are filed under it."""
    return intent["_path"].rsplit("/", 2)[-2]


def _public(body: dict[str, Any]) -> dict[str, Any]:
    """A resource as read from the archive, without the reader's bookkeeping (what the model does not know
    stays, to be written back on export)."""
    return {k: v for k, v in body.items() if not k.startswith("_") or k == lexjson.UNKNOWN}


def write_locale(ctx: RequestContext, bot_id: str, locale_id: str, content: lexjson.LocaleContent, strategy: str,
                  overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply one locale of an archive to the bot's DRAFT; raises JobFailed on a conflict."""
    where = {"botId": bot_id, "botVersion": r.DRAFT, "localeId": locale_id}
    if locale_id not in LOCALE_NAMES:
        raise JobFailed(f"The locale {locale_id} is not supported by Amazon Lex V2.")
    existing = r.find(ctx, r.LOCALE, where)
    settings = {**_public(content.locale), **{k: v for k, v in overrides.items() if v is not None}, **where}
    settings.pop("localeName", None)
    if existing is not None and strategy == "Overwrite":
        r.remove(ctx, r.LOCALE, existing)
        existing = None
    if existing is None:
        locale = r.create(ctx, r.LOCALE, settings, locale_id, localeName=LOCALE_NAMES[locale_id],
                          botLocaleStatus="NotBuilt")
        old_types: dict[str, Doc] = {}
        old_intents: dict[str, Doc] = {}
    else:
        spec_settings = {k: v for k, v in overrides.items() if v is not None}  # the archive's do not replace ours
        locale = r.save(ctx, existing, {**r.current(ctx, existing), **spec_settings, "botLocaleStatus": "NotBuilt"})
        old_types = {d.name: d for d in ctx.store.children(ctx.scope, r.SLOT_TYPE.kind, existing.key)}
        old_intents = {d.name: d for d in ctx.store.children(ctx.scope, r.INTENT.kind, existing.key)}
        clashes = sorted({t.get("slotTypeName") for t in content.slot_types} & set(old_types)) + sorted(
            {i.get("intentName") for i in content.intents} & set(old_intents))
        if strategy == "FailOnConflict" and clashes:
            raise JobFailed(f"The archive's {', '.join(clashes)} already exist(s) in locale {locale_id} of bot "
                            f"{bot_id}; nothing was imported (merge strategy FailOnConflict).")
    locale_key = r.LOCALE.key(where)
    type_ids = {name: d.body["slotTypeId"] for name, d in old_types.items()}
    for slot_type in content.slot_types:
        name = slot_type["slotTypeName"]
        if name in old_types:  # replaced in place: slots elsewhere keep pointing at it
            r.remove(ctx, r.SLOT_TYPE, old_types[name])
        type_ids[name] = r.create(ctx, r.SLOT_TYPE, {**_public(slot_type), **where},
                                  type_ids.get(name) or ctx.ids.short())["slotTypeId"]
    for intent in content.intents:
        name = intent["intentName"]
        old = old_intents.get(name)
        if old is not None:
            r.remove(ctx, r.INTENT, old)
        is_fallback = intent.get("parentIntentSignature") == "AMAZON.FallbackIntent"
        intent_id = old.body["intentId"] if old else (FALLBACK_INTENT_ID if is_fallback else ctx.ids.short())
        body = r.create(ctx, r.INTENT, {**_public(intent), **where}, intent_id)
        slot_ids = {}
        for slot in content.slots.get(_folder(intent), []):
            type_name = slot.get("slotTypeName")
            slot_body = {k: v for k, v in _public(slot).items() if k != "slotTypeName"}
            slot_body["slotTypeId"] = type_ids.get(type_name, type_name)
            slot_ids[slot["slotName"]] = r.create(ctx, r.SLOT, {**slot_body, **where, "intentId": intent_id},
                                                  ctx.ids.short())["slotId"]
        priorities = [{"priority": p["priority"], "slotId": slot_ids[p["slotName"]]}
                      for p in intent["_slotPriorities"]]
        if priorities:
            doc = r.load(ctx, r.INTENT, {**where, "intentId": intent_id})
            r.save(ctx, doc, {**body, "slotPriorities": priorities})
    if content.vocabulary is not None:
        _write_vocabulary(ctx, locale_key, content.vocabulary, "Overwrite" if existing is None else strategy)
    return locale


def _write_vocabulary(ctx: RequestContext, locale_key: str, items: list[dict[str, Any]], strategy: str) -> None:
    current = vocabulary.items_of(ctx, locale_key)
    if current is not None and strategy == "FailOnConflict":
        raise JobFailed("The locale already has a custom vocabulary; nothing was imported (merge strategy "
                        "FailOnConflict).")
    if current is not None and strategy == "Append":
        merged = {i["phrase"]: i for i in current}
        for item in items:  # same phrase: the imported item wins
            merged[item["phrase"]] = {**merged.get(item["phrase"], {}), **item}
        items = list(merged.values())
    vocabulary.save_items(ctx, locale_key, items)


def write_bot(ctx: RequestContext, settings: dict[str, Any], existing: Doc | None,
              bot_id: str | None = None) -> dict[str, Any]:
    """Create the bot ``settings`` describe (with its TestBotAlias), or give ``existing`` these settings."""
    if existing is None:
        return r.new_bot(ctx, settings, bot_id or ctx.ids.short(), botStatus="Available", _versionsCreated=0)
    return r.save(ctx, existing, {**r.current(ctx, existing), **settings, "botStatus": "Available"})


def _import_bot(ctx: RequestContext, archive: lexjson.Archive, target: dict[str, Any], strategy: str,
                bot_id: str | None) -> dict[str, Any]:
    name = target["botName"]
    existing = ctx.store.find(ctx.scope, r.BOT.kind, None, name)
    if existing is not None and strategy == "FailOnConflict":
        raise JobFailed(f"A bot named {name} already exists; nothing was imported (merge strategy FailOnConflict).")
    from_spec = {k: target[k] for k in ("roleArn", "dataPrivacy", "idleSessionTTLInSeconds", "errorLogSettings",
                                        "botTags", "testBotAliasTags") if target.get(k) is not None}
    settings = {**(archive.bot or {}), **from_spec, "botName": name}
    settings.pop("botId", None)
    bot = write_bot(ctx, settings, existing, bot_id)
    if existing is not None:
        ctx.store.remove_tree(ctx.scope, f"{bot['botId']}/{r.DRAFT}/")
    for content in archive.locales:
        write_locale(ctx, bot["botId"], content.locale["localeId"], content, "Overwrite", {})
    return {"importedResourceId": bot["botId"], "importedResourceName": name}


def _apply(ctx: RequestContext, job: Job, archive: lexjson.Archive) -> dict[str, Any]:
    spec = job.spec["resourceSpecification"]
    member = single_member(spec, "import")
    target, strategy = spec[member], job.spec["mergeStrategy"]
    expected = SPECS[member][1]
    if archive.resource_type != expected:
        raise JobFailed(f"The archive holds a {archive.resource_type} resource; the {member} needs {expected}.")
    if member == "botImportSpecification":
        return _import_bot(ctx, archive, target, strategy, (job.spec.get(importing.TARGET) or {}).get("botId"))
    try:
        bot_version(ctx, target["botId"], r.DRAFT)
    except AWSError as missing:
        raise JobFailed(missing.message) from None
    locale_id = target["localeId"]
    if member == "botLocaleImportSpecification":
        if len(archive.locales) != 1:
            raise JobFailed(f"A bot locale archive must hold one locale; this one holds {len(archive.locales)}.")
        overrides = {k: v for k, v in target.items() if k not in ("botId", "botVersion", "localeId")}
        write_locale(ctx, target["botId"], locale_id, archive.locales[0], strategy, overrides)
        return {"importedResourceId": locale_id, "importedResourceName": LOCALE_NAMES[locale_id]}
    locale = r.find(ctx, r.LOCALE, {**target, "botVersion": r.DRAFT})
    if locale is None:
        raise JobFailed(f"Bot locale {locale_id} of bot {target['botId']} does not exist.")
    items = next(iter(archive.vocabularies.values()))
    _write_vocabulary(ctx, locale.key, items, strategy)
    return {"importedResourceId": locale_id, "importedResourceName": LOCALE_NAMES.get(locale_id, locale_id)}


def _read_lexjson(data: bytes, password: str | None, limits: Limits) -> lexjson.Archive:
    archive = lexjson.read_archive(open_zip(data, password, limits.archive_entries, limits.archive_bytes))
    reasons: list[str] = []
    for content in archive.locales:
        validate_locale(content, reasons)
    if reasons:
        raise JobFailed(*reasons)
    return archive


def _read_test_set(data: bytes, password: str | None, limits: Limits) -> list[dict[str, Any]]:
    """A test set arrives as a CSV, or as a zip holding one."""
    if data[:2] == b"PK":
        files = open_zip(data, password, limits.archive_entries, limits.archive_bytes)
        found = [name for name in files if name.lower().endswith(".csv")]
        if len(found) != 1:
            raise JobFailed(f"A test set archive must hold exactly one .csv file; this one holds {len(found)}.")
        data = files[found[0]]
    elif len(data) > limits.archive_bytes:
        raise JobFailed(f"The test set file is larger than {limits.archive_bytes} bytes.")
    reasons: list[str] = []
    records = testset_csv.read_records(data, reasons)
    if reasons:
        raise JobFailed(*reasons)
    return records


def _s3_bytes(runtime: Runtime, job: Job) -> bytes:
    """A test set's CSV (or zip) read from its importInputLocation."""
    where = job.spec["s3"]
    out = io.BytesIO()
    try:
        runtime.objects.download(job.scope.account, where["bucket"], where["key"], out)
    except ObjectError as error:
        raise JobFailed(f"Cannot read s3://{where['bucket']}/{where['key']}: {error.code}: {error.message}") from None
    return out.getvalue()


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = RequestContext(runtime, job.scope.account, job.scope.region, job.scope.service, "StartImport", "")
        key = upload_key(job.scope, job.id)
        password = job.secrets.get("filePassword")
        spec = job.spec["resourceSpecification"]
        member = single_member(spec, "import")
        try:
            data = _s3_bytes(runtime, job) if "s3" in job.spec else runtime.artifacts.read(key)
            if member == "testSetImportResourceSpecification":
                records = _read_test_set(data, password, runtime.limits)
                apply = partial(testsets.import_records, ctx, spec[member], job.spec["mergeStrategy"], records)
            else:
                apply = partial(_apply, ctx, job, _read_lexjson(data, password, runtime.limits))
        except FileNotFoundError:
            raise JobFailed("The uploaded import file is gone.") from None
        except ArchiveError as error:
            raise JobFailed(str(error)) from None
        except lexjson.ArchiveInvalid as invalid:
            raise JobFailed(*invalid.reasons) from None
        try:
            with runtime.store.transaction():  # all or nothing
                result = apply()
        except AWSError as error:  # a rule of the resource layer, e.g. a name clash inside the archive
            raise JobFailed(error.message) from None
        return JobOutcome({**result, "artifacts": [key]}, key)

    return run
