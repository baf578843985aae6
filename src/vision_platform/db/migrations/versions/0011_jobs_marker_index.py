"""an index on training_jobs.updated_at alone: the newest write of any job (the jobs table's
marker, which the hot reads keep their totals and the queue's standings under) in one lookup

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_training_jobs_updated_at", "training_jobs", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_training_jobs_updated_at", table_name="training_jobs")
