"""The tables as they were before the schema was versioned (``metadata.create_all``).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("account", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("service", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("parent", sa.String(512)),
        sa.Column("name", sa.String(256)),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_resources_parent", "resources", ["account", "region", "service", "kind", "parent"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON),
        sa.Column("failure", sa.JSON),
        sa.Column("artifact", sa.String(1024)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_jobs_scope", "jobs", ["account", "region", "service", "kind"])
    op.create_index("ix_jobs_state", "jobs", ["state"])
    op.create_index("ix_jobs_created", "jobs", ["account", "region", "service", "kind", "created_at"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("resources")
