"""The database schema on SQLite and PostgreSQL: migrated (twice), compared to the models."""

from __future__ import annotations

import threading
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


def test_servers_starting_together_migrate_one_at_a_time(database_url: str) -> None:  # noqa: F811
    """Replicas and uvicorn workers all migrate on start: on an empty database at once."""
    errors: list[BaseException] = []

    def start() -> None:
        db = Database(database_url)
        try:
            db.migrate()
        except BaseException as e:
            errors.append(e)
        finally:
            db.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    db = Database(database_url)
    assert db.schema_is_current()
    db.dispose()


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
