"""Alembic environment: runs on the connection the platform hands over, or on VP_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from vision_platform.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from vision_platform.db.session import make_engine
        from vision_platform.settings import get_settings

        engine = make_engine(get_settings().sqlalchemy_url)
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=target_metadata)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
