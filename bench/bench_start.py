"""Start-up and memory: each figure measured in fresh processes, side by side with its peer and its floor, one run.

- First boto3 call under the mock from a fresh interpreter, import included: the wall time of a child
  ``python -c`` (measured by this process, from spawn to exit) that imports, enters
  ``localexport.mock_export()``, makes a lexv2-models client and calls ListBots once; beside it the same
  with moto's ``mock_aws()``, and the floor both share, ``import boto3; boto3.client('lexv2-models')``
  (and a bare interpreter, ``python -c pass``). The per-call cost once inside the mock (DescribeBot under
  ``mock_export()`` vs under ``mock_aws()``) is bench_inprocess.py's.
- ``localexport serve`` from spawn to a 200 from ``GET /_localexport/health`` (polled every 10 ms), with a
  fresh data dir and again on the data dir the run before left (a restart); beside it the floor,
  ``uvicorn --app-dir bench floor_app:app`` to its first answer, and ``moto_server`` to its first answer.
- Resident memory (VmRSS of the server process and its descendants): idle after start, after one ListBots
  (moto loads a service's backend on its first call) and, for localexport, after ``--bots`` CreateBot calls
  over HTTP (8 threads); moto_server and the floor app beside it.

Each child is run once first, untimed (bytecode caches, the disk cache), then ``--rounds`` times; the
figures are medians.  Children may write bytecode caches (``PYTHONDONTWRITEBYTECODE``, set on some machines,
is dropped for them): pip compiled moto's at install, an editable install of ours has only what an import
writes, and a user's interpreter writes them. "ratio" is ours / the figure named beside it.

    pip install -e '.[bench]'
    python bench/bench_start.py [--rounds 3] [--bots 10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import requests

sys.path.insert(0, str(Path(__file__).parent))
from bench_describe import free_port, process_tree

BENCH = Path(__file__).resolve().parent
ROLE = "arn:aws:iam::123456789012:role/LexRole"
MB = 1e6 / 2**20  # MiB in a MB
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
CHILDREN = {
    "bare interpreter": "pass",
    "floor": "import boto3; boto3.client('lexv2-models', region_name='us-east-1')",
    "ours": ("import boto3, localexport\n"
             "with localexport.mock_export():\n"
             "    print(len(boto3.client('lexv2-models', region_name='us-east-1').list_bots()['botSummaries']))"),
    "moto": ("import boto3\nfrom moto import mock_aws\n"
             "with mock_aws():\n"
             "    print(len(boto3.client('lexv2-models', region_name='us-east-1').list_bots()['botSummaries']))"),
}


def median_of(measure, rounds: int) -> float:
    measure()  # untimed: bytecode caches, the disk cache
    return statistics.median(measure() for _ in range(rounds))


def child_seconds(code: str) -> float:
    """Wall seconds of ``python -c code``, from spawn to exit."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, env=CHILD_ENV)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() in ("", "0"), done.stdout  # ListBots answered, no bots
    return seconds


# -- servers -------------------------------------------------------------------------------------


