"""SPICE ingestions: CreateIngestion, DescribeIngestion, ListIngestions, CancelIngestion, the ingestion a
SPICE data set starts when it is created or updated, and those its refresh schedules start.

Each ingestion is a job of the engine (kind ``quicksight.ingestion``), kept for the life of its data set (AWS
keeps cancelled ones too) and gone with it, so a restart loses none.  Its status follows the timing mode:

- an ingestion started while another of its data set is active waits behind it: the job is *held*, QUEUED,
  with QueueInfo as the model documents it (``WaitingOnIngestion``: this queued ingestion,
  ``QueuedIngestion``: the ongoing one it waits for), and is released, oldest first, when the data set or its
  ingestions are next read after the ongoing one has ended (or at once when that one is cancelled);
- a queued job is INITIALIZED, QUEUED then RUNNING, each for a third of the engine's delay (realistic mode;
  a released one skips INITIALIZED); INITIALIZED until advanced (manual mode; QUEUED if released); done before
  the call returns (immediate mode); a running job is RUNNING;
- it ends COMPLETED, FAILED with ErrorInfo (INTERNAL_SERVICE_ERROR and the reasons for a failure injected by
  the test controls; the reader's type otherwise), or CANCELLED (INGESTION_CANCELED).

Rows are counted, never invented.  A data set whose one physical table is an ``S3Source`` over an S3 data
source is really read: the manifest (``DataSourceParameters.S3Parameters.ManifestFileLocation``) and its
files (``URIs``, ``URIPrefixes``) from the account's S3, CSV or TSV as ``globalUploadSettings`` says and the
data set's ``UploadSettings`` override; a row whose field count or INTEGER/DECIMAL values do not fit the
``InputColumns`` is dropped (RowsDropped).  IngestionSizeInBytes is SPICE's logical size as the user guide
defines it (per field 8 bytes, plus the UTF-8 length for text), and DescribeDataSet's
ConsumedSpiceCapacityInBytes is that of the last COMPLETED ingestion (0 before).  Sources localexport cannot
reach (Athena, RDS, Redshift, ..., joins of several tables, XLSX/JSON/CLF/ELF files) ingest nothing: COMPLETED
with 0 rows, unless the test control ``SetSourceRows`` (a console action: ``controls.console("quicksight",
"SetSourceRows", account, region, {"DataSetId", "RowsIngested", "RowsDropped", "SizeInBytes"})``) says what
such a source holds.  A manifest that cannot be read fails the ingestion with S3_MANIFEST_ERROR, a data file
with S3_FILE_INACCESSIBLE.

Refresh schedules start ingestions when their time comes on the server clock (``ctx.clock``, which the control
clock moves): whenever a data set or its ingestions are read (no timer: every observation goes through a read,
so the outcome is the same and deterministic), each due schedule of a SPICE data set starts one SCHEDULED
ingestion, of its RefreshType, created at its latest occurrence since the schedule was last saved, the last
one it started and StartAfterDateTime: never a backlog.  Occurrences are in the schedule's Timezone
(zoneinfo; UTC if unknown): MINUTE15/MINUTE30/HOURLY at TimeOfTheDay's phase (``:00`` without one), DAILY at
TimeOfTheDay, WEEKLY on RefreshOnDay.DayOfWeek, MONTHLY on RefreshOnDay.DayOfMonth (1-28 or
LAST_DAY_OF_MONTH); a weekly or monthly schedule without the day AWS requires never fires.

Choices where AWS documents nothing:
- CreateIngestion on a DIRECT_QUERY data set is accepted and the ingestion FAILS with DATA_SET_NOT_SPICE: the
  model's IngestionErrorType has that value, which only an ingestion record can carry;
- CancelIngestion of an ingestion that has ended answers ResourceNotFoundException (there is no *ongoing*
  ingestion of that id, as the API reference words it) and changes nothing;
- ListIngestions is newest first; the Enterprise edition's 32 manual refreshes (CreateIngestion) per data set
  in 24 hours answer LimitExceededException;
- incremental refreshes read S3 sources whole (AWS offers incremental refresh for SQL sources only).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...core.jobs import HELD, JobFailed, JobOutcome, scoped_job_id
from ...core.objects import ByteBudget, ObjectError, S3Url
from ...core.runtime import JobName, RequestContext, Runtime
from ...core.store import AlreadyExists, Doc, Job
from . import assets as a
from . import jobs
from .assets import op
from .errors import exists, limit, not_found

KIND = "quicksight.ingestion"
SOURCE_ROWS = "IngestionSourceRows"  # what the test control says a source localexport cannot reach holds
ENDED = ("COMPLETED", "FAILED", "CANCELLED")
CANCELED = "INGESTION_CANCELED"
MANUAL_PER_DAY = 32  # CreateIngestion's documented limit for an Enterprise edition account
DAY = 24 * 3600
MAX_MANIFEST_BYTES = 1024 * 1024  # a manifest is a short JSON document
MAX_FILES = 1000  # files one S3 manifest may name (QuickSight's S3 data source quota)
op.names_jobs(KIND)(lambda job: JobName(job.spec["IngestionId"]))  # unique within its data set
_IDS = uuid.UUID("6b1f0c52-2d43-4c1e-9a55-5e7a1c3b9d20")  # the namespace of scheduled ingestions' ids


def arn(ctx: RequestContext, data_set_id: str, ingestion_id: str) -> str:
    return f"{a.arn(ctx, a.DATA_SET, data_set_id)}/ingestion/{ingestion_id}"


def job_id(ctx: RequestContext, data_set_id: str, ingestion_id: str) -> str:
    return scoped_job_id(a.scope(ctx), KIND, data_set_id, ingestion_id)


def of_data_set(ctx: RequestContext, data_set_id: str) -> list[Job]:
    """The data set's ingestions, oldest first."""
    found = [j for j in ctx.store.jobs(a.scope(ctx), KIND) if j.spec["DataSetId"] == data_set_id]
    return sorted(found, key=lambda j: (j.spec["CreatedTime"], j.created_at))


