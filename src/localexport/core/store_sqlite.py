"""The store on SQLite, with the sqlite3 module itself: a WAL file (a server's data dir), or memory (every
in-process mock).

SQLAlchemy's execution (pool checkout, compiled-cache lookup, result proxy, reset on return) costs several
times what SQLite spends on a primary-key read, and importing it a sixth of a mock's first call.  Here each
thread keeps a connection of its own (the sqlite3 module prepares each statement once) in autocommit, so
each read sees what was committed.  A thread answering a call on the event loop (``inline``) reads on one
that never waits for a lock: SQLite answering "busy" there sends the call to a thread (``WouldBlock``).

SQLite has one writer at a time: a process lock keeps this process's threads in line for it (SQLite's own
wait polls), and ``transaction()`` takes SQLite's write lock at its start (``BEGIN IMMEDIATE``), so no other
process writes in between either.  An in-memory database is one connection, every thread's, under that lock.

A new database gets the newest revision's schema at once (``SCHEMA``: what ``store_tables`` describes, a
test compares them); one an older version made is brought there by the revisions (Alembic, on ``engine``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from ..aws.gateway import WouldBlock
from . import inline
from .migrations import HEAD
from .store import Doc, Job, Scope, Store, key_range

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# What SQLAlchemy's create_all makes of store_tables, then Alembic's table of the current revision.
SCHEMA = (
    ("CREATE TABLE jobs (id VARCHAR(64) NOT NULL, account VARCHAR(12) NOT NULL, region VARCHAR NOT NULL, "
     "service VARCHAR(32) NOT NULL, kind VARCHAR(40) NOT NULL, state VARCHAR(16) NOT NULL, spec JSON NOT NULL, "
     "result JSON, failure JSON, artifact VARCHAR, attempts INTEGER NOT NULL, extra JSON NOT NULL, "
     "created_at FLOAT NOT NULL, updated_at FLOAT NOT NULL, PRIMARY KEY (id))"),
    "CREATE INDEX ix_jobs_created ON jobs (account, region, service, kind, created_at)",
    "CREATE INDEX ix_jobs_scope ON jobs (account, region, service, kind)",
    "CREATE INDEX ix_jobs_scope_state ON jobs (account, region, service, kind, state)",
    "CREATE INDEX ix_jobs_state ON jobs (state)",
    ("CREATE TABLE resources (account VARCHAR(12) NOT NULL, region VARCHAR NOT NULL, "
     'service VARCHAR(32) NOT NULL, kind VARCHAR(40) NOT NULL, "key" VARCHAR NOT NULL, parent VARCHAR, '
     "name VARCHAR, body JSON NOT NULL, created_at FLOAT NOT NULL, updated_at FLOAT NOT NULL, "
     'PRIMARY KEY (account, region, service, kind, "key"))'),
    'CREATE INDEX ix_resources_key ON resources (account, region, service, "key")',
    "CREATE INDEX ix_resources_name ON resources (account, region, service, kind, parent, name)",
    "CREATE INDEX ix_resources_parent ON resources (account, region, service, kind, parent)",
    "CREATE TABLE settings (name VARCHAR(64) NOT NULL, value JSON NOT NULL, PRIMARY KEY (name))",
    ("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
     "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"),
)

_DOC = "kind, key, parent, name, body, created_at, updated_at"
_JOB = ("id, account, region, service, kind, state, spec, result, failure, artifact, attempts, extra, created_at, "
        "updated_at")
_SCOPE = "account = ? AND region = ? AND service = ?"

_GET = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND key = ?"
_CHILDREN = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND parent = ? ORDER BY created_at"
_ALL = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? ORDER BY created_at"
_TREE = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND key >= ? AND key < ?"  # (store.key_range)
_FIND = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND parent = ? AND name = ?"
_FIND_TOP = f"SELECT {_DOC} FROM resources WHERE {_SCOPE} AND kind = ? AND parent IS NULL AND name = ?"
_INSERT_DOC = (f"INSERT INTO resources (account, region, service, {_DOC}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
               "ON CONFLICT DO NOTHING")
_REPLACE = f"UPDATE resources SET name = ?, body = ?, updated_at = ? WHERE {_SCOPE} AND kind = ? AND key = ?"
_REMOVE = f"DELETE FROM resources WHERE {_SCOPE} AND kind = ? AND key = ?"
_REMOVE_TREE = f"DELETE FROM resources WHERE {_SCOPE} AND key >= ? AND key < ?"
_SCOPES = "SELECT account, region, service FROM resources UNION SELECT account, region, service FROM jobs"

_JOB_BY_ID = f"SELECT {_JOB} FROM jobs WHERE id = ?"
_JOB_IN_SCOPE = f"SELECT {_JOB} FROM jobs WHERE {_SCOPE} AND id = ?"
_OLD_JOBS = f"SELECT {_JOB} FROM jobs WHERE {_SCOPE} AND kind = ? AND created_at < ?"
_FIRST_CREATED = f"SELECT min(created_at) FROM jobs WHERE {_SCOPE} AND kind = ?"
_INSERT_JOB = f"INSERT INTO jobs ({_JOB}) VALUES ({', '.join('?' * 14)}) ON CONFLICT DO NOTHING"
_JSON_COLUMNS = frozenset({"spec", "result", "failure", "extra"})

_SETTING = "SELECT value FROM settings WHERE name = ?"
_PUT_SETTING = "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"


@cache
def _jobs_query(scoped: bool, kind: bool, states: int) -> str:
    """The job listing's SELECT for the filters given (``states``: how many)."""
    where = ([_SCOPE] if scoped else []) + (["kind = ?"] if kind else [])
    if states:
        where.append(f"state IN ({', '.join('?' * states)})")
    # With states, the few jobs in them are found through an index on the state and then sorted: "+" keeps
    # SQLite (which has no statistics) from walking every job of the kind in creation order to avoid the sort;
    # rowid keeps ties in the order the index on the creation time gave them (the order they were made in).
    order = " ORDER BY +created_at, rowid" if states else " ORDER BY created_at"
    return f"SELECT {_JOB} FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "") + order


