"""The database engine and sessions, built on demand (never at import), and migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock that lets one server at a time migrate (any fixed number).
_MIGRATION_LOCK = 0x76705F6D  # "vp_m"
# PostgreSQL connections a server's pool keeps, and how many more it opens (and closes again)
# at busy times. The hot reads run at most POOL_SIZE at once (`Database.read_slots`), so that
# they never wait for, nor open and close, a connection of their own.
POOL_SIZE = 10
MAX_OVERFLOW = 20
# Set while `Database.read` takes a connection from the pool: it is not pinged first.
_UNPINGED: ContextVar[bool] = ContextVar("vp_unpinged", default=False)


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
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    event.listen(engine, "checkout", _pinger(engine))
    return engine


def _pinger(engine: Engine) -> Any:
    """SQLAlchemy's `pool_pre_ping`, but for the hot reads (`Database.read`): a connection is
    checked (a round trip) before a transaction uses it, so that the pool reconnects after a
    server restart or a terminated backend. A hot read is not checked: it would double its
    round trips, and the one whose connection turns out dropped is run again on a fresh one
    (api/reconnect.py), the pool invalidated by the error."""
    dialect = engine.dialect

    def ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if _UNPINGED.get():
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as e:
            if dialect.is_disconnect(e, dbapi_connection, None):
                raise InvalidatePoolError(f"ping before use failed: {e}") from e  # reconnects
            raise

    return ping


def is_disconnect(error: BaseException) -> bool:
    """Whether `error` is the database connection going away under a transaction (a server
    restart, a terminated backend): the transaction was rolled back, and the pool, invalidated
    by the error, connects anew for the next one."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Database:
    """One engine and its session factory; `session()` is a transaction that commits on exit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Plain reads need no transaction: on PostgreSQL, autocommit spares each one's BEGIN
        # and ROLLBACK (two round trips of three). On SQLite a read never sends one.
        self._reads = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def read_slots(self) -> int:
        """How many hot reads may run at once (in worker threads, each on a connection)."""
        return POOL_SIZE

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for plain reads (the hot routes), without the ORM session's bookkeeping,
        a transaction or a ping: each statement is one round trip, and sees what was committed
        when it ran. A caller outside an HTTP request handles a dropped connection itself."""
        unpinged = _UNPINGED.set(True)
        try:
            connection = self._reads.connect()
        finally:
            _UNPINGED.reset(unpinged)
        with connection:
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
