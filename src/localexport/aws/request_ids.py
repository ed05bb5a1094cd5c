"""The ``x-amzn-RequestId`` of each answer: UUID-shaped as AWS's are, unique within the process by a counter
behind a random prefix (``uuid4()`` reads the OS's random source for each of them, a few µs a call)."""

from __future__ import annotations

import itertools
import os
import uuid

_prefix = ""
_counter = itertools.count()


def _reset() -> None:
    global _prefix, _counter
    _prefix = str(uuid.uuid4())[:24]  # "xxxxxxxx-xxxx-4xxx-yxxx-": the random part, the version of a uuid4
    _counter = itertools.count()


_reset()
os.register_at_fork(after_in_child=_reset)  # a forked child must not repeat its parent's ids


def new_request_id() -> str:
    return f"{_prefix}{next(_counter) % 16**12:012x}"
