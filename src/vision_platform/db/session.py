"""The database engine and sessions, built on demand (never at import), and migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock that lets one server at a time migrate (any fixed number).
_MIGRATION_LOCK = 0x76705F6D  # "vp_m"


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets the API read while the scheduler writes; the busy timeout waits out a writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite (file, WAL) or PostgreSQL through psycopg 3."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_disconnect(error: BaseException) -> bool:
    """Whether `error` is the database connection going away under a transaction (a server
    restart, a terminated backend): the transaction was rolled back, and the pool connects anew
    (pool_pre_ping) for the next one."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Database:
    """One engine and its session factory; `session()` is a transaction that commits on exit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for plain reads, without the ORM session's bookkeeping (hot routes)."""
        with self.engine.connect() as connection:
            yield connection

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (what every start does).

        Servers starting together (replicas, uvicorn workers) take turns: the first migrates,
        the others wait for it and then find nothing left to do."""
        from alembic import command

        with self._sqlite_file_lock(), self.engine.begin() as connection:
            if self.dialect == "postgresql":
                # Held until this transaction (and so the migration) commits.
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": _MIGRATION_LOCK})
            command.upgrade(alembic_config(connection), "head")

    @contextmanager
    def _sqlite_file_lock(self) -> Iterator[None]:
        database = make_url(self.url).database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield

    def schema_is_current(self) -> bool:
        """Whether the database answers and its schema is this code's newest revision (what a
        readiness probe asks: not while a migration runs, nor under a newer server's schema)."""
        with self.engine.connect() as connection:
            return _current_revisions(connection) == _head_revisions()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(connection: Any = None) -> Any:
    """The Alembic config of the packaged migrations (usable by an installed package)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _current_revisions(connection: Connection) -> frozenset[str]:
    from alembic.migration import MigrationContext

    return frozenset(MigrationContext.configure(connection).get_current_heads())


@lru_cache(maxsize=1)
def _head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
