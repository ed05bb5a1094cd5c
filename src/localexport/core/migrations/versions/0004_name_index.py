"""Lookups by name among many siblings (a bot by its name among thousands, an intent in a big locale):
an index that ends with the name, where the parent's index left SQLite to read every sibling.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ["account", "region", "service", "kind", "parent", "name"]


def upgrade() -> None:
    op.create_index("ix_resources_name", "resources", COLUMNS, if_not_exists=True)  # a file create_all made has it


def downgrade() -> None:
    op.drop_index("ix_resources_name", "resources")
