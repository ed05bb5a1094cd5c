"""What an instance of several processes shares: the test controls' state (``settings``), and on
PostgreSQL the task queue of the workers (Procrastinate's own schema, as the installed version ships it).

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    bind = op.get_bind()
    # (a database that has Procrastinate's schema already, of this pinned version, keeps it)
    if bind.dialect.name == "postgresql" and not sa.inspect(bind).has_table("procrastinate_jobs"):
        from localexport.core.task_queue import schema_sql

        op.execute(sa.text(schema_sql().replace(":", r"\:")))


def downgrade() -> None:
    op.drop_table("settings")
