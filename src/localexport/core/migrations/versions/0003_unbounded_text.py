"""Columns of what callers name (regions, resource keys and names, artifact keys) without a length limit.

PostgreSQL enforces VARCHAR lengths where SQLite never did: a QuickSight name may have 2048 characters and a
folder id as many, a region is whatever the request was signed for.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WIDENED = {("resources", "region"): 32, ("resources", "key"): 512, ("resources", "parent"): 512,
           ("resources", "name"): 256, ("jobs", "region"): 32, ("jobs", "artifact"): 1024}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # lengths were never enforced: nothing to change
        return
    for (table, column), length in WIDENED.items():
        op.alter_column(table, column, type_=sa.String(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for (table, column), length in WIDENED.items():
        op.alter_column(table, column, type_=sa.String(length), existing_type=sa.String())