# -- statuses and views --------------------------------------------------------------------


def status(ctx: RequestContext, job: Job) -> str:
    if job.state == HELD:
        return "QUEUED"
    if job.state == "queued":
        held = job.spec.get("Held", False)
        engine = ctx.engine
        if engine.mode != "realistic" or engine.delay <= 0:
            return "QUEUED" if held else "INITIALIZED"
        third = int(3 * (ctx.clock.now() - job.updated_at) / engine.delay)  # updated_at: when it was queued
        return ("QUEUED" if held else "INITIALIZED", "QUEUED", "RUNNING")[min(max(third, 0), 2)]
    if job.state == "running":
        return "RUNNING"
    if job.state == "succeeded":
        return "COMPLETED"
    return "CANCELLED" if (job.result or {}).get("ErrorType") == CANCELED else "FAILED"


def view(ctx: RequestContext, job: Job, siblings: list[Job]) -> dict[str, Any]:
    spec, result, shown = job.spec, job.result or {}, status(ctx, job)
    out: dict[str, Any] = {"Arn": arn(ctx, spec["DataSetId"], spec["IngestionId"]), "IngestionId": spec["IngestionId"],
                           "IngestionStatus": shown, "CreatedTime": spec["CreatedTime"],
                           "RequestSource": spec["RequestSource"], "RequestType": spec["RequestType"]}
    if job.state == HELD:
        ongoing = next((j for j in siblings if j.state in ("queued", "running")), None) or next(
            (j for j in siblings if j.state == HELD), job)
        out["QueueInfo"] = {"WaitingOnIngestion": spec["IngestionId"], "QueuedIngestion": ongoing.spec["IngestionId"]}
    if shown in ENDED:
        out["IngestionTimeInSeconds"] = max(0, round(job.updated_at - result.get("QueuedAt", job.created_at)))
    if shown == "COMPLETED":
        out["RowInfo"] = {"RowsIngested": result["RowsIngested"], "RowsDropped": result["RowsDropped"],
                          "TotalRowsInDataset": result["RowsIngested"]}
        out["IngestionSizeInBytes"] = result["SizeInBytes"]
    elif shown in ENDED:
        out["ErrorInfo"] = {"Type": result.get("ErrorType", "INTERNAL_SERVICE_ERROR"),
                            "Message": "; ".join(job.failure or []) or "The ingestion failed."}
    return out


# -- starting, queueing, catching up -----------------------------------------------------------