def _dumps(value: Any) -> str:
    """A JSON column's text (no NaN reaches a document: the wire refuses them, as orjson would write null).
    Integers past 64 bits, which orjson neither writes nor reads back exactly (it reads them as floats), are
    written by the standard library after a space (JSON's whitespace): ``_loads`` reads those with it too."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return " " + json.dumps(value)


def _loads(value: str | float | None) -> Any:
    """A JSON column's value (JSON null or SQL NULL: None).  A bare number comes back as one: the columns
    are declared JSON, which SQLite gives numeric affinity."""
    if not isinstance(value, str):
        return value
    if value.startswith(" "):
        return json.loads(value)
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # what SQLAlchemy wrote before (the standard library's JSON) and orjson refuses
        return json.loads(value)


def _doc(row: tuple) -> Doc:
    kind, key, parent, name, body, created_at, updated_at = row
    return Doc(kind, key, parent, name, _loads(body), created_at, updated_at)


def _job(row: tuple) -> Job:
    (job_id, account, region, service, kind, state, spec, result, failure, artifact, attempts, extra, created_at,
     updated_at) = row
    return Job(job_id, Scope(account, region, service), kind, state, _loads(spec), created_at, updated_at,
               _loads(result), _loads(failure), artifact, attempts, _loads(extra) or {})


def _value(row: tuple) -> Any:
    return _loads(row[0])


_column = itemgetter(0)


def _first(found: list) -> Any:
    return found[0] if found else None


def _path(url: str) -> str | None:
    """The database file of a ``sqlite:///path`` URL (relative, or absolute with a fourth slash); None: memory."""
    rest = url.split("://", 1)[1] if "://" in url else None
    if rest in ("", "/", "/:memory:"):
        return None
    if rest is None or not rest.startswith("/") or "?" in rest:
        raise ValueError(f"a SQLite store's URL is sqlite:///path (or sqlite:// for memory), not {url}")
    return rest[1:]


def _wal(conn: sqlite3.Connection) -> None:
    """Put the database file in WAL mode (kept by the file: a no-op once done). Switching needs the file to
    itself and SQLite answers "locked" at once, not after the busy timeout, while another connection of a
    process starting beside this one has it: try again for a while."""
    for attempt in range(200):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 199:
                raise
            time.sleep(0.05)


class _Connection(sqlite3.Connection):
    """A connection a weak set can hold: one a thread kept closes when the thread ends (anyio's idle threads
    do, after a while), not when the store does."""


