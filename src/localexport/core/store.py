"""Persistence: resource documents and jobs, on SQLAlchemy Core.

SQLite (a WAL file, or memory for tests) by default, or PostgreSQL (shared by
several servers and workers); the schema uses only portable types and is
versioned by the revisions in ``migrations``.  Every row belongs to a scope
(account, region, service): no query crosses scopes.

Writers: SQLite has one writer at a time, and a process lock keeps this
process's threads in line for it.  On PostgreSQL single statements run
concurrently, from any process: job transitions are conditional updates
(``update_job(only_from=...)``) and inserts never overwrite (``ON CONFLICT DO
NOTHING``), so each is exactly-once on its own.  A ``transaction()`` block, where
a service checks and then writes (and the migrations at start), is the only
writer in every process from its first statement on: it holds a database-wide
lock on PostgreSQL, SQLite's write lock (``BEGIN IMMEDIATE``) on SQLite.
"""

from __future__ import annotations

import importlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from . import inline, migrations
from . import sqlite_reads as sql
from .sqlite_reads import SqliteReads


@dataclass(frozen=True, slots=True)
class Scope:
    account: str
    region: str
    service: str


@dataclass(slots=True)
class Doc:
    kind: str
    key: str
    parent: str | None
    name: str | None
    body: dict[str, Any]
    created_at: float
    updated_at: float

    def with_body(self, body: dict[str, Any], updated_at: float) -> Doc:
        """This document with another body (what a save writes)."""
        return Doc(self.kind, self.key, self.parent, self.name, body, self.created_at, updated_at)


@dataclass(slots=True)
class Job:
    id: str
    scope: Scope
    kind: str
    state: str
    spec: dict[str, Any]
    created_at: float
    updated_at: float
    result: dict[str, Any] | None = None
    failure: list[str] | None = None
    artifact: str | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def secrets(self) -> dict[str, Any]:
        return self.extra.get("secrets") or {}


class AlreadyExists(Exception):
    pass


# The tables at the newest revision of ``migrations`` (a test compares them); what callers name has no length
# limit (PostgreSQL would enforce one).
metadata = MetaData()

resources = Table(
    "resources",
    metadata,
    Column("account", String(12), primary_key=True),
    Column("region", String, primary_key=True),
    Column("service", String(32), primary_key=True),
    Column("kind", String(40), primary_key=True),
    Column("key", String, primary_key=True),
    Column("parent", String),
    Column("name", String),
    Column("body", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_resources_parent", "account", "region", "service", "kind", "parent"),
    Index("ix_resources_name", "account", "region", "service", "kind", "parent", "name"),
    # (on PostgreSQL with text_pattern_ops: _on_postgresql; naming it here would import that dialect for all)
    Index("ix_resources_key", "account", "region", "service", "key"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account", String(12), nullable=False),
    Column("region", String, nullable=False),
    Column("service", String(32), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("result", JSON),
    Column("failure", JSON),
    Column("artifact", String),
    Column("attempts", Integer, nullable=False, default=0),
    Column("extra", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_jobs_scope", "account", "region", "service", "kind"),
    Index("ix_jobs_state", "state"),
    Index("ix_jobs_created", "account", "region", "service", "kind", "created_at"),
)

# Instance-wide values every process reads (e.g. the test controls' state: shared_state.py).
settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)


def _scope_of(table: Table, scope: Scope):
    return and_(table.c.account == scope.account, table.c.region == scope.region, table.c.service == scope.service)


def _scoped(table: Table, *columns: str):
    """A SELECT of ``table`` for one scope and the given columns' values, built once:
    building SQLAlchemy expressions costs more than running these queries."""
    t = table
    conditions = [t.c.account == bindparam("account"), t.c.region == bindparam("region"),
                  t.c.service == bindparam("service")]
    conditions += [t.c[c] == bindparam(c) for c in columns]
    return select(t).where(*conditions)


def _args(scope: Scope, **values: Any) -> dict[str, Any]:
    return {"account": scope.account, "region": scope.region, "service": scope.service, **values}


_GET_DOC = _scoped(resources, "kind", "key")
_CHILDREN = _scoped(resources, "kind", "parent").order_by(resources.c.created_at)
_ALL_OF_KIND = _scoped(resources, "kind").order_by(resources.c.created_at)
_FIND_BY_NAME = _scoped(resources, "kind", "parent", "name")
_JOB_IN_SCOPE = _scoped(jobs, "id")
_OLD_JOBS = _scoped(jobs, "kind").where(jobs.c.created_at < bindparam("before"))
_JOBS_OF_KIND = _scoped(jobs, "kind").order_by(jobs.c.created_at)
_JOBS_OF_KIND_IN = _scoped(jobs, "kind").where(jobs.c.state.in_(bindparam("states", expanding=True))).order_by(
    jobs.c.created_at)


def _doc(row) -> Doc:
    return Doc(row.kind, row.key, row.parent, row.name, row.body, row.created_at, row.updated_at)


def _job(row) -> Job:
    return Job(
        id=row.id,
        scope=Scope(row.account, row.region, row.service),
        kind=row.kind,
        state=row.state,
        spec=row.spec,
        created_at=row.created_at,
        updated_at=row.updated_at,
        result=row.result,
        failure=row.failure,
        artifact=row.artifact,
        attempts=row.attempts,
        extra=row.extra or {},
    )


def _where(scope: Scope) -> tuple[str, str, str]:
    """A scope as the first parameters of a ``sqlite_reads`` query."""
    return scope.account, scope.region, scope.service


def _raw_doc(row: tuple) -> Doc:
    """A document from a row of ``sqlite_reads`` (columns in its order, JSON as text)."""
    kind, key, parent, name, body, created_at, updated_at = row
    return Doc(kind, key, parent, name, sql.loads(body), created_at, updated_at)


def _raw_job(row: tuple) -> Job:
    (job_id, account, region, service, kind, state, spec, result, failure, artifact, attempts, extra, created_at,
     updated_at) = row
    return Job(job_id, Scope(account, region, service), kind, state, sql.loads(spec), created_at, updated_at,
               sql.loads(result), sql.loads(failure), artifact, attempts, sql.loads(extra) or {})


_AFTER = "\U0010ffff"  # sorts after every character (byte-wise, as ix_resources_key compares keys)


def _on_postgresql() -> None:
    """ix_resources_key compares keys byte-wise on PostgreSQL too (its range is read with the pattern
    operators), as revision 0005 creates it there."""
    index = next(i for i in resources.indexes if i.name == "ix_resources_key")
    if "postgresql_ops" not in index.dialect_kwargs:
        index.dialect_kwargs["postgresql_ops"] = {"key": "text_pattern_ops"}


def key_range(prefix: str) -> tuple[str, str]:
    """The keys that start with ``prefix``: from it (included) to it + _AFTER (excluded), a range the
    ix_resources_key index answers (a LIKE prefix match reads the whole scope on SQLite)."""
    return prefix, prefix + _AFTER


def make_engine(url: str) -> Engine:
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection: every thread must see the same in-memory database.
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
    else:  # a database server: "postgresql://" means the driver the package ships; connections may drop
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout=60000")  # a sibling process's long import may hold the lock
            _wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


# What ``transaction()`` blocks hold from their start (the advisory lock's key is any number, the same everywhere).
_WRITERS_LOCK = text("SELECT pg_advisory_xact_lock(7210354416)")
_SQLITE_WRITE_LOCK = text("BEGIN IMMEDIATE")  # the driver then begins no transaction of its own
_DIALECTS = ("sqlite", "postgresql")


def _dialect_insert(dialect: str):
    """The dialect's INSERT with ON CONFLICT (imported at first use: the PostgreSQL dialect costs 40 ms)."""
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert


@cache
def _insert_once(dialect: str, table: str):
    """Built once per dialect and table (building a statement costs more than SQLite spends running it); the
    row's values are the parameters.  SQLAlchemy keeps the row count of an INSERT only when asked."""
    target = resources if table == resources.name else jobs
    return _dialect_insert(dialect)(target).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
_REPLACE_DOC = update(resources).where(
    *(resources.c[c] == bindparam(f"w_{c}") for c in ("account", "region", "service", "kind", "key"))
).values(name=bindparam("name"), body=bindparam("body"), updated_at=bindparam("updated_at"))


def _insert_new(conn: Connection, table: Table, **values: Any) -> bool:
    """Insert a row unless its primary key is taken (then False): one statement, so two writers racing
    cannot both insert, and a conflict leaves a PostgreSQL transaction usable."""
    return conn.execute(_insert_once(conn.dialect.name, table.name), values).rowcount == 1


def _wal(cursor) -> None:
    """Put the database file in WAL mode (kept by the file: a no-op once done). Switching needs the file to
    itself and SQLite answers "locked" at once, not after the busy timeout, while another connection of a
    process starting beside this one has it: try again for a while."""
    for attempt in range(200):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 199:
                raise
            time.sleep(0.05)


class Store:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        if self.engine.dialect.name not in _DIALECTS:
            raise ValueError(f"the store runs on SQLite or PostgreSQL, not {self.engine.dialect.name}")
        self._postgres = self.engine.dialect.name == "postgresql"
        if self._postgres:
            _on_postgresql()
        # SQLite allows one writer; a shared in-memory connection allows one user at all.
        self._lock = nullcontext() if self._postgres else threading.RLock()
        self._shared = isinstance(self.engine.pool, StaticPool)
        self._local = threading.local()
        with self.transaction() as conn:  # several servers starting at once: one migrates, the others wait
            migrations.upgrade(conn, metadata)
        self._sqlite = None if self._postgres else self._sqlite_reads()

    def _sqlite_reads(self) -> SqliteReads:
        if not self._shared:
            return SqliteReads(path=self.engine.url.database)
        proxy = self.engine.raw_connection()  # the pool's one connection: it stays open when handed back
        shared = proxy.dbapi_connection
        proxy.close()
        return SqliteReads(shared=shared, lock=self._lock)

    @property
    def reads_never_wait(self) -> bool:
        """Whether a read can be answered on the event loop (SQLite: it never waits, or says it would)."""
        return self._sqlite is not None

    def _fast(self) -> SqliteReads | None:
        """The plain SQLite reads, unless this thread is in a transaction (whose writes they would not see)."""
        if self._sqlite is None or getattr(self._local, "conn", None) is not None:
            return None
        return self._sqlite

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """All store calls inside share one transaction (per thread), the only writer while it lasts."""
        with self._begin(exclusive=True) as conn:
            yield conn

    @contextmanager
    def _begin(self, exclusive: bool = False) -> Iterator[Connection]:
        """Join this thread's transaction, or run one (``exclusive``: holding the writers' lock on PostgreSQL)."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        inline.check()  # a write: never on the event loop
        with self._lock, self.engine.begin() as conn:
            if exclusive:
                conn.execute(_WRITERS_LOCK if self._postgres else _SQLITE_WRITE_LOCK)
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def in_transaction(self) -> bool:
        """Whether this thread is inside ``transaction()`` (whose inner calls join it, never roll back alone)."""
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
        elif self._shared:
            with self._lock, self.engine.connect() as conn:
                yield conn
        else:
            with self.engine.connect() as conn:
                yield conn

    # -- documents -----------------------------------------------------------

    def get(self, scope: Scope, kind: str, key: str) -> Doc | None:
        if fast := self._fast():
            found = fast.rows(sql.GET, (*_where(scope), kind, key), _raw_doc)
            return found[0] if found else None
        with self._read() as conn:
            row = conn.execute(_GET_DOC, _args(scope, kind=kind, key=key)).first()
        return _doc(row) if row else None

    def children(self, scope: Scope, kind: str, parent: str) -> list[Doc]:
        if fast := self._fast():
            return fast.rows(sql.CHILDREN, (*_where(scope), kind, parent), _raw_doc)
        with self._read() as conn:
            return [_doc(r) for r in conn.execute(_CHILDREN, _args(scope, kind=kind, parent=parent))]

    def all(self, scope: Scope, kind: str) -> list[Doc]:
        if fast := self._fast():
            return fast.rows(sql.ALL, (*_where(scope), kind), _raw_doc)
        with self._read() as conn:
            return [_doc(r) for r in conn.execute(_ALL_OF_KIND, _args(scope, kind=kind))]

    def tree(self, scope: Scope, key_prefix: str) -> list[Doc]:
        """Every document whose key starts with ``key_prefix``, any kind."""
        if fast := self._fast():
            return fast.rows(sql.TREE, (*_where(scope), *key_range(key_prefix)), _raw_doc)
        t = resources
        with self._read() as conn:
            return [_doc(r) for r in conn.execute(select(t).where(_scope_of(t, scope), self._under(key_prefix)))]

    def _under(self, key_prefix: str):
        """The condition "key starts with key_prefix" as the key index reads it: a byte-wise range, with
        PostgreSQL's pattern operators (its plain comparisons follow the database's collation)."""
        low, high = key_range(key_prefix)
        key = resources.c.key
        if self._postgres:
            return and_(key.op("~>=~")(low), key.op("~<~")(high))
        return and_(key >= low, key < high)

    def find(self, scope: Scope, kind: str, parent: str | None, name: str) -> Doc | None:
        if fast := self._fast():
            where = (*_where(scope), kind)
            found = (fast.rows(sql.FIND_TOP, (*where, name), _raw_doc) if parent is None
                     else fast.rows(sql.FIND, (*where, parent, name), _raw_doc))
            return found[0] if found else None
        t = resources
        with self._read() as conn:
            if parent is None:  # "= NULL" matches nothing in SQL
                row = conn.execute(
                    select(t).where(_scope_of(t, scope), t.c.kind == kind, t.c.parent.is_(None), t.c.name == name)
                ).first()
            else:
                row = conn.execute(_FIND_BY_NAME, _args(scope, kind=kind, parent=parent, name=name)).first()
        return _doc(row) if row else None

    def put(self, scope: Scope, doc: Doc) -> Doc:
        """Insert; AlreadyExists if the key is taken."""
        with self._begin() as conn:
            if not _insert_new(conn, resources, **_args(scope), kind=doc.kind, key=doc.key, parent=doc.parent,
                               name=doc.name, body=doc.body, created_at=doc.created_at, updated_at=doc.updated_at):
                raise AlreadyExists(doc.key)
        return doc

    def replace(self, scope: Scope, doc: Doc) -> Doc:
        with self._begin() as conn:
            conn.execute(_REPLACE_DOC, {"w_account": scope.account, "w_region": scope.region,
                                        "w_service": scope.service, "w_kind": doc.kind, "w_key": doc.key,
                                        "name": doc.name, "body": doc.body, "updated_at": doc.updated_at})
        return doc

    def remove(self, scope: Scope, kind: str, key: str) -> None:
        t = resources
        with self._begin() as conn:
            conn.execute(delete(t).where(_scope_of(t, scope), t.c.kind == kind, t.c.key == key))

    def remove_tree(self, scope: Scope, key_prefix: str) -> None:
        """Delete every document whose key starts with ``key_prefix`` (a resource's descendants)."""
        t = resources
        with self._begin() as conn:
            conn.execute(delete(t).where(_scope_of(t, scope), self._under(key_prefix)))

    def scopes(self) -> list[Scope]:
        """Every scope holding a document or a job (what the web console lists); a full scan, not for AWS calls."""
        with self._read() as conn:
            rows = {tuple(r) for t in (resources, jobs)
                    for r in conn.execute(select(t.c.account, t.c.region, t.c.service).distinct())}
        return [Scope(*r) for r in sorted(rows)]

    # -- jobs ----------------------------------------------------------------

    def insert_job(self, job: Job) -> Job:
        """Insert; AlreadyExists if the id is taken (two callers may race to make the same job)."""
        with self._begin() as conn:
            if not _insert_new(conn, jobs, id=job.id, **_args(job.scope), kind=job.kind, state=job.state,
                               spec=job.spec, result=job.result, failure=job.failure, artifact=job.artifact,
                               attempts=job.attempts, extra=job.extra, created_at=job.created_at,
                               updated_at=job.updated_at):
                raise AlreadyExists(job.id)
        return job

    def get_job(self, job_id: str, scope: Scope | None = None) -> Job | None:
        if fast := self._fast():
            found = (fast.rows(sql.JOB, (job_id,), _raw_job) if scope is None
                     else fast.rows(sql.JOB_IN_SCOPE, (*_where(scope), job_id), _raw_job))
            return found[0] if found else None
        with self._read() as conn:
            if scope is None:
                row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
            else:
                row = conn.execute(_JOB_IN_SCOPE, _args(scope, id=job_id)).first()
        return _job(row) if row else None

    def old_jobs(self, scope: Scope, kind: str, before: float) -> list[Job]:
        """``kind`` jobs of ``scope`` created before ``before`` (the retention sweep, run on every call)."""
        if fast := self._fast():
            return fast.rows(sql.OLD_JOBS, (*_where(scope), kind, before), _raw_job)
        with self._read() as conn:
            return [_job(r) for r in conn.execute(_OLD_JOBS, _args(scope, kind=kind, before=before))]

    def jobs(
        self,
        scope: Scope | None = None,
        kind: str | None = None,
        states: tuple[str, ...] = (),
    ) -> list[Job]:
        if fast := self._fast():
            args = (_where(scope) if scope else ()) + ((kind,) if kind else ()) + tuple(states)
            return fast.rows(sql.jobs_query(scope is not None, kind is not None, len(states)), args, _raw_job)
        if scope is not None and kind is not None:  # the hot case (listings, conflict checks): a built query
            with self._read() as conn:
                rows = conn.execute(_JOBS_OF_KIND_IN if states else _JOBS_OF_KIND,
                                    _args(scope, kind=kind, **({"states": list(states)} if states else {})))
                return [_job(r) for r in rows]
        t = jobs
        query = select(t).order_by(t.c.created_at)
        if scope is not None:
            query = query.where(_scope_of(t, scope))
        if kind is not None:
            query = query.where(t.c.kind == kind)
        if states:
            query = query.where(t.c.state.in_(states))
        with self._read() as conn:
            return [_job(r) for r in conn.execute(query)]

    def update_job(self, job_id: str, *, only_from: tuple[str, ...] = (), only_attempt: int | None = None,
                   **values: Any) -> bool:
        """Change a job's columns; with ``only_from``, only if its state is one of those; with ``only_attempt``,
        only if it is still in that attempt (a run that was taken over must not end the job)."""
        t = jobs
        query = update(t).where(t.c.id == job_id)
        if only_from:
            query = query.where(t.c.state.in_(only_from))
        if only_attempt is not None:
            query = query.where(t.c.attempts == only_attempt)
        with self._begin() as conn:
            return conn.execute(query.values(**values)).rowcount == 1

    def delete_job(self, job_id: str) -> None:
        with self._begin() as conn:
            conn.execute(delete(jobs).where(jobs.c.id == job_id))

    def clear(self, account: str | None = None) -> None:
        with self._begin() as conn:
            for t in (resources, jobs):
                conn.execute(delete(t) if account is None else delete(t).where(t.c.account == account))

    def ping(self) -> None:
        """A read of nothing: raises if the database cannot be reached."""
        with self._read() as conn:  # a connection of its own: one kept open may hold a file since replaced
            conn.execute(select(1))

    # -- settings ------------------------------------------------------------

    def setting(self, name: str) -> Any:
        if fast := self._fast():
            found = fast.rows(sql.SETTING, (name,), lambda row: sql.loads(row[0]))
            return found[0] if found else None
        with self._read() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.name == name)).first()
        return row[0] if row else None

    def put_setting(self, name: str, value: Any) -> None:
        """Set ``name`` in one statement, outside the writers' lock (a heartbeat must not wait for an import)."""
        insert = _dialect_insert(self.engine.dialect.name)
        with self._begin() as conn:
            query = insert(settings).values(name=name, value=value)
            conn.execute(query.on_conflict_do_update(index_elements=[settings.c.name], set_={"value": value}))

    def drop_setting(self, name: str) -> None:
        with self._begin() as conn:
            conn.execute(delete(settings).where(settings.c.name == name))

    def update_setting(self, name: str, change: Callable[[Any], Any]) -> Any:
        """Set ``name`` to ``change(its value or None)`` in one step (no other writer in between); the new value."""
        with self._begin(exclusive=True) as conn:
            found = conn.execute(select(settings.c.value).where(settings.c.name == name)).first()
            value = change(found[0] if found else None)
            if found:
                conn.execute(update(settings).where(settings.c.name == name).values(value=value))
            else:
                conn.execute(settings.insert().values(name=name, value=value))
        return value