def start(ctx: RequestContext, data_set_id: str, ingestion_id: str, source: str, request_type: str,
          created: float, schedule_id: str | None = None) -> Job:
    """Start an ingestion, or hold it behind the data set's active one."""
    spec: dict[str, Any] = {"DataSetId": data_set_id, "IngestionId": ingestion_id, "RequestSource": source,
                            "RequestType": request_type, "CreatedTime": created}
    if schedule_id:
        spec["ScheduleId"] = schedule_id
    the_id = job_id(ctx, data_set_id, ingestion_id)
    with ctx.store.transaction():  # the check and the insert at once: two starts never both run
        waits = any(j.state in (HELD, "queued", "running") for j in of_data_set(ctx, data_set_id))
        job = ctx.engine.hold(a.scope(ctx), KIND, the_id, {**spec, "Held": waits})
    if not waits:  # after the commit: an immediate job runs within release
        ctx.engine.release(the_id)
    return ctx.store.get_job(the_id, a.scope(ctx)) or job


def _release_next(ctx: RequestContext, data_set_id: str) -> None:
    """Once nothing of the data set is queued or running, its oldest held ingestion goes (immediate mode runs
    it at once, so the next one follows)."""
    while True:
        found = of_data_set(ctx, data_set_id)
        held = [j for j in found if j.state == HELD]
        if not held or any(j.state in ("queued", "running") for j in found):
            return
        ctx.engine.release(held[0].id)


def catch_up(ctx: RequestContext, data_set: Doc) -> None:
    """What the clock has made due since the data set was last looked at: queued ingestions whose turn has
    come, then the latest occurrence of each due refresh schedule."""
    if ctx.store.in_transaction():  # an immediate job cannot run inside the caller's transaction
        return
    _release_next(ctx, data_set.key)
    if data_set.body.get("ImportMode") != "SPICE":
        return
    now = ctx.clock.now()
    for doc in ctx.store.all(a.scope(ctx), a.REFRESH_SCHEDULE.name):
        if not doc.key.startswith(data_set.key + "/"):
            continue
        schedule = doc.body["Schedule"]
        at = latest_occurrence(schedule, now)
        if at is None or at < start_after(schedule):
            continue
        started = [j.spec["CreatedTime"] for j in of_data_set(ctx, data_set.key)
                   if j.spec.get("ScheduleId") == schedule["ScheduleId"]]
        if at <= max([doc.body.get(a.UPDATED, 0.0), *started]):
            continue
        ingestion_id = str(uuid.uuid5(_IDS, f"{ctx.account}/{ctx.region}/{doc.key}/{at}"))
        try:  # the id is the occurrence's: a read racing this one started it already
            start(ctx, data_set.key, ingestion_id, "SCHEDULED", schedule.get("RefreshType") or "FULL_REFRESH", at,
                  schedule["ScheduleId"])
        except AlreadyExists:
            pass


# -- refresh schedule occurrences --------------------------------------------------------------

