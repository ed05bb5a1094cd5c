"""Big archives, in-process: a Lex V2 bot export and import, and a QuickSight asset bundle export and import.

localexport runs in this process (immediate jobs, a SQLite file in a temp data dir), answered through
``InProcess`` as bench_personalize.py does; the creation of the bot and of the assets is not timed.

- Lex V2: a bot with one en_US locale of N intents (``--intents``, 1000 and 20 by default), each with three
  sample utterances and one slot of a custom slot type (one slot type per bot). Timed: CreateExport (DRAFT,
  LexJson) -> DescribeExport until Completed -> GET of the downloadUrl; then CreateUploadUrl -> PUT of that
  zip -> StartImport into a new bot (FailOnConflict) -> DescribeImport until Completed.
- QuickSight: a dashboard of D dependencies (``--dependencies``, 200 by default): its definition declares
  min(50, ceil(D / 5)) data sets (50 is the most a definition declares), which read the other D - that many
  data sources (a few physical tables each, one source per table). Timed: StartAssetBundleExportJob
  (IncludeAllDependencies) -> DescribeAssetBundleExportJob until SUCCESSFUL -> GET of the DownloadUrl; then
  StartAssetBundleImportJob of those bytes into the same account (a new id prefix per round) ->
  DescribeAssetBundleImportJob until SUCCESSFUL.

Each figure is the median of ``--rounds`` rounds; every round's output is checked (the archive holds the N
intents, the imported bot has them, the imported assets exist and point at each other), so a broken run
cannot report a fast figure. "goal / seconds" of 1 or more means the goal is met. The last line is one
DescribeBot through the same wire, the least each request of a figure costs (``InProcess`` does not enter its
Starlette TestClient, so every request starts an event loop thread of its own: a few ms).

    pip install -e '.[bench]'
    python bench/bench_archives.py [--intents 1000,20] [--dependencies 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import boto3

from localexport.app import LocalExport
from localexport.config import Settings
from localexport.inprocess import InProcess
from localexport.mock import mock_export

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/LexRole"
BOT = {"roleArn": ROLE, "dataPrivacy": {"childDirected": False}, "idleSessionTTLInSeconds": 300}
PROMPT = {"messageGroups": [{"message": {"plainTextMessage": {"value": "Which size?"}}}], "maxRetries": 2,
          "allowInterrupt": True}
# seconds, by figure and size (intents for Lex, dependencies for QuickSight)
GOALS = {("Lex V2 export", 1000): 0.5, ("Lex V2 export", 20): 0.02, ("Lex V2 import", 1000): 1.0,
         ("QuickSight export", 200): 0.5, ("QuickSight import", 200): 0.5}


def client(wire: InProcess, service: str):
    if isinstance(wire, MockWire):  # mock_export answers every client made while it is active
        return boto3.client(service, region_name="us-east-1")
    return wire.attach(boto3.client(service, endpoint_url="http://localexport", region_name="us-east-1",
                                    aws_access_key_id=ACCOUNT, aws_secret_access_key="x"))


class MockWire:
    """``--wire mock``: the calls answered by ``mock_export()`` (what a test suite uses: the gateway called
    directly, an in-memory store), its download and upload URLs through the same app."""

    def __init__(self, mock: mock_export):
        self.http = mock.wire.http

    def get(self, url: str):
        return self.http.get(url)


def until(describe, field: str, done: str, running: tuple[str, ...], **ids) -> dict:
    """Describe until ``field`` leaves the running states (at once with immediate jobs); fails unless ``done``."""
    deadline = time.monotonic() + 120
    while True:
        answer = describe(**ids)
        if answer[field] not in running:
            assert answer[field] == done, answer
            return answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.005)


# -- Lex V2 --------------------------------------------------------------------------------


def lex_bot(lex, name: str, intents: int) -> str:
    """A bot of one en_US locale with ``intents`` intents, each with utterances and a slot of one custom type."""
    bot_id = lex.create_bot(botName=name, **BOT)["botId"]
    where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    lex.create_bot_locale(**where, nluIntentConfidenceThreshold=0.4)
    size = lex.create_slot_type(**where, slotTypeName="Size",
                                slotTypeValues=[{"sampleValue": {"value": "small"}},
                                                {"sampleValue": {"value": "large"}, "synonyms": [{"value": "big"}]}],
                                valueSelectionSetting={"resolutionStrategy": "TopResolution"})["slotTypeId"]
    for i in range(intents):
        intent_name = f"Order{i:05}"
        utterances = [{"utterance": f"I want item {i}"}, {"utterance": f"order a {{size}} item {i}"},
                      {"utterance": f"can I get number {i} please"}]
        intent_id = lex.create_intent(**where, intentName=intent_name, sampleUtterances=utterances)["intentId"]
        slot_id = lex.create_slot(**where, intentId=intent_id, slotName="size", slotTypeId=size,
                                  valueElicitationSetting={"slotConstraint": "Required",
                                                           "promptSpecification": PROMPT})["slotId"]
        lex.update_intent(**where, intentId=intent_id, intentName=intent_name, sampleUtterances=utterances,
                          slotPriorities=[{"priority": 1, "slotId": slot_id}])
    return bot_id


def lex_export(lex, wire: InProcess, bot_id: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                    "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    described = until(lex.describe_export, "exportStatus", "Completed", ("InProgress",), exportId=export_id)
    response = wire.get(described["downloadUrl"])
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return seconds, response.content


def lex_import(lex, wire: InProcess, data: bytes, name: str) -> tuple[float, str]:
    started = time.perf_counter()
    slot = lex.create_upload_url()
    response = wire.http.put(slot["uploadUrl"], content=data)
    assert response.status_code == 200, response.text
    lex.start_import(importId=slot["importId"], mergeStrategy="FailOnConflict",
                     resourceSpecification={"botImportSpecification": {"botName": name, **BOT}})
    described = until(lex.describe_import, "importStatus", "Completed", ("InProgress",), importId=slot["importId"])
    return time.perf_counter() - started, described["importedResourceId"]


def archive_counts(data: bytes) -> tuple[int, int]:
    """(intents, slots) of a LexJson archive."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    return sum(n.endswith("/Intent.json") for n in names), sum(n.endswith("/Slot.json") for n in names)


