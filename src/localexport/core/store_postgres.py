"""The store on PostgreSQL (a shared instance's servers and workers), with SQLAlchemy Core and psycopg.

Single statements run concurrently, from any process; a ``transaction()`` holds a database-wide advisory
lock from its first statement, so it is the only such writer in every process (see ``store``).  Statements
are built once where they can be (building a SQLAlchemy expression costs more than a read of one row).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import and_, bindparam, create_engine, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from . import inline, migrations
from .store import Doc, Job, Scope, Store, key_range
from .store_tables import jobs, resources, settings

# What ``transaction()`` blocks hold from their start (the key is any number, the same everywhere).
_WRITERS_LOCK = text("SELECT pg_advisory_xact_lock(7210354416)")


def _on_postgresql() -> None:
    """ix_resources_key compares keys byte-wise on PostgreSQL too (its range is read with the pattern
    operators), as revision 0005 creates it there."""
    index = next(i for i in resources.indexes if i.name == "ix_resources_key")
    if "postgresql_ops" not in index.dialect_kwargs:
        index.dialect_kwargs["postgresql_ops"] = {"key": "text_pattern_ops"}


def _scope_of(table, scope: Scope):
    return and_(table.c.account == scope.account, table.c.region == scope.region, table.c.service == scope.service)


def _scoped(table, *columns: str):
    """A SELECT of ``table`` for one scope and the given columns' values, built once."""
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
_FIRST_CREATED = _scoped(jobs, "kind").with_only_columns(func.min(jobs.c.created_at))
_JOBS_OF_KIND = _scoped(jobs, "kind").order_by(jobs.c.created_at)
_JOBS_OF_KIND_IN = _scoped(jobs, "kind").where(jobs.c.state.in_(bindparam("states", expanding=True))).order_by(
    jobs.c.created_at)
# SQLAlchemy keeps the row count of an INSERT only when asked.
_INSERT_DOC = insert(resources).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
_INSERT_JOB = insert(jobs).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
_REPLACE_DOC = update(resources).where(
    *(resources.c[c] == bindparam(f"w_{c}") for c in ("account", "region", "service", "kind", "key"))
).values(name=bindparam("name"), body=bindparam("body"), updated_at=bindparam("updated_at"))


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


def _under(key_prefix: str):
    """The condition "key starts with key_prefix" as the key index reads it: a byte-wise range, with the
    pattern operators (PostgreSQL's plain comparisons follow the database's collation)."""
    low, high = key_range(key_prefix)
    key = resources.c.key
    return and_(key.op("~>=~")(low), key.op("~<~")(high))


