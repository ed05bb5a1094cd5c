"""DescribeBot / ListBots throughput and latency: localexport vs moto_server vs a bare
Starlette floor, all on loopback in one run; plus DescribeExport on localexport.

    pip install -e '.[bench]' && python bench/bench_describe.py [--seconds 3] [--processes 1,2] [--rounds 3]

With ``--processes 1,2`` (the default) it also runs ``localexport serve --workers 2``
(one SQLite file shared by the processes, a moto server as the external S3 it needs)
and the floor on ``uvicorn --workers 2``, in the same run, and prints a second
table: DescribeBot and DescribeExport on N processes against 1, with the CPU each
server and the load generator used (on a small machine they compete for it).

Each cell runs every target in turn (the floor, localexport, moto), ``--rounds`` times, and shows each
target's median round: the machine's drift between rounds then moves every target alike, and one slow
round of one target does not decide a ratio.

The load generator is an asyncio HTTP/1.1 client with one keep-alive connection
per concurrent caller, sending pre-built SigV4-shaped requests (neither server
checks signatures), so the client costs the same for every target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

AUTH = ("AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
ACCOUNT = "123456789012"
SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": ['
          '{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
          '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')
CONCURRENCY = (1, 8, 64)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], port: int, health: str, env: dict | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}{health}", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not start")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's worker processes, multiprocessing helpers)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds used so far by ``pid`` and each of its live descendants."""
    used = {}
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        used[each] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return used


