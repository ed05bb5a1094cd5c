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


class Clock:
    def __init__(self, start: float | None = None):
        self._offset = 0.0 if start is None else start - time.time()
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back: issued URLs and finished jobs must stay in the past)."""
        seconds = duration(seconds, "advance")
        with self._lock:
            try:  # past year 9999 no date can be shown: every later call would fail
                datetime.fromtimestamp(self.now() + seconds, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError(f"advance of {seconds:g} s moves the clock past the last date") from None
            self._offset += seconds
        return self.now()
