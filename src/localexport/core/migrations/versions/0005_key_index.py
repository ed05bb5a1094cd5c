"""A document's subtree (``Store.tree``: a bot locale's intents, slots and slot types for an export) read
through an index on the key, where ``key LIKE 'prefix%'`` read every resource of the scope.

SQLite reads it with a key range; PostgreSQL's LIKE uses the index through ``text_pattern_ops`` (a LIKE
prefix match cannot use an index of the database's collation).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ["account", "region", "service", "key"]


def upgrade() -> None:
    op.create_index("ix_resources_key", "resources", COLUMNS, if_not_exists=True,  # a file create_all made has it
                    postgresql_ops={"key": "text_pattern_ops"})


def downgrade() -> None:
    op.drop_index("ix_resources_key", "resources")