def wait_for_processes(proc: subprocess.Popen, count: int, opened: str | None = None, timeout: float = 60) -> None:
    """Until ``proc`` has ``count`` child processes (each holding a file named ``opened``, if given): uvicorn's
    supervisor answers health as soon as its first worker does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = [pid for pid in process_tree(proc.pid)[1:] if _is_worker(pid, opened)]
        if len(children) >= count:
            time.sleep(0.5)
            return
        time.sleep(0.2)
    raise RuntimeError(f"{count} server processes did not start")


def _is_worker(pid: int, opened: str | None) -> bool:
    try:
        if "resource_tracker" in Path(f"/proc/{pid}/cmdline").read_text():
            return False
        return opened is None or any(os.readlink(fd).endswith(opened) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def request_bytes(port: int, method: str, path: str, body: bytes = b"", service: str = "lex",
                  target: str | None = None) -> bytes:
    """A request as an SDK sends it (``target``: the X-Amz-Target of a JSON-protocol operation)."""
    kind = "application/x-amz-json-1.1" if target else "application/json"
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {AUTH.format(service=service)}\r\n"
            + (f"X-Amz-Target: {target}\r\n" if target else "")
            + f"X-Amz-Date: 20260101T000000Z\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _caller(port: int, payload: bytes, until: float, latencies: list[float], errors: list[int]) -> None:
    reader = writer = None
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            if writer is None:  # servers without keep-alive (moto's) pay a connect per request
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n"):
                lower = line.lower()
                if lower.startswith(b"content-length:"):
                    length = int(line[15:])
                elif lower.startswith(b"connection:") and b"close" in lower:
                    close = True
            if length:
                await reader.readexactly(length)
            if close:
                writer.close()
                writer = None
            latencies.append(time.perf_counter() - t0)
            if status >= 400:
                errors.append(status)
    finally:
        if writer is not None:
            writer.close()


async def _load(port: int, payload: bytes, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    until = time.perf_counter() + seconds
    start_t = time.perf_counter()
    await asyncio.gather(*(_caller(port, payload, until, latencies, errors) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start_t
    latencies.sort()
    return {
        "elapsed": elapsed,
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": len(errors),
    }


def measure(port: int, payload: bytes, concurrency: int, seconds: float, pid: int | None = None) -> dict:
    """Requests/s and latency; with ``pid``, also the CPU the server (its process tree) and this load
    generator used, in cores (1.0 = one core busy for the whole run)."""
    asyncio.run(_load(port, payload, concurrency, 0.3))  # warm up
    server0, client0 = cpu_seconds(pid) if pid else {}, time.process_time()
    result = asyncio.run(_load(port, payload, concurrency, seconds))
    result["client_cpu"] = (time.process_time() - client0) / result["elapsed"]
    if pid:
        used = {each: (spent - server0.get(each, 0.0)) / result["elapsed"] for each, spent in cpu_seconds(pid).items()}
        result["server_cpu"] = sum(used.values())
        # per process, busiest first (how the kernel spread the keep-alive connections over uvicorn's workers)
        result["split"] = sorted((v for each, v in used.items() if each != pid or len(used) == 1), reverse=True)
    return result


def lex_client(port: int):
    return boto3.client("lexv2-models", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="123456789012", aws_secret_access_key="x")


def seed(port: int, export: bool) -> dict:
    lex = lex_client(port)
    bot = lex.create_bot(botName="Bench", roleArn="arn:aws:iam::123456789012:role/LexRole",
                         dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=300)
    ids = {"botId": bot["botId"]}
    for i in range(9):
        lex.create_bot(botName=f"Other{i}", roleArn="arn:aws:iam::123456789012:role/LexRole",
                       dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=300)
    if export:
        lex.create_bot_locale(botId=bot["botId"], botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
        ids["exportId"] = lex.create_export(
            resourceSpecification={"botExportSpecification": {"botId": bot["botId"], "botVersion": "DRAFT"}},
            fileFormat="LexJson")["exportId"]
        ids["datasetArn"] = seed_personalize(port)
        seed_quicksight(port)
    return ids


def _client(service: str, port: int):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id=ACCOUNT, aws_secret_access_key="x")


def seed_personalize(port: int) -> str:
    personalize = _client("personalize", port)
    schema = personalize.create_schema(name="bench", schema=SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name="bench")["datasetGroupArn"]
    return personalize.create_dataset(name="bench", schemaArn=schema, datasetGroupArn=group,
                                      datasetType="Interactions")["datasetArn"]


def seed_quicksight(port: int) -> None:
    """A dashboard (id ``bench``) on a data set of an Athena data source."""
    qs = _client("quicksight", port)
    source = qs.create_data_source(AwsAccountId=ACCOUNT, DataSourceId="bench", Name="Bench", Type="ATHENA",
                                   DataSourceParameters={"AthenaParameters": {"WorkGroup": "primary"}})["Arn"]
    data_set = qs.create_data_set(
        AwsAccountId=ACCOUNT, DataSetId="bench", Name="Bench", ImportMode="SPICE",
        PhysicalTableMap={"t1": {"RelationalTable": {"DataSourceArn": source, "Schema": "db", "Name": "sales",
                                                     "InputColumns": [{"Name": "country", "Type": "STRING"}]}}},
        LogicalTableMap={"l1": {"Alias": "sales", "Source": {"PhysicalTableId": "t1"}}})["Arn"]
    column = {"DataSetIdentifier": "sales", "ColumnName": "country"}
    qs.create_dashboard(AwsAccountId=ACCOUNT, DashboardId="bench", Name="Bench", Definition={
        "DataSetIdentifierDeclarations": [{"Identifier": "sales", "DataSetArn": data_set}],
        "Sheets": [{"SheetId": "sheet1", "Name": "Overview", "Visuals": [{"TableVisual": {
            "VisualId": "table1", "ChartConfiguration": {"FieldWells": {"TableAggregatedFieldWells": {
                "GroupBy": [{"CategoricalDimensionField": {"FieldId": "f1", "Column": column}}]}}}}}]}]})


def start_localexport(processes: int, s3_url: str | None) -> tuple[subprocess.Popen, int]:
    """``localexport serve`` (``--workers N`` beyond one, on ``s3_url``): immediate jobs, SQLite in a temp dir."""
    port = free_port()
    data = tempfile.mkdtemp(prefix="localexport-bench-")
    cmd = [sys.executable, "-m", "localexport", "serve", "--port", str(port), "--data-dir", data,
           "--job-mode", "immediate"]
    env = {"LOCALEXPORT_LOG_LEVEL": "warning"}
    if processes > 1:
        cmd += ["--workers", str(processes)]
        env.update(LOCALEXPORT_S3_ENDPOINT_URL=s3_url, LOCALEXPORT_S3_ACCESS_KEY_ID="x",
                   LOCALEXPORT_S3_SECRET_ACCESS_KEY="x")
    proc = start(cmd, port, "/_localexport/health", env)
    if processes > 1:
        wait_for_processes(proc, processes, "localexport.db")
    return proc, port


def start_floor(processes: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "floor_app:app", "--port",
           str(port), "--log-level", "warning", "--no-access-log"]
    if processes > 1:
        cmd += ["--workers", str(processes)]
    proc = start(cmd, port, "/")
    if processes > 1:
        wait_for_processes(proc, processes)
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=lambda n: max(1, int(n)), default=3,
                        help="rounds per cell, each running every target in turn (medians shown; at least one)")
    parser.add_argument("--processes", default="1,2",
                        help="server process counts of localexport (and the floor) to compare; 1 is always run")
    args = parser.parse_args()
    counts = sorted({1, *(int(n) for n in args.processes.split(",") if n.strip())})
    procs = []
    try:
        ports = {"moto": free_port()}
        pids = {}
        procs.append(start(["moto_server", "-p", str(ports["moto"])], ports["moto"], "/moto-api/"))
        s3_url = None
        if counts[-1] > 1:  # `serve --workers N` needs an external S3: a moto server of its own
            s3_port = free_port()
            procs.append(start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)], s3_port,
                               "/moto-api/"))
            s3_url = f"http://127.0.0.1:{s3_port}"
        for n in counts:
            proc, ports[("localexport", n)] = start_localexport(n, s3_url)
            procs.append(proc)
            pids[("localexport", n)] = proc.pid
            proc, ports[("floor", n)] = start_floor(n)
            procs.append(proc)
            pids[("floor", n)] = proc.pid
        ids = {n: seed(ports[("localexport", n)], export=True) for n in counts}  # any process answers
        for n in counts:
            described = lex_client(ports[("localexport", n)]).describe_export(exportId=ids[n]["exportId"])
            assert described["exportStatus"] == "Completed", described
        theirs = seed(ports["moto"], export=False)

        def run(target, n: int, method: str, path: str, body: bytes, c: int, service: str, target_header) -> dict:
            port = ports[(target, n)]
            return measure(port, request_bytes(port, method, path, body, service, target_header), c, args.seconds,
                           pids[(target, n)])

        def median(results: list[dict]) -> dict:
            """The round of median throughput (its latencies and CPU with it), with every round's errors."""
            chosen = sorted(results, key=lambda r: r["rps"])[len(results) // 2]
            return {**chosen, "errors": sum(r["errors"] for r in results)}

        rows = []
        scaling = []  # (operation, concurrency, {n: localexport}, {n: floor})
        for op, method, path_of, scale, service, target in (
            ("DescribeBot", "GET", lambda ids: f"/bots/{ids['botId']}/", True, "lex", None),
            ("ListBots", "POST", lambda ids: "/bots/", False, "lex", None),
            ("DescribeExport", "GET", lambda ids: f"/exports/{ids['exportId']}/", True, "lex", None),
            ("ListExports", "POST", lambda ids: "/exports/", False, "lex", None),
            ("DescribeDashboard", "GET", lambda ids: f"/accounts/{ACCOUNT}/dashboards/bench", False, "quicksight",
             None),
            ("DescribeDataset", "POST", lambda ids: "/", False, "personalize", "AmazonPersonalize.DescribeDataset"),
        ):
            for c in CONCURRENCY:
                floor_rounds: dict[int, list[dict]] = {}
                our_rounds: dict[int, list[dict]] = {}
                moto_rounds: list[dict] = []
                for _ in range(args.rounds):
                    for n in counts if scale else (1,):
                        body = (json.dumps({"datasetArn": ids[n]["datasetArn"]}).encode() if target
                                else b"{}" if method == "POST" else b"")
                        floor_rounds.setdefault(n, []).append(
                            run("floor", n, method, path_of(ids[1]), body, c, service, target))
                        our_rounds.setdefault(n, []).append(
                            run("localexport", n, method, path_of(ids[n]), body, c, service, target))
                    if op in ("DescribeBot", "ListBots"):  # moto's Lex V2 has bots only
                        port = ports["moto"]
                        moto_rounds.append(measure(port, request_bytes(
                            port, method, path_of(theirs), b"{}" if method == "POST" else b""), c, args.seconds))
                floors = {n: median(found) for n, found in floor_rounds.items()}
                ours = {n: median(found) for n, found in our_rounds.items()}
                mo = median(moto_rounds) if moto_rounds else None
                rows.append((op, c, ours[1], mo, floors[1]))
                if scale and len(counts) > 1:
                    scaling.append((op, c, ours, floors))
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)

    print(f"medians of {args.rounds} round{'s' if args.rounds > 1 else ''} of {args.seconds:g} s per target and cell, "
          "each round running every target in turn")
    print(f"{'operation':<18}{'conc':>5}{'localexport r/s':>17}{'p50 ms':>8}{'p99 ms':>8}{'moto r/s':>10}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'floor r/s':>11}{'x moto':>8}{'of floor':>9}")
    for op, c, le, mo, floor in rows:
        moto_cols = f"{mo['rps']:>10.0f}{mo['p50']:>8.2f}{mo['p99']:>8.2f}" if mo else f"{'-':>10}{'-':>8}{'-':>8}"
        ratio = f"{le['rps'] / mo['rps']:>8.2f}" if mo else f"{'-':>8}"
        print(f"{op:<18}{c:>5}{le['rps']:>17.0f}{le['p50']:>8.2f}{le['p99']:>8.2f}{moto_cols}{floor['rps']:>11.0f}"
              f"{ratio}{le['rps'] / floor['rps']:>9.0%}")
        bad = le["errors"] + (mo["errors"] if mo else 0)
        if bad:
            print(f"  ! {bad} error responses in {op} at concurrency {c}")
    if scaling:
        print()
        print("server processes: r/s, p50/p99 ms, CPU cores used by the server (and by each of its worker processes)"
              " / by the load generator")
        print(f"{'operation':<18}{'conc':>5}{'procs':>6}{'localexport r/s':>17}{'p50 ms':>8}{'p99 ms':>8}"
              f"{'cpu':>6}{'per process':>13}{'client':>7}{'x 1 proc':>9}{'floor r/s':>11}{'cpu':>6}{'client':>7}"
              f"{'x 1 proc':>9}")
        for op, c, ours, floors in scaling:
            for n in counts:
                le, fl = ours[n], floors[n]
                print(f"{op:<18}{c:>5}{n:>6}{le['rps']:>17.0f}{le['p50']:>8.2f}{le['p99']:>8.2f}"
                      f"{le['server_cpu']:>6.2f}{'+'.join(f'{v:.2f}' for v in le['split'][:n]):>13}"
                      f"{le['client_cpu']:>7.2f}{le['rps'] / ours[1]['rps']:>9.2f}"
                      f"{fl['rps']:>11.0f}{fl['server_cpu']:>6.2f}{fl['client_cpu']:>7.2f}"
                      f"{fl['rps'] / floors[1]['rps']:>9.2f}")
                if le["errors"]:
                    print(f"  ! {le['errors']} error responses in {op} at concurrency {c} on {n} processes")
        top = max(CONCURRENCY)
        for op, c, ours, _ in scaling:
            if c == top:
                for n in counts[1:]:
                    print(f"{op} at c={c}: {n} processes / 1 = {ours[n]['rps'] / ours[1]['rps']:.2f}x")


if __name__ == "__main__":
    main()
