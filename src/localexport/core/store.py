"""Persistence: resource documents and jobs, on SQLite or PostgreSQL.

``Store(url)`` is the store of a database URL: SQLite (a WAL file, or memory for tests; ``store_sqlite``, on
the sqlite3 module) by default, or PostgreSQL (shared by several servers and workers; ``store_postgres``, on
SQLAlchemy Core).  Both hold the schema of the newest revision in ``migrations`` (``store_tables``), and
every row belongs to a scope (account, region, service): no query crosses scopes.

Writers: single statements are exactly-once on their own (inserts never overwrite; job transitions are
conditional updates, ``update_job(only_from=...)``), from any thread or process.  A ``transaction()`` block,
where a service checks and then writes, is the only writer in every process from its start: it holds
SQLite's write lock (``BEGIN IMMEDIATE``) or a database-wide lock on PostgreSQL; the store calls inside it
(on its thread) join it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Self


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


# A job's columns an update may set (a caller's keyword names a column).
JOB_COLUMNS = frozenset({"state", "spec", "result", "failure", "artifact", "attempts", "extra", "updated_at"})

_AFTER = "\U0010ffff"  # sorts after every character (byte-wise, as ix_resources_key compares keys)


def key_range(prefix: str) -> tuple[str, str]:
    """The keys that start with ``prefix``: from it (included) to it + _AFTER (excluded), a range the
    ix_resources_key index answers (a LIKE prefix match reads the whole scope on SQLite)."""
    return prefix, prefix + _AFTER


def __getattr__(name: str) -> Any:
    """The SQLAlchemy tables (``store.metadata``, ...), imported when first named: SQLite needs none of them."""
    if name in ("metadata", "resources", "jobs", "settings"):
        from . import store_tables

        return getattr(store_tables, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Store:
    """The documents, jobs and settings of one database.  ``Store(url)`` is made by the backend of the
    URL's scheme; ``put`` and ``insert_job`` are the same on both, the rest is each backend's."""

    dialect: str
    # What the database raises when it cannot be used (not there, refusing us, not a database).
    errors: tuple[type[Exception], ...]
    # Whether a read can be answered on the event loop (SQLite: it never waits, or says it would).
    reads_never_wait = False

    def __new__(cls, url: str) -> Self:
        return super().__new__(Store.backend(url) if cls is Store else cls)

    @staticmethod
    def backend(url: str) -> type[Store]:
        """The store class of a database URL (imported then: PostgreSQL's needs SQLAlchemy, SQLite's does not)."""
        scheme = url.split(":", 1)[0]
        if scheme.split("+", 1)[0] == "sqlite":
            from .store_sqlite import SqliteStore

            return SqliteStore
        if scheme.startswith("postgresql"):
            from .store_postgres import PostgresStore

            return PostgresStore
        raise ValueError(f"the store runs on SQLite or PostgreSQL, not {scheme}")

    def put(self, scope: Scope, doc: Doc) -> Doc:
        """Insert; AlreadyExists if the key is taken."""
        if not self._insert_doc(scope, doc):
            raise AlreadyExists(doc.key)
        return doc

    def insert_job(self, job: Job) -> Job:
        """Insert; AlreadyExists if the id is taken (two callers may race to make the same job)."""
        if not self._insert_job(job):
            raise AlreadyExists(job.id)
        return job

    # -- what each backend answers ------------------------------------------------------------

    def _insert_doc(self, scope: Scope, doc: Doc) -> bool:
        """Insert unless the key is taken (then False), in one statement: two writers racing cannot both."""
        raise NotImplementedError

    def _insert_job(self, job: Job) -> bool:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[None]:
        """All store calls of this thread inside share one transaction, the only writer while it lasts."""
        raise NotImplementedError

    def in_transaction(self) -> bool:
        """Whether this thread is inside ``transaction()`` (whose inner calls join it, never roll back alone)."""
        raise NotImplementedError

    def get(self, scope: Scope, kind: str, key: str) -> Doc | None:
        raise NotImplementedError

    def children(self, scope: Scope, kind: str, parent: str) -> list[Doc]:
        """The ``kind`` documents under ``parent``, oldest first."""
        raise NotImplementedError

    def all(self, scope: Scope, kind: str) -> list[Doc]:
        """Every ``kind`` document of the scope, oldest first."""
        raise NotImplementedError

    def tree(self, scope: Scope, key_prefix: str) -> list[Doc]:
        """Every document whose key starts with ``key_prefix``, any kind."""
        raise NotImplementedError

    def find(self, scope: Scope, kind: str, parent: str | None, name: str) -> Doc | None:
        """The ``kind`` document named ``name`` under ``parent`` (None: a top-level one)."""
        raise NotImplementedError

    def replace(self, scope: Scope, doc: Doc) -> Doc:
        """Write ``doc``'s name, body and update time over the stored one."""
        raise NotImplementedError

    def remove(self, scope: Scope, kind: str, key: str) -> None:
        raise NotImplementedError

    def remove_tree(self, scope: Scope, key_prefix: str) -> None:
        """Delete every document whose key starts with ``key_prefix`` (a resource's descendants)."""
        raise NotImplementedError

    def scopes(self) -> list[Scope]:
        """Every scope holding a document or a job (what the web console lists); a full scan, not for AWS calls."""
        raise NotImplementedError

    def get_job(self, job_id: str, scope: Scope | None = None) -> Job | None:
        raise NotImplementedError

    def old_jobs(self, scope: Scope, kind: str, before: float) -> list[Job]:
        """``kind`` jobs of ``scope`` created before ``before`` (the retention sweep)."""
        raise NotImplementedError

    def first_created(self, scope: Scope, kind: str) -> float | None:
        """When the oldest ``kind`` job of ``scope`` was created; None if it has none."""
        raise NotImplementedError

    def jobs(self, scope: Scope | None = None, kind: str | None = None, states: tuple[str, ...] = ()) -> list[Job]:
        """The jobs of these filters, oldest first."""
        raise NotImplementedError

    def update_job(self, job_id: str, *, only_from: tuple[str, ...] = (), only_attempt: int | None = None,
                   **values: Any) -> bool:
        """Change a job's columns; with ``only_from``, only if its state is one of those; with ``only_attempt``,
        only if it is still in that attempt (a run that was taken over must not end the job)."""
        if not values or not values.keys() <= JOB_COLUMNS:
            raise TypeError(f"a job's columns to change, among {sorted(JOB_COLUMNS)}: not {sorted(values)}")
        return self._update_job(job_id, only_from, only_attempt, values)

    def _update_job(self, job_id: str, only_from: tuple[str, ...], only_attempt: int | None,
                    values: dict[str, Any]) -> bool:
        """``update_job`` with its columns checked: True if it changed the job."""
        raise NotImplementedError

    def delete_job(self, job_id: str) -> None:
        raise NotImplementedError

    def clear(self, account: str | None = None) -> None:
        """Delete every document and job (of ``account``); settings stay."""
        raise NotImplementedError

    def ping(self) -> None:
        """A read of nothing, on a connection of its own: raises if the database cannot be reached."""
        raise NotImplementedError

    def setting(self, name: str) -> Any:
        raise NotImplementedError

    def put_setting(self, name: str, value: Any) -> None:
        """Set ``name`` in one statement, outside the writers' lock (a heartbeat must not wait for an import)."""
        raise NotImplementedError

    def drop_setting(self, name: str) -> None:
        raise NotImplementedError

    def update_setting(self, name: str, change: Callable[[Any], Any]) -> Any:
        """Set ``name`` to ``change(its value or None)`` in one step (no other writer in between); the new value."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError
