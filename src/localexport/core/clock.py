"""Time as the server sees it: wall time plus an offset tests can fast-forward."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime


def duration(value: object, name: str = "seconds") -> float:
    """``value`` as a number of seconds: finite and not negative, else ValueError (TypeError if it is not a
    number at all: a bool, a string).

    NaN or infinity would poison every later time (expiries, retention, job delays) for good."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {value!r}")
    try:
        seconds = float(value)
    except OverflowError:  # an int too big for a float
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite, non-negative number of seconds, not {value!r}")
    return seconds


class _Offset:
    """The offset of one process's clock (``shared_state`` has the one several processes share)."""

    def __init__(self, offset: float):
        self.offset = offset
        self._lock = threading.Lock()

    def add_offset(self, seconds: float) -> float:
        with self._lock:
            self.offset += seconds
            return self.offset


class Clock:
    def __init__(self, start: float | None = None):
        self._state = _Offset(0.0 if start is None else start - time.time())

    def share(self, state) -> None:
        """Keep the offset in ``state`` from now on (an instance of several processes: each one's clock moves
        when any one's is advanced)."""
        self._state = state

    def now(self) -> float:
        return time.time() + self._state.offset

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: issued URLs and finished jobs must stay in the past)."""
        seconds = duration(seconds, "advance")
        try:  # past year 9999 no date can be shown: every later call would fail
            datetime.fromtimestamp(self.now() + seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"advance of {seconds:g} s moves the clock past the last date") from None
        self._state.add_offset(seconds)
        return self.now()
