"""The jobs service on SQLite and PostgreSQL: its schema, migrated and compared to the models."""

from __future__ import annotations

import threading

from vision_platform.db.session import Database
from vision_platform.jobs.service import JobService


def test_migrations_run_twice_without_harm(service: JobService) -> None:
    service.db.migrate()
    assert service.list_jobs().total == 0


def test_servers_starting_together_migrate_one_at_a_time(database_url: str) -> None:
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


def test_the_migrated_schema_matches_the_models(service: JobService) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vision_platform.db.models import Base

    with service.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
