"""The jobs service on SQLite and PostgreSQL: its schema, migrated and compared to the models."""

from __future__ import annotations

from vision_platform.jobs.service import JobService


def test_migrations_run_twice_without_harm(service: JobService) -> None:
    service.db.migrate()
    assert service.list_jobs().total == 0


def test_the_migrated_schema_matches_the_models(service: JobService) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vision_platform.db.models import Base

    with service.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
