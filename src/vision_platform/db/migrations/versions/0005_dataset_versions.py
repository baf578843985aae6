"""data set versions, and the data set version a job names

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("task_type", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("num_images", sa.Integer(), nullable=False),
        sa.Column("num_classes", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("uri", sa.String(length=2000), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
    )
    op.create_index(
        "ix_dataset_versions_name_created_at", "dataset_versions", ["name", "created_at"]
    )
    # A plain ADD COLUMN (no table rebuild on SQLite); older jobs named a path only.
    op.add_column("training_jobs", sa.Column("dataset_ref", sa.String(length=100), nullable=True))
    op.create_index("ix_training_jobs_dataset_ref", "training_jobs", ["dataset_ref"])


def downgrade() -> None:
    op.drop_index("ix_training_jobs_dataset_ref", table_name="training_jobs")
    op.drop_column("training_jobs", "dataset_ref")
    op.drop_index("ix_dataset_versions_name_created_at", table_name="dataset_versions")
    op.drop_table("dataset_versions")
