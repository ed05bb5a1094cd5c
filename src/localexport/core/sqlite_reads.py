"""The store's reads on SQLite, with the sqlite3 module itself.

SQLAlchemy's execution (pool checkout, compiled-cache lookup, result proxy, reset on return) costs several
times what SQLite spends on a primary-key read; these queries run on a connection per thread kept open
(the sqlite3 module prepares each statement once), in autocommit, so each read sees what was committed.
A thread answering a call on the event loop (``inline``) has its own connection that never waits for a
lock: SQLite answering "busy" there sends the call to a thread (``WouldBlock``).

The same reads on PostgreSQL, and inside a ``transaction()``, go through SQLAlchemy (``store.py``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError

from ..aws.gateway import WouldBlock
from . import inline

_DOC = "kind, key, parent, name, body, created_at, updated_at"
_JOB = ("id, account, region, service, kind, state, spec, result, failure, artifact, attempts, extra, created_at, "
        "updated_at")
_SCOPE = "account = ? AND region = ? AND service = ?"

GET = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND key = ?"
CHILDREN = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND parent = ? ORDER BY created_at"
ALL = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? ORDER BY created_at"
TREE = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND key >= ? AND key < ?"  # (store.key_range)
FIND = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND parent = ? AND name = ?"
FIND_TOP = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND parent IS NULL AND name = ?"
JOB = f"SELECT {_JOB} FROM jobs WHERE id = ?"
JOB_IN_SCOPE = f"SELECT {_JOB} FROM jobs WHERE {_SCOPE} AND id = ?"
OLD_JOBS = f"SELECT {_JOB} FROM jobs WHERE {_SCOPE} AND kind = ? AND created_at < ?"
JOBS = f"SELECT {_JOB} FROM jobs"  # + the WHERE of ``jobs_query`` + ORDER BY created_at
SETTING = "SELECT value FROM settings WHERE name = ?"


def jobs_query(scoped: bool, kind: bool, states: int) -> str:
    """The job listing's SELECT for the filters given (``states``: how many)."""
    where = ([_SCOPE] if scoped else []) + (["kind = ?"] if kind else [])
    if states:
        where.append(f"state IN ({', '.join('?' * states)})")
    return JOBS + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY created_at"


def loads(value: str | None) -> Any:
    """A JSON column's value (SQLAlchemy writes Python None as JSON null, or the column is NULL)."""
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # what orjson refuses and the standard library wrote (integers past 64 bits)
        return json.loads(value)


class SqliteReads:
    """Run reads on this thread's connection.  ``path``: the database file; or ``shared``: the one
    connection of an in-memory database (every thread must use it), with the lock that guards it."""

    def __init__(self, path: str | None = None, shared: sqlite3.Connection | None = None,
                 lock: threading.RLock | None = None):
        self._path = path
        self._shared = shared
        self._lock = lock
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()

    def rows(self, sql: str, args: tuple, convert: Callable[[tuple], Any]) -> list[Any]:
        if self._shared is not None:
            if inline.active():
                if not self._lock.acquire(blocking=False):  # a writer has it: wait on a thread, not on the loop
                    raise WouldBlock
            else:
                self._lock.acquire()
            try:
                return [convert(row) for row in self._shared.execute(sql, args)]
            except sqlite3.Error as error:
                raise DBAPIError.instance(sql, args, error, sqlite3.Error) from error
            finally:
                self._lock.release()
        try:
            return [convert(row) for row in self._connection().execute(sql, args)]
        except sqlite3.Error as error:
            if inline.active() and "locked" in str(error):
                raise WouldBlock from None
            # as SQLAlchemy raises it, which is what callers catch (and what the PostgreSQL store raises)
            raise DBAPIError.instance(sql, args, error, sqlite3.Error) from error

    def _connection(self) -> sqlite3.Connection:
        name = "inline" if inline.active() else "waiting"
        conn = getattr(self._local, name, None)
        if conn is None:
            # inline: fail at once when SQLite would wait; else as long as the store's writers may hold the file
            conn = sqlite3.connect(self._path, timeout=0 if name == "inline" else 60, isolation_level=None,
                                   check_same_thread=False)
            with self._opened_lock:
                self._opened.append(conn)
            setattr(self._local, name, conn)
        return conn

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
