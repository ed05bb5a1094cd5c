"""Calls answered on the event loop itself, without the hop to a thread (which costs more than a read).

Only reads are tried there, and only on a store whose reads never wait (SQLite).  While a call is answered
inline, whatever would wait or change something first calls ``check()``: a store write, a lock that is
taken, an id drawn from a seeded source, a job purged; that raises ``WouldBlock`` before anything changed,
and the server runs the whole call again on a thread, where it may wait.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..aws.gateway import WouldBlock

_local = threading.local()


@contextmanager
def answering() -> Iterator[None]:
    """Mark this thread as answering a call on the event loop while the block runs."""
    _local.inline = True
    try:
        yield
    finally:
        _local.inline = False


def active() -> bool:
    return getattr(_local, "inline", False)


def check() -> None:
    """Raise ``WouldBlock`` if this thread is answering inline (what follows would wait or change state)."""
    if getattr(_local, "inline", False):
        raise WouldBlock
