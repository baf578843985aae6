"""batch inference jobs: a job kind, its spec and its progress

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 17:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("kind", "batch_spec", "source_job_id", "items_done", "items_total")


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild on SQLite); existing rows stay training jobs.
    op.add_column(
        "training_jobs",
        sa.Column("kind", sa.String(length=20), server_default="train", nullable=False),
    )
    op.add_column(
        "training_jobs",
        sa.Column(
            "batch_spec",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )
    op.add_column("training_jobs", sa.Column("source_job_id", sa.Integer(), nullable=True))
    op.add_column(
        "training_jobs",
        sa.Column("items_done", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("training_jobs", sa.Column("items_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("training_jobs", name)