def intents_of(lex, bot_id: str) -> int:
    where = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    count, token = 0, {}
    while True:  # ListIntents has no paginator in botocore
        page = lex.list_intents(**where, maxResults=1000, **token)
        count += len(page["intentSummaries"])
        if not page.get("nextToken"):
            return count
        token = {"nextToken": page["nextToken"]}


def lex_rows(wire: InProcess, sizes: list[int], rounds: int) -> list[tuple[str, int, float, str]]:
    lex = client(wire, "lexv2-models")
    rows = []
    for intents in sizes:
        built = time.perf_counter()
        bot_id = lex_bot(lex, f"Bench{intents}", intents)
        expected = intents + 1  # and the FallbackIntent every locale has
        assert intents_of(lex, bot_id) == expected
        print(f"built a bot of {intents} intents in {time.perf_counter() - built:.1f} s (not timed)", flush=True)
        exports, imports = [], []
        for i in range(rounds):
            seconds, data = lex_export(lex, wire, bot_id)
            assert archive_counts(data) == (expected, intents), archive_counts(data)
            exports.append(seconds)
            seconds, imported = lex_import(lex, wire, data, f"Bench{intents}Copy{i}")
            assert intents_of(lex, imported) == expected, intents_of(lex, imported)
            imports.append(seconds)
        note = f"{len(data) / 1024:.0f} KiB zip"
        rows.append(("Lex V2 export", intents, statistics.median(exports), note))
        rows.append(("Lex V2 import", intents, statistics.median(imports), note))
    return rows


# -- QuickSight --------------------------------------------------------------------------------


def qs_arn(kind: str, asset_id: str) -> str:
    return f"arn:aws:quicksight:us-east-1:{ACCOUNT}:{kind}/{asset_id}"


