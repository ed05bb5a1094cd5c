"""QuickSight SPICE ingestions through boto3: started by saving SPICE data sets and by CreateIngestion, rows read
from S3 manifests, statuses on the timing modes, queueing, cancellation, failures, refresh schedules on the
server clock, deleting the data set, and a real server."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from conftest import client
from quicksight_helpers import ACCOUNT, arn
from test_wire import error_of

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.core.clock import Clock
from localexport.inprocess import InProcess
from localexport.services.quicksight import ingestions

OTHER = "210987654321"
REGION = "us-east-1"
BUCKET = "spice-data"
TRAVEL_ITEMS = Path("personalize/aws-samples__amazon-personalize-immersion-day/TravelGenAI/poc_data/items.csv")
TYPES = {"DURATION_DAYS": "INTEGER", "NUMBER_OF_SEARCH_BY_USER": "INTEGER", "DYNAMIC_PRICE": "DECIMAL",
         "DISCOUNT_FOR_MEMBER": "INTEGER"}
ENDED = ("COMPLETED", "FAILED", "CANCELLED")


@pytest.fixture
def qs(make_client):
    return make_client("quicksight")


@pytest.fixture
def s3(make_client):
    s3 = make_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def csv_bytes(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def columns_of(header: list[str]) -> list[dict]:
    return [{"Name": name, "Type": TYPES.get(name, "STRING")} for name in header]


def spice_size(rows: list[list], columns: list[dict]) -> int:
    """SPICE's logical size (user guide, "Estimating the size of SPICE datasets"): 8 bytes a field, plus the
    UTF-8 length of text fields."""
    return sum(8 + (len(v.encode()) if c["Type"] == "STRING" else 0) for row in rows for v, c in zip(row, columns))


def s3_data_set(qs, s3, data_set_id: str, manifest: dict, columns: list[dict], mode: str = "SPICE") -> dict:
    """An S3 data source reading ``manifest`` and a data set over it."""
    s3.put_object(Bucket=BUCKET, Key=f"manifests/{data_set_id}.json", Body=json.dumps(manifest).encode())
    source = qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId=f"{data_set_id}-src", Name=data_set_id,
                                   Type="S3", DataSourceParameters={"S3Parameters": {"ManifestFileLocation": {
                                       "Bucket": BUCKET, "Key": f"manifests/{data_set_id}.json"}}})["Arn"]
    return qs.create_data_set(AwsAccountId=ACCOUNT, DataSetId=data_set_id, Name=data_set_id, ImportMode=mode,
                              PhysicalTableMap={"t": {"S3Source": {"DataSourceArn": source, "InputColumns": columns}}})


def athena_data_set(qs, data_set_id: str, mode: str = "SPICE", account: str = ACCOUNT) -> dict:
    """A data set over a source localexport cannot reach."""
    try:
        source = qs.create_data_source(AwsAccountId=account, DataSourceId="athena", Name="Athena", Type="ATHENA",
                                       DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})["Arn"]
    except qs.exceptions.ResourceExistsException:
        source = arn("datasource", "athena", account)
    return qs.create_data_set(AwsAccountId=account, DataSetId=data_set_id, Name=data_set_id, ImportMode=mode,
                              PhysicalTableMap={"t": {"RelationalTable": {
                                  "DataSourceArn": source, "Schema": "db", "Name": "sales",
                                  "InputColumns": [{"Name": "country", "Type": "STRING"},
                                                   {"Name": "amount", "Type": "DECIMAL"}]}}})


def describe(qs, data_set_id: str, ingestion_id: str) -> dict:
    return qs.describe_ingestion(AwsAccountId=ACCOUNT, DataSetId=data_set_id, IngestionId=ingestion_id)["Ingestion"]


def listed(qs, data_set_id: str, account: str = ACCOUNT) -> list[dict]:
    return qs.list_ingestions(AwsAccountId=account, DataSetId=data_set_id)["Ingestions"]


def consumed(qs, data_set_id: str) -> int:
    return qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId=data_set_id)["DataSet"][
        "ConsumedSpiceCapacityInBytes"]


def wait_ingestion(qs, data_set_id: str, ingestion_id: str, timeout: float = 30) -> tuple[dict, list[str]]:
    """Poll until the ingestion ends; returns it and the statuses seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        ingestion = describe(qs, data_set_id, ingestion_id)
        if not seen or seen[-1] != ingestion["IngestionStatus"]:
            seen.append(ingestion["IngestionStatus"])
        if ingestion["IngestionStatus"] in ENDED:
            return ingestion, seen
        assert time.monotonic() < deadline, seen
        time.sleep(0.01)


