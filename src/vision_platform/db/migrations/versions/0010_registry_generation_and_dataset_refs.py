"""the registry: versions record a stored data set's name@version; register_as is settled once
(registered, or given up for good) so that a restart registers what a crash left undone; the
registry's generation (bumped by every registry write) for by-name predictions to cache refs

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_PENDING = "status = 'completed' AND register_as IS NOT NULL AND register_settled_at IS NULL"


def upgrade() -> None:
    generation = op.create_table(
        "registry_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The one row exists from the start: a registry write is always an UPDATE of it.
    op.bulk_insert(generation, [{"id": 1, "generation": 1}])
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("dataset_ref", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE model_versions SET dataset_ref = (SELECT training_jobs.dataset_ref FROM "
        "training_jobs WHERE training_jobs.id = model_versions.job_id)"
    )
    with op.batch_alter_table("training_jobs") as batch:
        batch.add_column(
            sa.Column("register_settled_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Completed jobs were handled when they completed (registered, or their log says why not):
    # never register them again (a version the user has deleted since must stay deleted).
    op.execute(
        "UPDATE training_jobs SET register_settled_at = updated_at WHERE status = 'completed' "
        "AND register_as IS NOT NULL"
    )
    op.create_index(
        "ix_training_jobs_register_pending",
        "training_jobs",
        ["id"],
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_training_jobs_register_pending", table_name="training_jobs")
    with op.batch_alter_table("training_jobs") as batch:
        batch.drop_column("register_settled_at")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("dataset_ref")
    op.drop_table("registry_generation")