class SqliteStore(Store):
    dialect = "sqlite"
    errors = (sqlite3.Error,)
    reads_never_wait = True

    def __init__(self, url: str):
        self._path = _path(url)
        # This process's writers, one at a time (and, in memory, every user of the one connection).
        self._lock = threading.RLock()
        self._local = threading.local()
        self._opened: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._opened_lock = threading.Lock()
        self._shared = None if self._path else self._connect(":memory:", timeout=0)
        if self._path:
            _wal(self._connection())
        self._create_or_upgrade()

    # -- connections ------------------------------------------------------------------------

    def _connect(self, path: str, timeout: float) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False,
                               factory=_Connection)
        conn.execute("PRAGMA synchronous=NORMAL")  # (per connection) in WAL mode: no fsync per commit, still safe
        with self._opened_lock:
            self._opened.add(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        """This thread's own connection: on the event loop one that fails at once where SQLite would wait;
        else one that waits as long as another process's writer may hold the file."""
        if self._shared is not None:
            return self._shared
        name = "inline" if inline.active() else "waiting"
        conn = getattr(self._local, name, None)
        if conn is None:
            conn = self._connect(self._path, timeout=0 if name == "inline" else 60)
            setattr(self._local, name, conn)
        return conn

    def _rows(self, sql: str, args: tuple, convert: Callable[[tuple], Any]) -> list[Any]:
        tx = getattr(self._local, "tx", None)
        if tx is not None:  # (its own writes, not yet committed, included)
            return [convert(row) for row in tx.execute(sql, args)]
        if self._shared is not None:
            if inline.active():
                if not self._lock.acquire(blocking=False):  # a writer has it: wait on a thread, not on the loop
                    raise WouldBlock
            else:
                self._lock.acquire()
            try:
                return [convert(row) for row in self._shared.execute(sql, args)]
            finally:
                self._lock.release()
        try:
            return [convert(row) for row in self._connection().execute(sql, args)]
        except sqlite3.OperationalError as error:
            if inline.active() and "locked" in str(error):
                raise WouldBlock from None
            raise

    def _write(self, sql: str, args: tuple = ()) -> int:
        """Run one writing statement, in this thread's transaction or on its own; how many rows it changed."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            return tx.execute(sql, args).rowcount
        inline.check()  # a write: never on the event loop
        with self._lock:
            return self._connection().execute(sql, args).rowcount

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if getattr(self._local, "tx", None) is not None:
            yield
            return
        inline.check()
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            self._local.tx = conn
            try:
                yield
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            finally:
                self._local.tx = None

    def in_transaction(self) -> bool:
        return getattr(self._local, "tx", None) is not None

    def _create_or_upgrade(self) -> None:
        """Give an empty database the schema; leave a current one; have Alembic upgrade (or refuse) any other.
        Several servers starting at once: one does it, the others wait and find it done."""
        with self.transaction():
            tables = set(self._rows("SELECT name FROM sqlite_master WHERE type = 'table'", (), _column))
            if not tables:
                for statement in SCHEMA:  # (one by one: executescript would commit the transaction first)
                    self._write(statement)
                self._write("INSERT INTO alembic_version (version_num) VALUES (?)", (HEAD,))
                return
            current = set(self._rows("SELECT version_num FROM alembic_version", (), _column)) if (
                "alembic_version" in tables) else set()
            if current == {HEAD}:
                return
        from sqlalchemy.exc import DBAPIError

        from . import migrations

        try:
            with self._lock, self.engine.begin() as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # (the driver then begins no transaction of its own)
                migrations.upgrade(conn)
        except DBAPIError as error:  # as the rest of this store raises it: sqlite3's own
            raise error.orig from error

    @cached_property
    def engine(self) -> Engine:
        """A SQLAlchemy engine on this database: for Alembic's revisions, and for tools and tests that read it."""
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool, StaticPool

        if self._path is None:
            return create_engine("sqlite://", poolclass=StaticPool, creator=lambda: self._shared)
        # the file itself, by its path (a URL made of it would be percent-decoded: "d%41" is another file)
        return create_engine("sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(
            self._path, timeout=60, check_same_thread=False))

    def close(self) -> None:
        with self._opened_lock:
            for conn in list(self._opened):
                conn.close()
            self._opened.clear()
        if "engine" in self.__dict__:
            self.engine.dispose()

    def ping(self) -> None:
        if self._shared is not None:
            self._rows("SELECT 1", (), tuple)
            return
        # its own connection (one kept open may hold a file since replaced), never making the file
        conn = sqlite3.connect(f"file:{quote(self._path)}?mode=rw", uri=True, timeout=5)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()

    # -- documents --------------------------------------------------------------------------

    def get(self, scope: Scope, kind: str, key: str) -> Doc | None:
        return _first(self._rows(_GET, (scope.account, scope.region, scope.service, kind, key), _doc))

    def children(self, scope: Scope, kind: str, parent: str) -> list[Doc]:
        return self._rows(_CHILDREN, (scope.account, scope.region, scope.service, kind, parent), _doc)

    def all(self, scope: Scope, kind: str) -> list[Doc]:
        return self._rows(_ALL, (scope.account, scope.region, scope.service, kind), _doc)

    def tree(self, scope: Scope, key_prefix: str) -> list[Doc]:
        return self._rows(_TREE, (scope.account, scope.region, scope.service, *key_range(key_prefix)), _doc)

    def find(self, scope: Scope, kind: str, parent: str | None, name: str) -> Doc | None:
        where = (scope.account, scope.region, scope.service, kind)
        if parent is None:  # ("= NULL" matches nothing in SQL)
            return _first(self._rows(_FIND_TOP, (*where, name), _doc))
        return _first(self._rows(_FIND, (*where, parent, name), _doc))

    def _insert_doc(self, scope: Scope, doc: Doc) -> bool:
        return self._write(_INSERT_DOC, (scope.account, scope.region, scope.service, doc.kind, doc.key, doc.parent,
                                         doc.name, _dumps(doc.body), doc.created_at, doc.updated_at)) == 1

    def replace(self, scope: Scope, doc: Doc) -> Doc:
        self._write(_REPLACE, (doc.name, _dumps(doc.body), doc.updated_at, scope.account, scope.region,
                               scope.service, doc.kind, doc.key))
        return doc

    def remove(self, scope: Scope, kind: str, key: str) -> None:
        self._write(_REMOVE, (scope.account, scope.region, scope.service, kind, key))

    def remove_tree(self, scope: Scope, key_prefix: str) -> None:
        self._write(_REMOVE_TREE, (scope.account, scope.region, scope.service, *key_range(key_prefix)))

    def scopes(self) -> list[Scope]:
        return [Scope(*row) for row in sorted(self._rows(_SCOPES, (), tuple))]

    # -- jobs -------------------------------------------------------------------------------

    def _insert_job(self, job: Job) -> bool:
        scope = job.scope
        return self._write(_INSERT_JOB, (
            job.id, scope.account, scope.region, scope.service, job.kind, job.state, _dumps(job.spec),
            _dumps(job.result), _dumps(job.failure), job.artifact, job.attempts, _dumps(job.extra), job.created_at,
            job.updated_at)) == 1

    def get_job(self, job_id: str, scope: Scope | None = None) -> Job | None:
        if scope is None:
            return _first(self._rows(_JOB_BY_ID, (job_id,), _job))
        return _first(self._rows(_JOB_IN_SCOPE, (scope.account, scope.region, scope.service, job_id), _job))

    def old_jobs(self, scope: Scope, kind: str, before: float) -> list[Job]:
        return self._rows(_OLD_JOBS, (scope.account, scope.region, scope.service, kind, before), _job)

    def first_created(self, scope: Scope, kind: str) -> float | None:
        return self._rows(_FIRST_CREATED, (scope.account, scope.region, scope.service, kind), _column)[0]

    def jobs(self, scope: Scope | None = None, kind: str | None = None, states: tuple[str, ...] = ()) -> list[Job]:
        args = ((scope.account, scope.region, scope.service) if scope else ()) + ((kind,) if kind else ()) + tuple(
            states)
        return self._rows(_jobs_query(scope is not None, kind is not None, len(states)), args, _job)

    def _update_job(self, job_id: str, only_from: tuple[str, ...], only_attempt: int | None,
                    values: dict[str, Any]) -> bool:
        sql = f"UPDATE jobs SET {', '.join(f'{column} = ?' for column in values)} WHERE id = ?"
        args = [_dumps(value) if column in _JSON_COLUMNS else value for column, value in values.items()]
        args.append(job_id)
        if only_from:
            sql += f" AND state IN ({', '.join('?' * len(only_from))})"
            args += only_from
        if only_attempt is not None:
            sql += " AND attempts = ?"
            args.append(only_attempt)
        return self._write(sql, tuple(args)) == 1

    def delete_job(self, job_id: str) -> None:
        self._write("DELETE FROM jobs WHERE id = ?", (job_id,))

    def clear(self, account: str | None = None) -> None:
        with self.transaction():
            for table in ("resources", "jobs"):
                if account is None:
                    self._write(f"DELETE FROM {table}")
                else:
                    self._write(f"DELETE FROM {table} WHERE account = ?", (account,))

    # -- settings ---------------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        return _first(self._rows(_SETTING, (name,), _value))

    def put_setting(self, name: str, value: Any) -> None:
        self._write(_PUT_SETTING, (name, _dumps(value)))

    def drop_setting(self, name: str) -> None:
        self._write("DELETE FROM settings WHERE name = ?", (name,))

    def update_setting(self, name: str, change: Callable[[Any], Any]) -> Any:
        with self.transaction():
            value = change(_first(self._rows(_SETTING, (name,), _value)))
            self._write(_PUT_SETTING, (name, _dumps(value)))
        return value