def engine_job(local, data_set_id: str, ingestion_id: str) -> str:
    job_id = ingestions.job_id(_context(local), data_set_id, ingestion_id)
    assert local.controls.job(job_id) is not None
    return job_id


def _context(local, account: str = ACCOUNT):
    from localexport.core.runtime import RequestContext

    return RequestContext(local.runtime, account, REGION, "quicksight", "test", "")


def test_spice_data_set_over_s3_ingests_the_real_csv_rows(qs, s3, fixtures_dir):
    real = (fixtures_dir / TRAVEL_ITEMS).read_bytes()
    header, *rows = list(csv.reader(io.StringIO(real.decode("utf-8-sig"))))
    columns = columns_of(header)
    extra = [rows[0], rows[1], [*rows[2][:4], "four days", *rows[2][5:]], rows[3][:5]]  # 2 fit, 2 are dropped
    s3.put_object(Bucket=BUCKET, Key="travel/items.csv", Body=real)
    s3.put_object(Bucket=BUCKET, Key="more/extra.csv", Body=csv_bytes([header, *extra]))
    manifest = {"fileLocations": [{"URIs": [f"s3://{BUCKET}/travel/items.csv"]},
                                  {"URIPrefixes": [f"https://s3.amazonaws.com/{BUCKET}/more/"]}],
                "globalUploadSettings": {"format": "CSV", "delimiter": ",", "containsHeader": "true"}}
    created = s3_data_set(qs, s3, "travel", manifest, columns)
    assert uuid.UUID(created["IngestionId"]).version == 4
    assert created["IngestionArn"] == f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/travel/ingestion/" \
                                      f"{created['IngestionId']}"
    ingestion = describe(qs, "travel", created["IngestionId"])
    expected_size = spice_size(rows + extra[:2], columns)
    assert ingestion["IngestionStatus"] == "COMPLETED" and ingestion["Arn"] == created["IngestionArn"]
    assert ingestion["RowInfo"] == {"RowsIngested": len(rows) + 2, "RowsDropped": 2,
                                    "TotalRowsInDataset": len(rows) + 2} and len(rows) == 350
    assert ingestion["IngestionSizeInBytes"] == expected_size
    assert (ingestion["RequestSource"], ingestion["RequestType"]) == ("MANUAL", "INITIAL_INGESTION")
    assert isinstance(ingestion["CreatedTime"], datetime) and "ErrorInfo" not in ingestion
    assert consumed(qs, "travel") == expected_size

    s3.put_object(Bucket=BUCKET, Key="more/extra.csv", Body=csv_bytes([header]))  # the source changes
    updated = qs.update_data_set(AwsAccountId=ACCOUNT, DataSetId="travel", Name="travel v2", ImportMode="SPICE",
                                 PhysicalTableMap=qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="travel")[
                                     "DataSet"]["PhysicalTableMap"])
    assert updated["IngestionId"] != created["IngestionId"]
    edit = describe(qs, "travel", updated["IngestionId"])
    assert edit["RequestType"] == "EDIT" and edit["RowInfo"]["RowsIngested"] == len(rows)
    assert consumed(qs, "travel") == spice_size(rows, columns)
    assert [i["IngestionId"] for i in listed(qs, "travel")] == [updated["IngestionId"], created["IngestionId"]]

    # without a header row each file's header is a row, and its text in INTEGER columns drops it
    headless = {**manifest, "globalUploadSettings": {"format": "CSV", "containsHeader": "false"}}
    started = s3_data_set(qs, s3, "headless", headless, columns)
    assert describe(qs, "headless", started["IngestionId"])["RowInfo"] == {
        "RowsIngested": len(rows), "RowsDropped": 2, "TotalRowsInDataset": len(rows)}


