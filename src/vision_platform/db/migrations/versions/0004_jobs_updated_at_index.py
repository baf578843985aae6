"""an index for the jobs event stream, which polls for rows written since its last look

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 20:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_training_jobs_kind_updated_at", "training_jobs", ["kind", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_training_jobs_kind_updated_at", table_name="training_jobs")
