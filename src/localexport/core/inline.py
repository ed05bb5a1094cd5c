"""Calls answered on the event loop itself, without the hop to a thread (which costs more than a read).

Only reads are tried there, and only on a store whose reads never wait (SQLite).  While a call is answered
inline, whatever would wait or change something first calls ``check()``: a store write, a lock that is
taken, an id drawn from a seeded source, a job purged; that raises ``WouldBlock`` before anything changed,
and the server runs the whole call again on a thread, where it may wait.
"""

from __future__ import annotations

import threading

from ..aws.gateway import WouldBlock

_local = threading.local()


class _Answering:
    """(A class, not a generator: every read the server answers enters it.)"""

    __slots__ = ()

    def __enter__(self) -> None:
        _local.inline = True

    def __exit__(self, *exc_info: object) -> None:
        _local.inline = False


_ANSWERING = _Answering()


def answering() -> _Answering:
    """Mark this thread as answering a call on the event loop while the block runs."""
    return _ANSWERING


def active() -> bool:
    return getattr(_local, "inline", False)


def check() -> None:
    """Raise ``WouldBlock`` if this thread is answering inline (what follows would wait or change state)."""
    if getattr(_local, "inline", False):
        raise WouldBlock