def test_direct_query_data_sets_start_no_ingestion_and_fail_one_asked_for(qs, s3):
    created = athena_data_set(qs, "live", mode="DIRECT_QUERY")
    assert "IngestionArn" not in created and "IngestionId" not in created
    assert listed(qs, "live") == []
    answer = qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="live", IngestionId="try")
    assert answer["Status"] == 201 and answer["Arn"] == f"{arn('dataset', 'live')}/ingestion/try"
    failed = describe(qs, "live", "try")
    assert failed["IngestionStatus"] == "FAILED" and failed["ErrorInfo"]["Type"] == "DATA_SET_NOT_SPICE"
    assert consumed(qs, "live") == 0
    updated = qs.update_data_set(AwsAccountId=ACCOUNT, DataSetId="live", Name="live", ImportMode="DIRECT_QUERY",
                                 PhysicalTableMap=qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="live")[
                                     "DataSet"]["PhysicalTableMap"])
    assert "IngestionId" not in updated and len(listed(qs, "live")) == 1


def test_create_queue_list_cancel_and_advance_in_manual_mode(qs, local):
    local.controls.set_timing("manual")
    first = athena_data_set(qs, "sales")["IngestionId"]
    assert describe(qs, "sales", first)["IngestionStatus"] == "INITIALIZED"
    assert consumed(qs, "sales") == 0
    answer = qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="refresh-1")
    assert (answer["Status"], answer["IngestionStatus"], answer["IngestionId"]) == (201, "QUEUED", "refresh-1")
    assert re.fullmatch(rf"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/sales/ingestion/refresh-1", answer["Arn"])
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="refresh-2",
                        IngestionType="INCREMENTAL_REFRESH")
    waiting = describe(qs, "sales", "refresh-2")
    assert waiting["IngestionStatus"] == "QUEUED" and waiting["RequestType"] == "INCREMENTAL_REFRESH"
    assert waiting["QueueInfo"] == {"WaitingOnIngestion": "refresh-2", "QueuedIngestion": first}

    cancel = qs.cancel_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="refresh-1")
    assert cancel["Arn"].endswith("/ingestion/refresh-1") and cancel["Status"] == 200
    cancelled = describe(qs, "sales", "refresh-1")
    assert cancelled["IngestionStatus"] == "CANCELLED" and cancelled["ErrorInfo"]["Type"] == "INGESTION_CANCELED"
    assert "QueueInfo" not in cancelled

    local.controls.advance(engine_job(local, "sales", first))
    done = describe(qs, "sales", first)
    assert done["IngestionStatus"] == "COMPLETED"
    assert done["RowInfo"] == {"RowsIngested": 0, "RowsDropped": 0, "TotalRowsInDataset": 0}  # Athena: not read
    released = describe(qs, "sales", "refresh-2")  # its turn has come: queued in the engine, waiting to be advanced
    assert released["IngestionStatus"] == "QUEUED" and "QueueInfo" not in released
    local.controls.advance(engine_job(local, "sales", "refresh-2"))
    assert describe(qs, "sales", "refresh-2")["IngestionStatus"] == "COMPLETED"

    page = qs.list_ingestions(AwsAccountId=ACCOUNT, DataSetId="sales", MaxResults=2)
    assert [i["IngestionId"] for i in page["Ingestions"]] == ["refresh-2", "refresh-1"]
    rest = qs.list_ingestions(AwsAccountId=ACCOUNT, DataSetId="sales", MaxResults=2, NextToken=page["NextToken"])
    assert [i["IngestionId"] for i in rest["Ingestions"]] == [first] and "NextToken" not in rest
    assert {i["IngestionStatus"] for i in listed(qs, "sales")} == {"COMPLETED", "CANCELLED"}

    code, status, message = error_of(qs.cancel_ingestion, AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId=first)
    assert (code, status) == ("ResourceNotFoundException", 404) and "COMPLETED" in message
    assert describe(qs, "sales", first)["IngestionStatus"] == "COMPLETED"


