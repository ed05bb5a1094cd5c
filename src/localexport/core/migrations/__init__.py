"""The store's schema, versioned with Alembic and brought to the newest revision at start-up.

Revisions are the modules in ``versions/`` (one per schema change, ``down_revision`` naming the one before);
``upgrade`` runs them on the store's connection, with no ``alembic.ini``.  A database made by
``metadata.create_all`` before the schema was versioned has the tables of the initial revision but no
``alembic_version``: it is stamped as that revision, so existing data dirs keep working.  (An empty SQLite
database gets the head's schema from the SQLite store itself, which imports none of this but ``HEAD``.)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection

INITIAL = "0001"
# The newest revision (a test holds it to Alembic's own head): a database already there, or an empty one, is
# dealt with without importing Alembic, which costs more than the rest of a start.
HEAD = "0006"


class SchemaError(Exception):
    """The database's schema is one this code cannot use: it must not be written to."""


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(__file__).parent))


def head() -> str:
    """The newest revision, as Alembic reads the revisions."""
    return _scripts().get_current_head()


def _current(conn: Connection) -> set[str]:
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return set()
    return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def upgrade(conn: Connection) -> None:
    """Bring the database on ``conn`` (in a transaction the caller commits) to the head revision."""
    current = _current(conn)
    if current == {HEAD}:
        return
    from alembic import command
    from sqlalchemy import inspect

    unknown = current - {script.revision for script in _scripts().walk_revisions()}
    if unknown:
        raise SchemaError(f"the database's schema is at revision {', '.join(sorted(unknown))}, which this "
                          f"localexport does not know (its newest is {head()}): a newer localexport made it (upgrade "
                          f"localexport to use this database), or it is another application's database")
    tables = set(inspect(conn).get_table_names())
    if not current and {"resources", "jobs"} <= tables:  # ours, made before revisions (by create_all)
        command.stamp(config(conn), INITIAL)
    command.upgrade(config(conn), "head")


def config(conn: Connection) -> Config:
    """What Alembic's commands need to run these revisions on ``conn``."""
    from alembic.config import Config

    made = Config()
    made.set_main_option("script_location", _scripts().dir)
    made.attributes["connection"] = conn
    return made