_STEP_MINUTES = {"MINUTE15": 15, "MINUTE30": 30, "HOURLY": 60}
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_occurrence(schedule: dict[str, Any], now: float) -> float | None:
    """The epoch of the schedule's latest occurrence at or before ``now`` (None if it has none)."""
    frequency = schedule.get("ScheduleFrequency") or {}
    interval = frequency.get("Interval")
    if interval in _STEP_MINUTES:  # walk back minute by minute in the zone: exact across daylight-saving changes
        zone = _zone(frequency.get("Timezone"))
        hour, _, minute = (frequency.get("TimeOfTheDay") or "00:00").partition(":")
        phase = int(hour or 0) * 60 + int(minute or 0)
        start = int(now // 60) * 60
        for back in range(_STEP_MINUTES[interval] + 120):  # a step, and a daylight-saving hour or two
            local = datetime.fromtimestamp(start - back * 60, zone)
            if (local.hour * 60 + local.minute - phase) % _STEP_MINUTES[interval] == 0:
                return float(start - back * 60)
        return None
    at = _wall_clock_occurrence(schedule, now)
    if at is not None and at > now:  # today's time was skipped by a daylight-saving change: the one before today
        today = datetime.fromtimestamp(now, _zone(frequency.get("Timezone")))
        at = _wall_clock_occurrence(schedule, today.replace(hour=0, minute=0, second=0, microsecond=0).timestamp() - 1)
    return at


def _wall_clock_occurrence(schedule: dict[str, Any], now: float) -> float | None:
    frequency = schedule.get("ScheduleFrequency") or {}
    local = datetime.fromtimestamp(now, _zone(frequency.get("Timezone")))
    hour, _, minute = (frequency.get("TimeOfTheDay") or "00:00").partition(":")
    at_hour, at_minute = int(hour or 0), int(minute or 0)
    interval = frequency.get("Interval")
    day = frequency.get("RefreshOnDay") or {}
    if interval in _STEP_MINUTES:
        step = _STEP_MINUTES[interval]
        back = (local.hour * 60 + local.minute - at_hour * 60 - at_minute) % step
        return (local.replace(second=0, microsecond=0) - timedelta(minutes=back)).timestamp()
    if interval == "DAILY":
        candidate = local.replace(hour=at_hour, minute=at_minute, second=0, microsecond=0)
        return (candidate if candidate <= local else candidate - timedelta(days=1)).timestamp()
    if interval == "WEEKLY" and day.get("DayOfWeek") in _WEEKDAYS:
        back = (local.weekday() - _WEEKDAYS.index(day["DayOfWeek"])) % 7
        candidate = (local - timedelta(days=back)).replace(hour=at_hour, minute=at_minute, second=0, microsecond=0)
        return (candidate if candidate <= local else candidate - timedelta(days=7)).timestamp()
    if interval == "MONTHLY" and day.get("DayOfMonth"):
        def in_month(year: int, month: int) -> datetime:
            last = monthrange(year, month)[1]
            wanted = last if day["DayOfMonth"] == "LAST_DAY_OF_MONTH" else min(int(day["DayOfMonth"]), last)
            return local.replace(year=year, month=month, day=wanted, hour=at_hour, minute=at_minute, second=0,
                                 microsecond=0)

        candidate = in_month(local.year, local.month)
        if candidate > local:
            candidate = in_month(local.year - (local.month == 1), (local.month - 2) % 12 + 1)
        return candidate.timestamp()
    return None


def start_after(schedule: dict[str, Any]) -> float:
    """StartAfterDateTime as an epoch (the wire gives epoch seconds; ISO text is read in the schedule's zone)."""
    value = schedule.get("StartAfterDateTime")
    if value is None:
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        when = when.replace(tzinfo=_zone((schedule.get("ScheduleFrequency") or {}).get("Timezone")))
    return when.timestamp()


# -- reading the rows --------------------------------------------------------------------------


@dataclass
class Rows:
    ingested: int = 0
    dropped: int = 0
    size: int = 0


@dataclass(frozen=True)
class Layout:
    """How the files' rows are written: the manifest's globalUploadSettings, then the data set's UploadSettings."""

    format: str = "CSV"
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    start_row: int = 1


class IngestionError(JobFailed):
    def __init__(self, error_type: str, message: str):
        super().__init__(message, result={"ErrorType": error_type})


def _flag(value: Any, default: bool) -> bool:
    return default if value is None else str(value).strip().lower() == "true"


def _layout(manifest: dict[str, Any], settings: dict[str, Any] | None) -> Layout:
    given = manifest.get("globalUploadSettings") or {}
    settings = settings or {}
    fmt = str(settings.get("Format") or given.get("format") or "CSV").upper()
    delimiter = settings.get("Delimiter") or given.get("delimiter") or ("\t" if fmt == "TSV" else ",")
    quote = {"DOUBLE_QUOTE": '"', "SINGLE_QUOTE": "'"}.get(settings.get("TextQualifier") or "",
                                                          given.get("textqualifier") or '"')
    header = _flag(settings.get("ContainsHeader"), _flag(given.get("containsHeader"), True))
    return Layout(fmt, delimiter, quote, header, settings.get("StartFromRow") or 1)


def _s3_url(uri: str) -> S3Url:
    """s3:// or https:// (path-style or virtual-hosted) URIs, as manifests may write them."""
    split = urlsplit(uri)
    host = split.netloc.split(":")[0]
    if split.scheme in ("http", "https") and ".s3" in host and not host.startswith("s3"):
        return S3Url(host[: host.index(".s3")], split.path.lstrip("/"))
    return S3Url.parse(uri)


def _manifest(ctx: RequestContext, location: dict[str, str]) -> dict[str, Any]:
    where = f"s3://{location['Bucket']}/{location['Key']}"
    buffer = io.BytesIO()
    too_big = IngestionError("S3_MANIFEST_ERROR", f"The manifest {where} is larger than {MAX_MANIFEST_BYTES} bytes.")
    try:
        ctx.runtime.objects.download(ctx.account, location["Bucket"], location["Key"],
                                     ByteBudget(MAX_MANIFEST_BYTES, too_big).capped(buffer))
        manifest = json.loads(buffer.getvalue())
    except ObjectError as error:
        raise IngestionError("S3_MANIFEST_ERROR", f"Failed to read the manifest {where}: {error.code}: "
                                                  f"{error.message}") from None
    except ValueError:
        raise IngestionError("S3_MANIFEST_ERROR", f"The manifest {where} is not valid JSON.") from None
    if not isinstance(manifest, dict) or not manifest.get("fileLocations"):
        raise IngestionError("S3_MANIFEST_ERROR", f"The manifest {where} has no fileLocations.")
    return manifest


def _files(ctx: RequestContext, manifest: dict[str, Any]) -> list[S3Url]:
    found: list[S3Url] = []
    try:
        for entry in manifest["fileLocations"]:
            found += [_s3_url(u) for u in entry.get("URIs") or []]
            for prefix in entry.get("URIPrefixes") or []:
                url = _s3_url(prefix)
                keys = ctx.runtime.objects.list(ctx.account, url.bucket, url.key)
                found += [S3Url(url.bucket, k) for k in keys if not k.endswith("/")]
    except (ObjectError, ValueError, AttributeError, TypeError) as error:
        raise IngestionError("S3_MANIFEST_ERROR", f"The manifest's fileLocations cannot be listed: {error}") from None
    if not found:
        raise IngestionError("S3_MANIFEST_ERROR", "The manifest's fileLocations name no files.")
    if len(found) > MAX_FILES:
        raise IngestionError("S3_MANIFEST_ERROR", f"The manifest's fileLocations name {len(found)} files; at most "
                                                  f"{MAX_FILES} are allowed.")
    return found


def _fits(value: str, kind: str) -> bool:
    if not value.strip() or kind not in ("INTEGER", "DECIMAL"):
        return True
    try:
        int(value) if kind == "INTEGER" else float(value)
    except ValueError:
        return False
    return True


def _count(path: Path, layout: Layout, columns: list[dict[str, Any]], rows: Rows) -> None:
    kinds = [c.get("Type", "STRING") for c in columns]
    skip = layout.start_row - 1 + layout.header
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as text:
        for number, row in enumerate(csv.reader(text, delimiter=layout.delimiter, quotechar=layout.quote)):
            if number < skip or not row:
                continue
            if kinds and (len(row) != len(kinds) or not all(map(_fits, row, kinds))):
                rows.dropped += 1
                continue
            rows.ingested += 1  # SPICE's logical size: 8 bytes a field, plus the UTF-8 length of text
            typed = zip(row, kinds or ["STRING"] * len(row))
            rows.size += sum(8 + (len(v.encode()) if k == "STRING" else 0) for v, k in typed)


def _read_s3(ctx: RequestContext, table: dict[str, Any]) -> Rows | None:
    """The rows of an S3Source table (None if its files are in a format localexport does not read)."""
    parsed = a.parse_arn(ctx, table["DataSourceArn"])
    source = a.find(ctx, *parsed) if parsed and parsed[0] is a.DATA_SOURCE else None
    if source is None:
        raise IngestionError("DATA_SOURCE_NOT_FOUND", f"The data source {table['DataSourceArn']} is not found.")
    location = ((source.body.get("DataSourceParameters") or {}).get("S3Parameters") or {}).get(
        "ManifestFileLocation")
    if not location:
        raise IngestionError("INVALID_DATA_SOURCE_CONFIG", f"The data source {source.key} names no S3 manifest.")
    manifest = _manifest(ctx, location)
    layout = _layout(manifest, table.get("UploadSettings"))
    if layout.format not in ("CSV", "TSV"):
        return None
    if len(layout.delimiter) != 1 or len(layout.quote) != 1:
        raise IngestionError("S3_MANIFEST_ERROR", "The delimiter and the text qualifier must be one character each.")
    rows = Rows()
    most = ctx.runtime.limits.archive_bytes  # what one ingestion reads at most (LOCALEXPORT_MAX_ARCHIVE_BYTES)
    budget = ByteBudget(most, IngestionError("DATA_SET_SIZE_LIMIT_EXCEEDED",
                                             f"The files are larger than {most} bytes in all."))
    with ctx.runtime.artifacts.scratch() as scratch:
        for i, url in enumerate(_files(ctx, manifest)):
            path = scratch / f"{i:05d}"
            try:
                with open(path, "wb") as out:
                    ctx.runtime.objects.download(ctx.account, url.bucket, url.key, budget.capped(out))
            except ObjectError as error:
                raise IngestionError("S3_FILE_INACCESSIBLE", f"Failed to read {url}: {error.code}: "
                                                             f"{error.message}") from None
            try:
                _count(path, layout, table.get("InputColumns") or [], rows)
            except csv.Error as error:  # a field past the reader's limit, a stray quote: the file's, not ours
                kind = "ROW_SIZE_LIMIT_EXCEEDED" if "larger than field limit" in str(error) else "CUSTOMER_ERROR"
                raise IngestionError(kind, f"{url} cannot be read as {layout.format}: {error}") from None
            path.unlink()
    return rows


def _told(ctx: RequestContext, data_set: Doc) -> Rows:
    """What the test control says a source localexport cannot reach holds (nothing, unless told)."""
    doc = ctx.store.get(a.scope(ctx), SOURCE_ROWS, data_set.key)
    if doc is None:
        return Rows()
    return Rows(doc.body["RowsIngested"], doc.body["RowsDropped"], doc.body["SizeInBytes"])


def make_runner(runtime: Runtime):
    def run(job: Job) -> JobOutcome:
        ctx = jobs.runner_context(runtime, job)
        queued_at = job.updated_at  # the job as the engine took it from the queue
        data_set = a.find(ctx, a.DATA_SET, job.spec["DataSetId"])
        try:
            if data_set is None:
                raise IngestionError("DATA_SET_DELETED", f"The data set {job.spec['DataSetId']} was deleted.")
            if data_set.body.get("ImportMode") != "SPICE":
                raise IngestionError("DATA_SET_NOT_SPICE", f"The data set {data_set.key} is not a SPICE data set.")
            tables = list((data_set.body.get("PhysicalTableMap") or {}).values())
            s3 = tables[0].get("S3Source") if len(tables) == 1 else None
            rows = _read_s3(ctx, s3) if s3 else None
            if rows is None:  # a source localexport cannot read
                rows = _told(ctx, data_set)
        except IngestionError as error:
            error.result = {**(error.result or {}), "QueuedAt": queued_at}
            raise
        return JobOutcome({"RowsIngested": rows.ingested, "RowsDropped": rows.dropped, "SizeInBytes": rows.size,
                           "QueuedAt": queued_at})

    return run


# -- operations ----------------------------------------------------------------------------------


def _data_set(ctx: RequestContext, params: dict[str, Any]) -> Doc:
    a.check_account(ctx, params)
    data_set = a.load(ctx, a.DATA_SET, params["DataSetId"])
    catch_up(ctx, data_set)
    return data_set


def _load(ctx: RequestContext, params: dict[str, Any]) -> Job:
    job = ctx.store.get_job(job_id(ctx, params["DataSetId"], params["IngestionId"]), a.scope(ctx))
    if job is None:
        raise not_found(f"Ingestion {arn(ctx, params['DataSetId'], params['IngestionId'])} is not found")
    return job


@op("CreateIngestion")
def create_ingestion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data_set = _data_set(ctx, params)
    the_arn = arn(ctx, data_set.key, params["IngestionId"])
    exists_already = exists(f"Ingestion {the_arn} already exists.", "INGESTION")
    if ctx.store.get_job(job_id(ctx, data_set.key, params["IngestionId"]), a.scope(ctx)) is not None:
        raise exists_already
    now = ctx.clock.now()
    refreshes = ("FULL_REFRESH", "INCREMENTAL_REFRESH")  # what the limit counts: not the ingestions of saves
    manual = [j for j in of_data_set(ctx, data_set.key) if j.spec["RequestSource"] == "MANUAL"
              and j.spec["RequestType"] in refreshes and j.spec["CreatedTime"] > now - DAY]
    if len(manual) >= MANUAL_PER_DAY:
        raise limit(f"The data set {data_set.key} was refreshed manually {MANUAL_PER_DAY} times in the last 24 hours, "
                    "the most an Enterprise edition account may.")
    try:
        job = start(ctx, data_set.key, params["IngestionId"], "MANUAL", params.get("IngestionType") or "FULL_REFRESH",
                    now)
    except AlreadyExists:  # the same id, created meanwhile by a concurrent call
        raise exists_already from None
    return {"Arn": the_arn, "IngestionId": params["IngestionId"], "IngestionStatus": status(ctx, job),
            "RequestId": ctx.request_id, "Status": 201}


@op("DescribeIngestion")
def describe_ingestion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data_set = _data_set(ctx, params)
    job = _load(ctx, params)
    return {"Ingestion": view(ctx, job, of_data_set(ctx, data_set.key)), "RequestId": ctx.request_id, "Status": 200}


@op("ListIngestions")
def list_ingestions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data_set = _data_set(ctx, params)
    found = of_data_set(ctx, data_set.key)
    chunk, token = a.paged([view(ctx, j, found) for j in reversed(found)], params, ["ListIngestions", data_set.key])
    return {"Ingestions": chunk, "NextToken": token, "RequestId": ctx.request_id, "Status": 200}


@op("CancelIngestion")
def cancel_ingestion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data_set = _data_set(ctx, params)
    job = _load(ctx, params)
    active = (HELD, "queued", "running")
    cancelled = job.state in active and ctx.store.update_job(
        job.id, only_from=active, state="failed", failure=["The ingestion was canceled."],
        result={"ErrorType": CANCELED}, updated_at=ctx.clock.now())  # a running job's outcome is then dropped
    if not cancelled:
        shown = status(ctx, ctx.store.get_job(job.id) or job)
        raise not_found(f"Ingestion {params['IngestionId']} has ended ({shown}): there is no ongoing ingestion "
                        "of that id to cancel.")
    _release_next(ctx, data_set.key)
    return {"Arn": arn(ctx, data_set.key, params["IngestionId"]), "IngestionId": params["IngestionId"],
            "RequestId": ctx.request_id, "Status": 200}


@op.console("SetSourceRows")
def set_source_rows(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """A test control: what a source localexport cannot reach (Athena, RDS, ...) holds, for the data set's next
    ingestions (size: SPICE's 8 bytes a field unless given)."""
    data_set = a.load(ctx, a.DATA_SET, params["DataSetId"])
    fields = sum(len(table.get("InputColumns") or table.get("Columns") or [])  # RelationalTable, CustomSql, ...
                 for physical in (data_set.body.get("PhysicalTableMap") or {}).values() for table in physical.values())
    rows = int(params.get("RowsIngested", 0))
    body = {"RowsIngested": rows, "RowsDropped": int(params.get("RowsDropped", 0)),
            "SizeInBytes": int(params.get("SizeInBytes", 8 * fields * rows))}
    now = ctx.clock.now()
    if ctx.store.get(a.scope(ctx), SOURCE_ROWS, data_set.key) is not None:
        ctx.store.remove(a.scope(ctx), SOURCE_ROWS, data_set.key)
    ctx.store.put(a.scope(ctx), Doc(SOURCE_ROWS, data_set.key, None, None, body, now, now))
    return body


# -- what data sets show of their ingestions --------------------------------------------------------


def _saved(ctx: RequestContext, params: dict[str, Any], created: bool) -> dict[str, Any]:
    """CreateDataSet/UpdateDataSet of a SPICE data set start an ingestion and answer its ARN and id."""
    if params["ImportMode"] != "SPICE":  # DIRECT_QUERY: nothing to ingest
        return {}
    ingestion_id = ctx.ids.uuid()
    start(ctx, params["DataSetId"], ingestion_id, "MANUAL", "INITIAL_INGESTION" if created else "EDIT",
          ctx.clock.now())
    return {"IngestionArn": arn(ctx, params["DataSetId"], ingestion_id), "IngestionId": ingestion_id}


def _viewed(ctx: RequestContext, doc: Doc, out: dict[str, Any]) -> dict[str, Any]:
    catch_up(ctx, doc)
    done = [j for j in of_data_set(ctx, doc.key) if j.state == "succeeded"]
    last = max(done, key=lambda j: j.updated_at, default=None)
    return {**out, "ConsumedSpiceCapacityInBytes": (last.result or {}).get("SizeInBytes", 0) if last else 0}


def _removed(ctx: RequestContext, doc: Doc) -> None:
    """Its ingestions go with the data set; an active one is dropped with its record (a runner in flight finds
    its job gone and its outcome is discarded)."""
    for job in of_data_set(ctx, doc.key):
        ctx.engine.purge(job)
    ctx.store.remove(a.scope(ctx), SOURCE_ROWS, doc.key)


a.EXTENSIONS.saved[a.DATA_SET.name] = _saved
a.EXTENSIONS.viewed[a.DATA_SET.name] = _viewed
a.EXTENSIONS.removed[a.DATA_SET.name] = _removed