def test_statuses_move_on_the_realistic_timing_and_a_cancelled_one_stays_cancelled(qs, s3, local):
    header = ["country", "amount"]
    s3.put_object(Bucket=BUCKET, Key="sales.csv", Body=csv_bytes([header, ["fr", "1"], ["de", "2"]]))
    s3_data_set(qs, s3, "sales", {"fileLocations": [{"URIs": [f"s3://{BUCKET}/sales.csv"]}]},
                [{"Name": "country", "Type": "STRING"}, {"Name": "amount", "Type": "INTEGER"}])
    local.controls.set_timing("realistic", 1.5)  # half a second a status: polls on a busy machine still see them
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="watched")
    done, seen = wait_ingestion(qs, "sales", "watched")
    order = ["INITIALIZED", "QUEUED", "RUNNING", "COMPLETED"]
    assert seen[0] == "INITIALIZED" and seen[-1] == "COMPLETED" and len(seen) >= 3, seen
    assert seen == sorted(seen, key=order.index), seen  # in order, none repeated after a later one
    assert done["RowInfo"]["RowsIngested"] == 2 and done["IngestionTimeInSeconds"] in (1, 2)

    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="stopped")
    qs.cancel_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="stopped")
    time.sleep(1.7)  # past the engine's delay: the job does not run
    stopped = describe(qs, "sales", "stopped")
    assert stopped["IngestionStatus"] == "CANCELLED" and "RowInfo" not in stopped
    assert stopped["ErrorInfo"] == {"Type": "INGESTION_CANCELED", "Message": "The ingestion was canceled."}
    assert local.controls.job(engine_job(local, "sales", "stopped"))["state"] == "failed"


def test_injected_and_source_failures_fail_the_ingestion_with_error_info(qs, s3, local):
    header = ["country"]
    s3.put_object(Bucket=BUCKET, Key="c.csv", Body=csv_bytes([header, ["fr"]]))
    manifest = {"fileLocations": [{"URIs": [f"s3://{BUCKET}/c.csv"]}]}
    s3_data_set(qs, s3, "c", manifest, [{"Name": "country", "Type": "STRING"}])
    before = consumed(qs, "c")
    assert before == 8 + 2
    local.controls.fail_next(["SPICE node lost", "retry later"], ingestions.KIND)
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="c", IngestionId="unlucky")
    failed = describe(qs, "c", "unlucky")
    assert failed["IngestionStatus"] == "FAILED" and "RowInfo" not in failed
    assert failed["ErrorInfo"] == {"Type": "INTERNAL_SERVICE_ERROR", "Message": "SPICE node lost; retry later"}
    assert consumed(qs, "c") == before
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="c", IngestionId="lucky")
    assert describe(qs, "c", "lucky")["IngestionStatus"] == "COMPLETED"

    s3.delete_object(Bucket=BUCKET, Key="c.csv")
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="c", IngestionId="no-file")
    assert describe(qs, "c", "no-file")["ErrorInfo"]["Type"] == "S3_FILE_INACCESSIBLE"
    s3.delete_object(Bucket=BUCKET, Key="manifests/c.json")
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="c", IngestionId="no-manifest")
    error = describe(qs, "c", "no-manifest")["ErrorInfo"]
    assert error["Type"] == "S3_MANIFEST_ERROR" and "NoSuchKey" in error["Message"]
    assert consumed(qs, "c") == before


