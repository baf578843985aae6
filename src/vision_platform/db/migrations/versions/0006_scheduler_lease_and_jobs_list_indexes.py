"""the scheduler lease (one scheduler among many servers) and the jobs list's indexes

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LEASE = "scheduler"  # jobs/leader.py: the name of the one lease row


def upgrade() -> None:
    leases = op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # The row exists from the start, so that taking the lease is always a conditional UPDATE.
    op.bulk_insert(leases, [{"name": LEASE, "holder": None, "epoch": 0, "expires_at": 0.0}])
    op.add_column("training_jobs", sa.Column("lease_epoch", sa.Integer(), nullable=True))
    op.create_index("ix_training_jobs_kind_id", "training_jobs", ["kind", "id"])
    op.create_index("ix_training_jobs_kind_status_id", "training_jobs", ["kind", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_training_jobs_kind_status_id", table_name="training_jobs")
    op.drop_index("ix_training_jobs_kind_id", table_name="training_jobs")
    op.drop_column("training_jobs", "lease_epoch")
    op.drop_table("scheduler_leases")
