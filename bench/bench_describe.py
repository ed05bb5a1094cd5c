"""DescribeBot / ListBots throughput and latency: localexport vs moto_server vs a bare
Starlette floor, all on loopback in one run; plus DescribeExport on localexport.

    pip install -e '.[bench]' && python bench/bench_describe.py [--seconds 3]

The load generator is an asyncio HTTP/1.1 client with one keep-alive connection
per concurrent caller, sending pre-built SigV4-shaped requests (neither server
checks signatures), so the client costs the same for every target.
"""

from __future__ import annotations

import argparse
import asyncio
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

AUTH = ("AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/lex/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
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


def request_bytes(port: int, method: str, path: str, body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {AUTH}\r\n"
            f"X-Amz-Date: 20260101T000000Z\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
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
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": len(errors),
    }


def measure(port: int, payload: bytes, concurrency: int, seconds: float) -> dict:
    asyncio.run(_load(port, payload, concurrency, 0.3))  # warm up
    return asyncio.run(_load(port, payload, concurrency, seconds))


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
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="localexport-bench-")
    ports = {"localexport": free_port(), "moto": free_port(), "floor": free_port()}
    procs = [
        start([sys.executable, "-m", "localexport", "serve", "--port", str(ports["localexport"]), "--data-dir", data,
               "--job-mode", "immediate"], ports["localexport"], "/_localexport/health",
              {"LOCALEXPORT_LOG_LEVEL": "warning"}),
        start(["moto_server", "-p", str(ports["moto"])], ports["moto"], "/moto-api/"),
        start([sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "floor_app:app", "--port",
               str(ports["floor"]), "--log-level", "warning", "--no-access-log"], ports["floor"], "/"),
    ]
    try:
        ours = seed(ports["localexport"], export=True)
        theirs = seed(ports["moto"], export=False)
        rows = []
        for op, method, path_of in (
            ("DescribeBot", "GET", lambda ids: f"/bots/{ids['botId']}/"),
            ("ListBots", "POST", lambda ids: "/bots/"),
        ):
            body = b"{}" if method == "POST" else b""
            for c in CONCURRENCY:
                floor = measure(ports["floor"], request_bytes(ports["floor"], method, path_of(ours), body), c, args.seconds)
                le = measure(ports["localexport"], request_bytes(ports["localexport"], method, path_of(ours), body), c,
                             args.seconds)
                mo = measure(ports["moto"], request_bytes(ports["moto"], method, path_of(theirs), body), c, args.seconds)
                rows.append((op, c, le, mo, floor))
        for c in CONCURRENCY:
            path = f"/exports/{ours['exportId']}/"
            floor = measure(ports["floor"], request_bytes(ports["floor"], "GET", path), c, args.seconds)
            le = measure(ports["localexport"], request_bytes(ports["localexport"], "GET", path), c, args.seconds)
            rows.append(("DescribeExport", c, le, None, floor))
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)

    print(f"{'operation':<15}{'conc':>5}{'localexport r/s':>17}{'p50 ms':>8}{'p99 ms':>8}{'moto r/s':>10}"
          f"{'p50 ms':>8}{'p99 ms':>8}{'floor r/s':>11}{'x moto':>8}{'of floor':>9}")
    for op, c, le, mo, floor in rows:
        moto_cols = f"{mo['rps']:>10.0f}{mo['p50']:>8.2f}{mo['p99']:>8.2f}" if mo else f"{'-':>10}{'-':>8}{'-':>8}"
        ratio = f"{le['rps'] / mo['rps']:>8.2f}" if mo else f"{'-':>8}"
        print(f"{op:<15}{c:>5}{le['rps']:>17.0f}{le['p50']:>8.2f}{le['p99']:>8.2f}{moto_cols}{floor['rps']:>11.0f}"
              f"{ratio}{le['rps'] / floor['rps']:>9.0%}")
        bad = le["errors"] + (mo["errors"] if mo else 0)
        if bad:
            print(f"  ! {bad} error responses in {op} at concurrency {c}")


if __name__ == "__main__":
    main()