def test_refused_calls_change_nothing(qs, make_client):
    athena_data_set(qs, "sales")
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="once")
    other = make_client("quicksight", account=OTHER)
    athena_data_set(other, "sales", account=OTHER)
    before = listed(qs, "sales")
    cases = [
        (qs.create_ingestion, {"DataSetId": "nope", "IngestionId": "x"}, "ResourceNotFoundException", 404),
        (qs.describe_ingestion, {"DataSetId": "nope", "IngestionId": "once"}, "ResourceNotFoundException", 404),
        (qs.list_ingestions, {"DataSetId": "nope"}, "ResourceNotFoundException", 404),
        (qs.cancel_ingestion, {"DataSetId": "nope", "IngestionId": "once"}, "ResourceNotFoundException", 404),
        (qs.describe_ingestion, {"DataSetId": "sales", "IngestionId": "nope"}, "ResourceNotFoundException", 404),
        (qs.cancel_ingestion, {"DataSetId": "sales", "IngestionId": "nope"}, "ResourceNotFoundException", 404),
        (qs.create_ingestion, {"DataSetId": "sales", "IngestionId": "once"}, "ResourceExistsException", 409),
        (qs.create_ingestion, {"AwsAccountId": OTHER, "DataSetId": "sales", "IngestionId": "y"},
         "AccessDeniedException", 401),
        (qs.list_ingestions, {"AwsAccountId": OTHER, "DataSetId": "sales"}, "AccessDeniedException", 401),
    ]
    for call, params, code, status in cases:
        got, got_status, _ = error_of(call, **{"AwsAccountId": ACCOUNT, **params})
        assert (got, got_status) == (code, status), (call, params, got)
    assert listed(qs, "sales") == before and len(listed(other, "sales", OTHER)) == 1
    # the Enterprise edition's 32 manual refreshes a day
    for n in range(31):
        qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId=f"r{n}")
    code, status, _ = error_of(qs.create_ingestion, AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="r32")
    assert (code, status) == ("LimitExceededException", 409)
    assert len(listed(qs, "sales")) == 33


def test_deleting_the_data_set_cancels_its_ingestions_and_takes_their_records(qs, local):
    local.controls.set_timing("manual")
    athena_data_set(qs, "sales")
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="behind")
    assert len(local.controls.jobs("quicksight")) == 2
    qs.delete_data_set(AwsAccountId=ACCOUNT, DataSetId="sales")
    assert local.controls.jobs("quicksight") == []
    code, status, _ = error_of(qs.describe_ingestion, AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="behind")
    assert (code, status) == ("ResourceNotFoundException", 404)
    again = athena_data_set(qs, "sales")["IngestionId"]
    assert [i["IngestionId"] for i in listed(qs, "sales")] == [again]


def test_a_test_control_says_what_an_unreachable_source_holds(qs, local):
    first = athena_data_set(qs, "sales")["IngestionId"]
    assert describe(qs, "sales", first)["RowInfo"]["RowsIngested"] == 0
    told = local.controls.console("quicksight", "SetSourceRows", ACCOUNT, REGION,
                                  {"DataSetId": "sales", "RowsIngested": 1000, "RowsDropped": 3})
    assert told == {"RowsIngested": 1000, "RowsDropped": 3, "SizeInBytes": 8 * 2 * 1000}
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="told")
    ingestion = describe(qs, "sales", "told")
    assert ingestion["RowInfo"] == {"RowsIngested": 1000, "RowsDropped": 3, "TotalRowsInDataset": 1000}
    assert consumed(qs, "sales") == ingestion["IngestionSizeInBytes"] == 16000


# -- refresh schedules on the server clock ---------------------------------------------------------------

T0 = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def clocked():
    """An instance whose clock starts at T0, and a QuickSight client answered by it."""
    instance = LocalExport(Settings(job_mode="immediate"), in_memory=True, clock=Clock(start=T0.timestamp()))
    adapter = InProcess(instance)
    yield instance, adapter.attach(client("quicksight", "http://localexport"))
    adapter.close()
    instance.close()


