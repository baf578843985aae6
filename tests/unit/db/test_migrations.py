"""The database schema on SQLite and PostgreSQL: migrated (twice), compared to the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.integration.fixtures import database_url  # noqa: F401
from vision_platform.db.models import Base, TrainingJob
from vision_platform.db.session import Database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:  # noqa: F811
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def test_migrations_run_twice_without_harm(db: Database) -> None:
    db.migrate()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingJob)) == 0


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