class PostgresStore(Store):
    dialect = "postgresql"
    errors = (SQLAlchemyError,)

    def __init__(self, url: str):
        parsed = make_url(url)
        if parsed.drivername == "postgresql":  # the driver the package ships
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.engine = create_engine(parsed, pool_pre_ping=True)  # (connections may drop)
        _on_postgresql()
        self._local = threading.local()
        with self.transaction():  # several servers starting at once: one migrates, the others wait
            migrations.upgrade(self._local.conn)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._begin(exclusive=True):
            yield

    @contextmanager
    def _begin(self, exclusive: bool = False) -> Iterator[Connection]:
        """Join this thread's transaction, or run one (``exclusive``: holding the writers' lock)."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        inline.check()  # a write: never on the event loop
        with self.engine.begin() as conn:
            if exclusive:
                conn.execute(_WRITERS_LOCK)
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def in_transaction(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
        else:
            with self.engine.connect() as conn:
                yield conn

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute(select(1))

    # -- documents --------------------------------------------------------------------------

    def get(self, scope: Scope, kind: str, key: str) -> Doc | None:
        with self._read() as conn:
            row = conn.execute(_GET_DOC, _args(scope, kind=kind, key=key)).first()
        return _doc(row) if row else None

    def children(self, scope: Scope, kind: str, parent: str) -> list[Doc]:
        with self._read() as conn:
            return [_doc(r) for r in conn.execute(_CHILDREN, _args(scope, kind=kind, parent=parent))]

    def all(self, scope: Scope, kind: str) -> list[Doc]:
        with self._read() as conn:
            return [_doc(r) for r in conn.execute(_ALL_OF_KIND, _args(scope, kind=kind))]

    def tree(self, scope: Scope, key_prefix: str) -> list[Doc]:
        t = resources
        with self._read() as conn:
            return [_doc(r) for r in conn.execute(select(t).where(_scope_of(t, scope), _under(key_prefix)))]

    def find(self, scope: Scope, kind: str, parent: str | None, name: str) -> Doc | None:
        t = resources
        with self._read() as conn:
            if parent is None:  # "= NULL" matches nothing in SQL
                row = conn.execute(
                    select(t).where(_scope_of(t, scope), t.c.kind == kind, t.c.parent.is_(None), t.c.name == name)
                ).first()
            else:
                row = conn.execute(_FIND_BY_NAME, _args(scope, kind=kind, parent=parent, name=name)).first()
        return _doc(row) if row else None

    def _insert_doc(self, scope: Scope, doc: Doc) -> bool:
        with self._begin() as conn:  # (a conflict leaves the transaction usable)
            return conn.execute(_INSERT_DOC, _args(scope, kind=doc.kind, key=doc.key, parent=doc.parent,
                                                   name=doc.name, body=doc.body, created_at=doc.created_at,
                                                   updated_at=doc.updated_at)).rowcount == 1

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
        with self._begin() as conn:
            conn.execute(delete(resources).where(_scope_of(resources, scope), _under(key_prefix)))

    def scopes(self) -> list[Scope]:
        with self._read() as conn:
            rows = {tuple(r) for t in (resources, jobs)
                    for r in conn.execute(select(t.c.account, t.c.region, t.c.service).distinct())}
        return [Scope(*r) for r in sorted(rows)]

    # -- jobs -------------------------------------------------------------------------------

    def _insert_job(self, job: Job) -> bool:
        with self._begin() as conn:
            return conn.execute(_INSERT_JOB, dict(
                id=job.id, **_args(job.scope), kind=job.kind, state=job.state, spec=job.spec, result=job.result,
                failure=job.failure, artifact=job.artifact, attempts=job.attempts, extra=job.extra,
                created_at=job.created_at, updated_at=job.updated_at)).rowcount == 1

    def get_job(self, job_id: str, scope: Scope | None = None) -> Job | None:
        with self._read() as conn:
            if scope is None:
                row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
            else:
                row = conn.execute(_JOB_IN_SCOPE, _args(scope, id=job_id)).first()
        return _job(row) if row else None

    def old_jobs(self, scope: Scope, kind: str, before: float) -> list[Job]:
        with self._read() as conn:
            return [_job(r) for r in conn.execute(_OLD_JOBS, _args(scope, kind=kind, before=before))]

    def first_created(self, scope: Scope, kind: str) -> float | None:
        with self._read() as conn:
            return conn.execute(_FIRST_CREATED, _args(scope, kind=kind)).scalar()

    def jobs(self, scope: Scope | None = None, kind: str | None = None, states: tuple[str, ...] = ()) -> list[Job]:
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

    def _update_job(self, job_id: str, only_from: tuple[str, ...], only_attempt: int | None,
                    values: dict[str, Any]) -> bool:
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

    # -- settings ---------------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        with self._read() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.name == name)).first()
        return row[0] if row else None

    def put_setting(self, name: str, value: Any) -> None:
        with self._begin() as conn:
            query = insert(settings).values(name=name, value=value)
            conn.execute(query.on_conflict_do_update(index_elements=[settings.c.name], set_={"value": value}))

    def drop_setting(self, name: str) -> None:
        with self._begin() as conn:
            conn.execute(delete(settings).where(settings.c.name == name))

    def update_setting(self, name: str, change: Callable[[Any], Any]) -> Any:
        with self._begin(exclusive=True) as conn:
            found = conn.execute(select(settings.c.value).where(settings.c.name == name)).first()
            value = change(found[0] if found else None)
            if found:
                conn.execute(update(settings).where(settings.c.name == name).values(value=value))
            else:
                conn.execute(settings.insert().values(name=name, value=value))
        return value