def scheduled(qs, data_set_id: str) -> list[dict]:
    return [i for i in listed(qs, data_set_id) if i["RequestSource"] == "SCHEDULED"]


def schedule(qs, data_set_id: str, schedule_id: str, refresh: str, **frequency) -> None:
    extra = frequency.pop("StartAfterDateTime", None)
    qs.create_refresh_schedule(AwsAccountId=ACCOUNT, DataSetId=data_set_id, Schedule={
        "ScheduleId": schedule_id, "RefreshType": refresh, "ScheduleFrequency": frequency,
        **({"StartAfterDateTime": extra} if extra else {})})


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_daily_and_hourly_schedules_start_ingestions_when_the_clock_comes_round(clocked):
    local, qs = clocked
    athena_data_set(qs, "daily")
    athena_data_set(qs, "hourly")
    schedule(qs, "daily", "morning", "FULL_REFRESH", Interval="DAILY", TimeOfTheDay="04:00",
             Timezone="Europe/Berlin")  # 03:00 UTC in March
    schedule(qs, "hourly", "every-hour", "INCREMENTAL_REFRESH", Interval="HOURLY", Timezone="UTC")
    assert scheduled(qs, "daily") == [] and scheduled(qs, "hourly") == []

    local.controls.advance_clock(17.5 * 3600)  # Tuesday 03:30 UTC
    [morning] = scheduled(qs, "daily")
    assert morning["CreatedTime"] == at(2025, 3, 11, 3, 0)
    assert (morning["RequestType"], morning["IngestionStatus"]) == ("FULL_REFRESH", "COMPLETED")
    assert scheduled(qs, "daily") == [morning]  # read again: nothing new is due
    [hour] = scheduled(qs, "hourly")
    assert hour["CreatedTime"] == at(2025, 3, 11, 3, 0) and hour["RequestType"] == "INCREMENTAL_REFRESH"

    local.controls.advance_clock(30 * 60)  # 04:00
    assert [i["CreatedTime"] for i in scheduled(qs, "hourly")] == [at(2025, 3, 11, 4, 0), at(2025, 3, 11, 3, 0)]
    assert len(scheduled(qs, "daily")) == 1

    local.controls.advance_clock(3 * 24 * 3600)  # Friday 04:00: the latest occurrence only, never a backlog
    assert [i["CreatedTime"] for i in scheduled(qs, "daily")] == [at(2025, 3, 14, 3, 0), at(2025, 3, 11, 3, 0)]
    assert scheduled(qs, "hourly")[0]["CreatedTime"] == at(2025, 3, 14, 4, 0) and len(scheduled(qs, "hourly")) == 3
    assert qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId="daily")["DataSet"][
        "ConsumedSpiceCapacityInBytes"] == 0


def test_monthly_and_weekly_schedules_keep_their_day_zone_and_start(clocked):
    local, qs = clocked
    athena_data_set(qs, "monthly")
    athena_data_set(qs, "weekly")
    schedule(qs, "monthly", "month-end", "FULL_REFRESH", Interval="MONTHLY", TimeOfTheDay="23:30",
             Timezone="Asia/Tokyo", RefreshOnDay={"DayOfMonth": "LAST_DAY_OF_MONTH"},
             StartAfterDateTime=at(2025, 4, 1))  # the March 31 occurrence comes before it
    schedule(qs, "weekly", "friday", "FULL_REFRESH", Interval="WEEKLY", TimeOfTheDay="18:00",
             Timezone="America/New_York", RefreshOnDay={"DayOfWeek": "FRIDAY"})
    local.controls.advance_clock((at(2025, 4, 1, 1) - T0).total_seconds())
    assert scheduled(qs, "monthly") == []
    assert [i["CreatedTime"] for i in scheduled(qs, "weekly")] == [at(2025, 3, 28, 22, 0)]  # 18:00 EDT
    local.controls.advance_clock((at(2025, 5, 1) - at(2025, 4, 1, 1)).total_seconds())
    assert [i["CreatedTime"] for i in scheduled(qs, "monthly")] == [at(2025, 4, 30, 14, 30)]  # 23:30 JST


def test_schedules_of_a_deleted_data_set_or_a_direct_query_one_start_nothing(clocked):
    local, qs = clocked
    athena_data_set(qs, "live", mode="DIRECT_QUERY")
    schedule(qs, "live", "s", "FULL_REFRESH", Interval="HOURLY", Timezone="UTC")
    local.controls.advance_clock(2 * 3600)
    assert listed(qs, "live") == []


# -- a real server ------------------------------------------------------------------------------------------


def test_an_ingestion_on_a_real_server_reads_s3_and_a_schedule_fires_on_the_control_clock(server_factory):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.3")  # realistic mode, the serve default
    qs, s3 = client("quicksight", server.url), client("s3", server.url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="data/part-1.tsv", Body=b"country\tamount\nfr\t1\nde\t2\nit\t3\n")
    started = s3_data_set(qs, s3, "sales", {"fileLocations": [{"URIPrefixes": [f"s3://{BUCKET}/data/"]}],
                                            "globalUploadSettings": {"format": "TSV"}},
                          [{"Name": "country", "Type": "STRING"}, {"Name": "amount", "Type": "INTEGER"}])
    done, seen = wait_ingestion(qs, "sales", started["IngestionId"])
    assert seen[0] in ("INITIALIZED", "QUEUED") and seen[-1] == "COMPLETED"
    assert done["RowInfo"] == {"RowsIngested": 3, "RowsDropped": 0, "TotalRowsInDataset": 3}
    assert consumed(qs, "sales") == done["IngestionSizeInBytes"] == 3 * (8 + 2 + 8)

    schedule(qs, "sales", "hourly", "FULL_REFRESH", Interval="HOURLY", Timezone="UTC")
    assert requests.post(f"{server.url}/_localexport/control/clock", json={"advance": 3600}, timeout=10).ok
    [fired] = scheduled(qs, "sales")
    assert wait_ingestion(qs, "sales", fired["IngestionId"])[0]["RowInfo"]["RowsIngested"] == 3


def test_an_ingestion_survives_a_killed_server(server_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="manual")
    qs = client("quicksight", server.url)
    first = athena_data_set(qs, "sales")["IngestionId"]
    qs.create_ingestion(AwsAccountId=ACCOUNT, DataSetId="sales", IngestionId="behind")
    assert describe(qs, "sales", "behind")["IngestionStatus"] == "QUEUED"
    server.kill()
    server = server_factory(data_dir, LOCALEXPORT_JOB_MODE="realistic", LOCALEXPORT_JOB_DELAY="0.1")
    qs = client("quicksight", server.url)
    assert wait_ingestion(qs, "sales", first)[0]["IngestionStatus"] == "COMPLETED"
    assert wait_ingestion(qs, "sales", "behind")[0]["IngestionStatus"] == "COMPLETED"


def test_schedule_occurrences_never_fall_in_the_future_across_daylight_saving():
    """At 03:05 on the day New York skips 02:00-03:00, an hourly :30 schedule last fired at 01:30 and a daily
    02:30 one the day before (the skipped wall-clock times are not occurrences to come)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    now = datetime(2024, 3, 10, 3, 5, tzinfo=zone).timestamp()
    cases = [("HOURLY", {"TimeOfTheDay": "00:30"}, datetime(2024, 3, 10, 1, 30, tzinfo=zone)),
             ("DAILY", {"TimeOfTheDay": "02:30"}, datetime(2024, 3, 9, 2, 30, tzinfo=zone)),
             ("MINUTE15", {}, datetime(2024, 3, 10, 3, 0, tzinfo=zone))]
    for interval, extra, expected in cases:
        schedule = {"ScheduleFrequency": {"Interval": interval, "Timezone": "America/New_York", **extra}}
        assert ingestions.latest_occurrence(schedule, now) == expected.timestamp(), interval


def _initial(qs, data_set_id: str) -> dict:
    """The ingestion the data set's creation started (immediate mode: ended)."""
    (first,) = listed(qs, data_set_id)
    return first


