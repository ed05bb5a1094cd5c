"""What the test controls set (timing mode and delay, the clock's offset, injected failures), kept where
every process that runs jobs sees it.

One process keeps it in memory (``MemoryState``; its clock keeps its own offset, ``clock.py``).  An instance of several processes (``serve --workers N``,
or servers and ``localexport worker`` processes on PostgreSQL) keeps it in the store (``StoredState``): a
``fail-next`` sent to one server fails the next job any worker runs, a clock advanced through one server
moves every server's clock.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class State(Protocol):
    mode: str
    delay: float

    def timing(self) -> tuple[str, float]:
        """(mode, delay), read together."""

    def push_failure(self, kind: str | None, reasons: list[str]) -> None: ...

    def take_failure(self, kind: str) -> list[str] | None:
        """The reasons of the oldest injected failure for ``kind`` (or for any kind), removed; None if none."""


def _take(injected: list[list[Any]], kind: str) -> list[str] | None:
    for i, (wanted, reasons) in enumerate(injected):
        if wanted is None or wanted == kind:
            del injected[i]
            return list(reasons)
    return None


class MemoryState:
    def __init__(self, mode: str, delay: float):
        self.mode = mode
        self.delay = delay
        self._injected: list[list[Any]] = []
        self._lock = threading.Lock()

    def timing(self) -> tuple[str, float]:
        return self.mode, self.delay

    def push_failure(self, kind: str | None, reasons: list[str]) -> None:
        with self._lock:
            self._injected.append([kind, list(reasons)])

    def take_failure(self, kind: str) -> list[str] | None:
        with self._lock:
            return _take(self._injected, kind)


class StoredState:
    """The same, as one row of the store's ``settings`` table (read on every use: another process may have
    changed it; a read by primary key is cheap next to what reads it)."""

    NAME = "controls"

    def __init__(self, store, mode: str, delay: float):
        self.store = store
        self._defaults = {"mode": mode, "delay": delay, "offset": 0.0, "injected": []}
        store.update_setting(self.NAME, lambda saved: {**self._defaults, **(saved or {})})

    def _get(self, name: str) -> Any:
        saved = self.store.setting(self.NAME) or {}
        return saved.get(name, self._defaults[name])

    def _set(self, name: str, value: Any) -> None:
        self.store.update_setting(self.NAME, lambda saved: {**self._defaults, **(saved or {}), name: value})

    def timing(self) -> tuple[str, float]:
        saved = {**self._defaults, **(self.store.setting(self.NAME) or {})}  # one read, not two
        return saved["mode"], saved["delay"]

    mode = property(lambda self: self._get("mode"), lambda self, v: self._set("mode", v))
    delay = property(lambda self: self._get("delay"), lambda self, v: self._set("delay", v))
    offset = property(lambda self: self._get("offset"), lambda self, v: self._set("offset", v))

    def add_offset(self, seconds: float) -> float:
        """Move the shared clock's offset by ``seconds`` in one step (two advances never lose one); the new
        offset (``Clock.share`` reads ``offset`` and calls this)."""

        def add(saved):
            saved = {**self._defaults, **(saved or {})}
            return {**saved, "offset": saved["offset"] + seconds}

        return self.store.update_setting(self.NAME, add)["offset"]

    def push_failure(self, kind: str | None, reasons: list[str]) -> None:
        def push(saved):
            saved = {**self._defaults, **(saved or {})}
            return {**saved, "injected": [*saved["injected"], [kind, list(reasons)]]}

        self.store.update_setting(self.NAME, push)

    def take_failure(self, kind: str) -> list[str] | None:
        taken: list[list[str] | None] = [None]

        def take(saved):
            saved = {**self._defaults, **(saved or {})}
            injected = [list(entry) for entry in saved["injected"]]
            taken[0] = _take(injected, kind)
            return {**saved, "injected": injected}

        if not (self.store.setting(self.NAME) or {}).get("injected"):  # the common case: no write
            return None
        self.store.update_setting(self.NAME, take)
        return taken[0]