class Server:
    """A server process, started and timed to its first 200 (polled every 10 ms)."""

    def __init__(self, cmd: list[str], port: int, path: str):
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        # a file, not a pipe: a server that logs every request would fill a pipe and stall; closed by stop()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log, env=CHILD_ENV)
        session = requests.Session()
        deadline = time.monotonic() + 60
        while True:
            try:
                if session.get(self.url + path, timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                said = self.log.read().decode(errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"{cmd} did not answer: {said}")
            time.sleep(0.01)
        self.start_seconds = time.perf_counter() - started
        session.close()

    def rss_mib(self) -> float:
        """VmRSS of the process and its descendants (``serve`` runs uvicorn in its own process)."""
        total = 0
        for pid in process_tree(self.proc.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        return total / 1024

    def processes(self) -> int:
        return len(process_tree(self.proc.pid))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def serve(data_dir: Path) -> Server:
    port = free_port()
    return Server([sys.executable, "-m", "localexport", "serve", "--port", str(port), "--data-dir", str(data_dir)],
                  port, "/_localexport/health")


def floor_app() -> Server:
    port = free_port()
    return Server([sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH), "floor_app:app", "--port", str(port),
                   "--log-level", "warning"], port, "/")


def moto_server() -> Server:
    port = free_port()
    return Server([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, "/moto-api/")


def timed_start(make) -> float:
    server = make()
    server.stop()
    return server.start_seconds


def lex(url: str):
    return boto3.client("lexv2-models", endpoint_url=url, region_name="us-east-1", aws_access_key_id="123456789012",
                        aws_secret_access_key="x")


def list_bots(client) -> int:
    count, token = 0, {}
    while True:
        page = client.list_bots(maxResults=1000, **token)
        count += len(page["botSummaries"])
        if not page.get("nextToken"):
            return count
        token = {"nextToken": page["nextToken"]}


def create_bots(url: str, count: int, threads: int = 8) -> float:
    """CreateBot ``count`` times over HTTP from ``threads`` threads (a client each); returns the seconds."""
    failures: list[BaseException] = []

    def work(numbers: range) -> None:
        client = lex(url)
        try:
            for n in numbers:
                client.create_bot(botName=f"Bot{n:06}", roleArn=ROLE, dataPrivacy={"childDirected": False},
                                  idleSessionTTLInSeconds=300)
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            failures.append(error)

    workers = [threading.Thread(target=work, args=(range(i, count, threads),)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - started


def memory(server: Server, bots: int = 0) -> dict[str, float]:
    """RSS idle (1 s after its first answer), after one ListBots, and after ``bots`` CreateBots."""
    time.sleep(1)
    out = {"idle": server.rss_mib()}
    client = lex(server.url)
    client.list_bots()
    time.sleep(0.2)
    out["one call"] = server.rss_mib()
    if bots:
        out["create seconds"] = create_bots(server.url, bots)
        assert list_bots(client) == bots
        time.sleep(0.2)
        out["bots"] = server.rss_mib()
    out["processes"] = server.processes()
    return out


# -- the table -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bots", type=int, default=10_000)
    args = parser.parse_args()
    rounds = args.rounds

    child = {name: median_of(lambda code=code: child_seconds(code), rounds) for name, code in CHILDREN.items()}

    folder = Path(tempfile.mkdtemp(prefix="bench-start-"))
    try:
        fresh = [folder / f"fresh-{i}" for i in range(rounds + 1)]
        fresh_iter = iter(fresh)
        serve_fresh = median_of(lambda: timed_start(lambda: serve(next(fresh_iter))), rounds)
        serve_restart = median_of(lambda: timed_start(lambda: serve(fresh[-1])), rounds)
        floor_start = median_of(lambda: timed_start(floor_app), rounds)
        moto_start = median_of(lambda: timed_start(moto_server), rounds)

        servers = {"ours": serve(folder / "memory"), "moto": moto_server(), "floor": floor_app()}
        try:
            ours = memory(servers["ours"], args.bots)
            moto = memory(servers["moto"])
            floor_rss = memory(servers["floor"])["idle"]
        finally:
            for server in servers.values():
                server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def row(figure: str, value: str, beside: str, ratio: float | None, goal: str = "-") -> None:
        print(f"| {figure} | {value} | {beside} | {f'{ratio:.2f}' if ratio is not None else '-'} | {goal} |")

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"\nmedian of {rounds} (after one untimed run of each); ratio = ours / the figure beside it\n")
    print("| figure | ours | peer / floor | ratio | goal |")
    print("|---|---|---|---|---|")
    first = "first ListBots under the mock, fresh interpreter, import included (s)"
    row(first, f"{child['ours']:.3f}", f"moto mock_aws(): {child['moto']:.3f}", child["ours"] / child["moto"],
        f"<= 1x moto: {met(child['ours'] <= child['moto'])}")
    row(first, f"{child['ours']:.3f}", f"floor, import boto3 + client: {child['floor']:.3f}",
        child["ours"] / child["floor"])
    row("  the same, above the floor (s)", f"{child['ours'] - child['floor']:.3f}",
        f"moto: {child['moto'] - child['floor']:.3f}",
        (child["ours"] - child["floor"]) / (child["moto"] - child["floor"]))
    row("  bare interpreter, python -c pass (s)", "-", f"{child['bare interpreter']:.3f}", None)
    row("localexport serve, start to healthy, fresh data dir (s)", f"{serve_fresh:.3f}",
        f"floor, uvicorn floor_app: {floor_start:.3f}", serve_fresh / floor_start, f"< 1 s: {met(serve_fresh < 1)}")
    row("localexport serve, restart to healthy, existing data dir (s)", f"{serve_restart:.3f}",
        f"floor: {floor_start:.3f}", serve_restart / floor_start, f"< 1 s: {met(serve_restart < 1)}")
    row("  server start to first answer (s)", f"{serve_fresh:.3f}", f"moto_server: {moto_start:.3f}",
        serve_fresh / moto_start)
    row("server RSS idle (MiB)", f"{ours['idle']:.0f}", f"moto_server: {moto['idle']:.0f}", ours["idle"] / moto["idle"],
        f"< 200 MB ({200 * MB:.0f} MiB): {met(ours['idle'] < 200 * MB)}")
    row("server RSS idle (MiB)", f"{ours['idle']:.0f}", f"floor app: {floor_rss:.0f}", ours["idle"] / floor_rss)
    row("server RSS after one ListBots (MiB)", f"{ours['one call']:.0f}", f"moto_server: {moto['one call']:.0f}",
        ours["one call"] / moto["one call"])
    if args.bots:
        row(f"server RSS after {args.bots:,} CreateBot (MiB)", f"{ours['bots']:.0f}",
            f"ours idle: {ours['idle']:.0f}", ours["bots"] / ours["idle"])
        print(f"\n{args.bots:,} CreateBot over HTTP from 8 threads: {ours['create seconds']:.1f} s "
              f"({args.bots / ours['create seconds']:,.0f}/s); processes in the serve tree: {ours['processes']:.0f}, "
              f"moto_server's: {moto['processes']:.0f}")


if __name__ == "__main__":
    main()
