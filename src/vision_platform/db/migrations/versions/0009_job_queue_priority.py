"""the job queue: priority, named queue, time queued, why it waits, preemptor, last checkpoint

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("priority", sa.String(10), {"nullable": False, "server_default": "normal"}),
    ("queue", sa.String(100), {"nullable": True}),
    ("queued_at", sa.DateTime(timezone=True), {"nullable": True}),
    ("queue_reason", sa.String(500), {"nullable": True}),
    ("preempted_by", sa.Integer(), {"nullable": True}),
    ("last_checkpoint_at", sa.DateTime(timezone=True), {"nullable": True}),
)


def upgrade() -> None:
    with op.batch_alter_table("training_jobs") as batch:
        for name, kind, options in _COLUMNS:
            batch.add_column(sa.Column(name, kind, **options))


def downgrade() -> None:
    with op.batch_alter_table("training_jobs") as batch:
        for name, _, _ in reversed(_COLUMNS):
            batch.drop_column(name)
