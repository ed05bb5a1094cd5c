"""Two processes compacting one dataset's put logs at once keep every record (a segment name of its own each)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import duckdb

from localexport.core.artifacts import ArtifactStore
from localexport.services.personalize import datasets
from localexport.services.personalize.records import connect
from localexport.services.personalize.schemas import Field


class _Clock:
    def __init__(self):
        self.t = 1_700_000_000.0

    def now(self) -> float:
        self.t += 1
        return self.t


def test_concurrent_compactions_lose_no_record(tmp_path, monkeypatch):
    store = ArtifactStore(tmp_path / "artifacts")
    dataset = SimpleNamespace(body={"_storage": "accounts/1/ds"})
    clock = _Clock()
    ctx = SimpleNamespace(runtime=SimpleNamespace(artifacts=store), clock=clock)
    datasets.append(ctx, dataset, [{"USER_ID": "from-first-log"}])
    datasets.append(ctx, dataset, [{"USER_ID": "from-second-log"}])
    first_log, second_log = store.keys("accounts/1/ds/put")
    deleted_first, b_listed, b_done = threading.Event(), threading.Event(), threading.Event()

    class Process:
        """The artifact store as one of two processes sees it, paused to force the worst interleaving:
        B lists both logs, A compacts both and deletes the first, B then finds only the second."""

        def __init__(self, name: str):
            self.name = name

        def keys(self, prefix):
            found = store.keys(prefix)
            if self.name == "B":
                b_listed.set()
            return found

        def open(self, key):
            if self.name == "B" and key == first_log:
                deleted_first.wait(5)
            return store.open(key)

        def publish(self, file, key):
            store.publish(file, key)

        def delete(self, key):
            if self.name == "A" and key == second_log:
                deleted_first.set()
                b_done.wait(5)
            store.delete(key)

    monkeypatch.setattr(datasets, "_compacting", type("Own", (dict,), {"setdefault": lambda *_: threading.Lock()})())

    def compact(name: str, after: threading.Event | None = None) -> None:
        if after is not None:
            after.wait(5)
        scratch = tmp_path / name
        scratch.mkdir()
        with connect(scratch) as con:
            datasets.compact(SimpleNamespace(runtime=SimpleNamespace(artifacts=Process(name)), clock=clock), dataset,
                             con, [Field("USER_ID", "string", False)], scratch)
        if name == "B":
            b_done.set()

    b = threading.Thread(target=compact, args=("B",))
    a = threading.Thread(target=compact, args=("A", b_listed))
    b.start()
    a.start()
    a.join(10)
    b.join(10)
    segments = [str(s.path) for s in datasets.put_segments(ctx, dataset)]
    assert len(segments) == 2 and all(Path(s).suffix == ".parquet" for s in segments)
    found = {row[0] for row in duckdb.sql(f"SELECT USER_ID FROM read_parquet({segments})").fetchall()}
    assert found == {"from-first-log", "from-second-log"}