def test_hostile_manifests_and_files_fail_the_ingestion_with_a_reason(qs, s3, local):
    columns = [{"Name": "c", "Type": "STRING"}]
    s3.put_object(Bucket=BUCKET, Key="one.csv", Body=b"c\nx\n")
    many = {"fileLocations": [{"URIs": [f"s3://{BUCKET}/one.csv"] * 1001}]}
    s3_data_set(qs, s3, "many", many, columns)
    assert _initial(qs, "many")["ErrorInfo"]["Type"] == "S3_MANIFEST_ERROR"
    s3.put_object(Bucket=BUCKET, Key="wide.csv", Body=b"c\n" + b"x" * 200_000 + b"\n")
    s3_data_set(qs, s3, "wide", {"fileLocations": [{"URIs": [f"s3://{BUCKET}/wide.csv"]}]}, columns)
    assert _initial(qs, "wide")["ErrorInfo"]["Type"] == "ROW_SIZE_LIMIT_EXCEEDED"
    s3_data_set(qs, s3, "delim", {"fileLocations": [{"URIs": [f"s3://{BUCKET}/one.csv"]}],
                                  "globalUploadSettings": {"delimiter": ";;"}}, columns)
    assert _initial(qs, "delim")["ErrorInfo"]["Type"] == "S3_MANIFEST_ERROR"
    s3.put_object(Bucket=BUCKET, Key="manifests/huge.json", Body=b" " * (1024 * 1024 + 1))
    source = qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="huge-src", Name="huge", Type="S3",
                                   DataSourceParameters={"S3Parameters": {"ManifestFileLocation": {
                                       "Bucket": BUCKET, "Key": "manifests/huge.json"}}})["Arn"]
    qs.create_data_set(AwsAccountId=ACCOUNT, DataSetId="huge", Name="huge", ImportMode="SPICE",
                       PhysicalTableMap={"t": {"S3Source": {"DataSourceArn": source, "InputColumns": columns}}})
    failed = _initial(qs, "huge")
    assert failed["ErrorInfo"]["Type"] == "S3_MANIFEST_ERROR" and "larger than" in failed["ErrorInfo"]["Message"]


def test_another_accounts_bucket_is_not_read(qs, s3, make_client):
    """Bucket names are global, but without a bucket policy another account's objects stay its own."""
    s3.put_object(Bucket=BUCKET, Key="private.csv", Body=b"c\nsecret\n")
    s3.put_object(Bucket=BUCKET, Key="manifests/private.json", Body=json.dumps(
        {"fileLocations": [{"URIs": [f"s3://{BUCKET}/private.csv"]}]}).encode())
    other = make_client("quicksight", account=OTHER)
    source = other.create_data_source(AwsAccountId=OTHER, DataSourceId="theirs", Name="theirs", Type="S3",
                                      DataSourceParameters={"S3Parameters": {"ManifestFileLocation": {
                                          "Bucket": BUCKET, "Key": "manifests/private.json"}}})["Arn"]
    other.create_data_set(AwsAccountId=OTHER, DataSetId="stolen", Name="stolen", ImportMode="SPICE",
                          PhysicalTableMap={"t": {"S3Source": {"DataSourceArn": source,
                                                               "InputColumns": [{"Name": "c", "Type": "STRING"}]}}})
    (ingestion,) = other.list_ingestions(AwsAccountId=OTHER, DataSetId="stolen")["Ingestions"]
    assert ingestion["IngestionStatus"] == "FAILED" and "RowInfo" not in ingestion
    assert ingestion["ErrorInfo"]["Type"] == "S3_MANIFEST_ERROR" and "AccessDenied" in ingestion["ErrorInfo"][
        "Message"]