def qs_layout(dependencies: int) -> dict[int, list[int]]:
    """Data set -> its data sources: a definition declares at most 50 data sets and a data set has at most 32
    physical tables, so the D dependencies are min(50, ceil(D / 5)) data sets sharing D - that many sources."""
    sets = min(50, -(-dependencies // 5))
    sources = dependencies - sets
    assert sets >= 1 and 1 <= sources <= 32 * sets, "--dependencies must be between 2 and 1650"
    return {j: [i for i in range(sources) if i % sets == j] for j in range(sets)}


def qs_dashboard(qs, layout: dict[int, list[int]]) -> str:
    """A dashboard whose definition declares the data sets of ``layout``, each on its own data sources."""
    where = {"AwsAccountId": ACCOUNT}
    columns = [{"Name": "country", "Type": "STRING"}, {"Name": "amount", "Type": "DECIMAL"}]
    declarations, visuals = [], []
    for j, source_numbers in layout.items():
        physical, logical = {}, {}
        for i in source_numbers:
            source = qs.create_data_source(**where, DataSourceId=f"src-{i}", Name=f"Source {i}", Type="ATHENA",
                                           DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})["Arn"]
            physical[f"t{i}"] = {"RelationalTable": {"DataSourceArn": source, "Schema": "db", "Name": f"t{i}",
                                                     "InputColumns": columns}}
            logical[f"l{i}"] = {"Alias": f"t{i}", "Source": {"PhysicalTableId": f"t{i}"}}
        data_set = qs.create_data_set(**where, DataSetId=f"ds-{j}", Name=f"Sales {j}", ImportMode="DIRECT_QUERY",
                                      PhysicalTableMap=physical, LogicalTableMap=logical)["Arn"]
        declarations.append({"Identifier": f"ds{j}", "DataSetArn": data_set})
        column = {"DataSetIdentifier": f"ds{j}", "ColumnName": "country"}
        visuals.append({"TableVisual": {"VisualId": f"table{j}", "ChartConfiguration": {"FieldWells": {
            "TableAggregatedFieldWells": {"GroupBy": [{"CategoricalDimensionField": {"FieldId": f"f{j}",
                                                                                      "Column": column}}]}}}}})
    sheets = [{"SheetId": f"sheet{n}", "Name": f"Sheet {n}", "Visuals": visuals[start:start + 20]}
              for n, start in enumerate(range(0, len(visuals), 20))]
    return qs.create_dashboard(**where, DashboardId="dash", Name="Big dashboard",
                               Definition={"DataSetIdentifierDeclarations": declarations, "Sheets": sheets})["Arn"]


def qs_export(qs, wire: InProcess, dashboard: str, job_id: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    qs.start_asset_bundle_export_job(AwsAccountId=ACCOUNT, AssetBundleExportJobId=job_id, ResourceArns=[dashboard],
                                     ExportFormat="QUICKSIGHT_JSON", IncludeAllDependencies=True)
    job = until(qs.describe_asset_bundle_export_job, "JobStatus", "SUCCESSFUL",
                ("QUEUED_FOR_IMMEDIATE_EXECUTION", "IN_PROGRESS"), AwsAccountId=ACCOUNT, AssetBundleExportJobId=job_id)
    response = wire.get(job["DownloadUrl"])
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return seconds, response.content


def qs_import(qs, body: bytes, job_id: str, prefix: str) -> float:
    started = time.perf_counter()
    qs.start_asset_bundle_import_job(AwsAccountId=ACCOUNT, AssetBundleImportJobId=job_id,
                                     AssetBundleImportSource={"Body": body},
                                     OverrideParameters={"ResourceIdOverrideConfiguration": {
                                         "PrefixForAllResources": prefix}})
    job = until(qs.describe_asset_bundle_import_job, "JobStatus", "SUCCESSFUL",
                ("QUEUED_FOR_IMMEDIATE_EXECUTION", "IN_PROGRESS"), AwsAccountId=ACCOUNT, AssetBundleImportJobId=job_id)
    seconds = time.perf_counter() - started
    assert job["Errors"] == [], job["Errors"]
    return seconds


def check_imported(qs, prefix: str, layout: dict[int, list[int]]) -> None:
    """The imported dashboard declares the imported data sets, each reads its imported sources, all are there."""
    version = qs.describe_dashboard(AwsAccountId=ACCOUNT, DashboardId=f"{prefix}dash")["Dashboard"]["Version"]
    data_sets = sorted(version["DataSetArns"])
    assert data_sets == sorted(qs_arn("dataset", f"{prefix}ds-{j}") for j in layout), data_sets
    pages = qs.get_paginator("list_data_sources").paginate(AwsAccountId=ACCOUNT)
    sources = {s["DataSourceId"] for page in pages for s in page["DataSources"]}
    assert {f"{prefix}src-{i}" for numbers in layout.values() for i in numbers} <= sources
    last = len(layout) - 1
    tables = qs.describe_data_set(AwsAccountId=ACCOUNT, DataSetId=f"{prefix}ds-{last}")["DataSet"]["PhysicalTableMap"]
    assert sorted(t["RelationalTable"]["DataSourceArn"] for t in tables.values()) == sorted(
        qs_arn("datasource", f"{prefix}src-{i}") for i in layout[last]), tables


def qs_rows(wire: InProcess, dependencies: int, rounds: int) -> list[tuple[str, int, float, str]]:
    qs = client(wire, "quicksight")
    built = time.perf_counter()
    layout = qs_layout(dependencies)
    dashboard = qs_dashboard(qs, layout)
    print(f"built a dashboard of {dependencies} dependencies ({len(layout)} data sets, "
          f"{dependencies - len(layout)} data sources) in {time.perf_counter() - built:.1f} s (not timed)",
          flush=True)
    exports, imports = [], []
    for i in range(rounds):
        seconds, body = qs_export(qs, wire, dashboard, f"out-{i}")
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert len(archive.namelist()) == dependencies + 1, archive.namelist()
        exports.append(seconds)
        imports.append(qs_import(qs, body, f"in-{i}", f"r{i}-"))
        check_imported(qs, f"r{i}-", layout)
    note = f"{len(body) / 1024:.0f} KiB bundle"
    return [("QuickSight export", dependencies, statistics.median(exports), note),
            ("QuickSight import", dependencies, statistics.median(imports), note)]


def light_call(wire: InProcess, rounds: int = 50) -> float:
    """Seconds of one DescribeBot through the same wire: what each request of a figure costs at the least."""
    lex = client(wire, "lexv2-models")
    bot_id = lex.create_bot(botName="Light", **BOT)["botId"]
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        lex.describe_bot(botId=bot_id)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intents", default="1000,20", help="comma-separated bot sizes")
    parser.add_argument("--dependencies", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wire", choices=("inprocess", "mock"), default="inprocess",
                        help="inprocess: Starlette's test client over an app on a SQLite file; mock: mock_export()")
    args = parser.parse_args()
    sizes = [int(n) for n in args.intents.split(",") if n.strip()]
    folder = Path(tempfile.mkdtemp(prefix="bench-archives-"))
    if args.wire == "mock":
        mock = mock_export().start()
        instance, wire, where = mock.instance, MockWire(mock), "mock_export() (in-memory store)"
    else:
        mock = None
        instance = LocalExport(Settings(data_dir=folder, job_mode="immediate", log_level="warning"))
        wire, where = InProcess(instance), "InProcess, SQLite in a temp data dir"
    try:
        light = light_call(wire)
        rows = lex_rows(wire, sizes, args.rounds) if sizes else []
        if args.dependencies > 0:
            rows += qs_rows(wire, args.dependencies, args.rounds)
    finally:
        if mock is not None:
            mock.stop()
        else:
            wire.close()
            instance.close()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{where}, immediate jobs; median of {args.rounds} rounds\n")
    print("| figure | size | seconds | goal | goal / seconds | archive |")
    print("|---|---|---|---|---|---|")
    for figure, size, seconds, note in rows:
        goal = GOALS.get((figure, size))
        unit = "intents" if figure.startswith("Lex") else "dependencies"
        print(f"| {figure} | {size} {unit} | {seconds:.3f} | {f'< {goal:g}' if goal else '-'} | "
              f"{f'{goal / seconds:.2f}' if goal else '-'} | {note} |")
    print(f"\none DescribeBot through the same in-process wire (median of 50): {light * 1000:.1f} ms; an export "
          "figure is 3 such requests (create, describe, download), an import 4 (upload URL, upload, start, describe)")


if __name__ == "__main__":
    main()
