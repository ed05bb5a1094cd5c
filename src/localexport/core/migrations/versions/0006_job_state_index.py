"""A scope's jobs of one kind in some states (``Store.jobs(scope, kind, states=...)``: the unfinished imports a
ListBots shows, the running jobs a quota counts) read through an index on the state, where the index on the
creation time read every job of that kind the scope ever ran: 2 ms a ListBots after 10,000 imports.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ["account", "region", "service", "kind", "state"]


def upgrade() -> None:
    op.create_index("ix_jobs_scope_state", "jobs", COLUMNS, if_not_exists=True)  # (a file create_all made has it)


def downgrade() -> None:
    op.drop_index("ix_jobs_scope_state", "jobs")
