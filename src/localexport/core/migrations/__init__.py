"""The store's schema, versioned with Alembic and brought to the newest revision at start-up.

Revisions are the modules in ``versions/`` (one per schema change, ``down_revision`` naming the one before);
``upgrade`` runs them on the store's connection, with no ``alembic.ini``.  A database made by
``metadata.create_all`` before the schema was versioned has the tables of the initial revision but no
``alembic_version``: it is stamped as that revision, so existing data dirs keep working.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

INITIAL = "0001"
_SCRIPTS = ScriptDirectory(str(Path(__file__).parent))


class SchemaError(Exception):
    """The database's schema is one this code cannot use: it must not be written to."""


def head() -> str:
    return _SCRIPTS.get_current_head()


def upgrade(conn: Connection, metadata: MetaData | None = None) -> None:
    """Bring the database on ``conn`` (in a transaction the caller commits) to the head revision.

    An empty SQLite database (every in-process mock makes one) gets the tables of ``metadata`` at once and is
    stamped at the head: the same schema as the revisions make there, without running them one by one."""
    current = set(MigrationContext.configure(conn).get_current_heads())
    unknown = current - {script.revision for script in _SCRIPTS.walk_revisions()}
    if unknown:
        raise SchemaError(f"the database's schema is at revision {', '.join(sorted(unknown))}, which this "
                          f"localexport does not know (its newest is {head()}): a newer localexport made it (upgrade "
                          f"localexport to use this database), or it is another application's database")
    if current == {head()}:
        return
    if not current and metadata is not None and conn.dialect.name == "sqlite" and not inspect(conn).get_table_names():
        metadata.create_all(conn)
        command.stamp(config(conn), "head")
        return
    tables = set(inspect(conn).get_table_names())
    if not current and {"resources", "jobs"} <= tables:  # ours, made before revisions (by create_all)
        command.stamp(config(conn), INITIAL)
    command.upgrade(config(conn), "head")


def config(conn: Connection) -> Config:
    """What Alembic's commands need to run these revisions on ``conn``."""
    made = Config()
    made.set_main_option("script_location", _SCRIPTS.dir)
    made.attributes["connection"] = conn
    return made
