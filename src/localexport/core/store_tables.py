"""The store's tables as SQLAlchemy describes them: what the PostgreSQL store queries, what Alembic's
revisions lead to (a test compares them with a new database), and what tools and tests read.

The SQLite store runs the same schema with the sqlite3 module (``store_sqlite.SCHEMA``) and imports none of
this unless a database needs Alembic's revisions.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table

# The tables at the newest revision of ``migrations``; what callers name has no length limit (PostgreSQL would
# enforce one).
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
    # (on PostgreSQL with text_pattern_ops: store_postgres; naming it here would import that dialect for all)
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
    Index("ix_jobs_scope_state", "account", "region", "service", "kind", "state"),
)

# Instance-wide values every process reads (e.g. the test controls' state: shared_state.py).
settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)
