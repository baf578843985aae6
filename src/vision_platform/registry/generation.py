"""The registry's generation: a counter that every registry write bumps in its own transaction,
so that a server may keep what refs resolve to until the counter moves.

A prediction by name reads the generation (one primary-key read on a connection kept for it:
a few microseconds on SQLite) instead of resolving its ref (a join, through the pool and the
ORM's statement machinery: ~0.1 ms, more on PostgreSQL). An alias moved by any process of any
server bumps the generation when it commits, so the very next prediction anywhere reads the
new generation and resolves the ref again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from vision_platform.db.models import RegistryGeneration
from vision_platform.db.session import Database

log = logging.getLogger(__name__)
_ROW = 1
_READ = f"SELECT generation FROM registry_generation WHERE id = {_ROW}"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def bump(session: Session) -> None:
    """Count a registry write: part of `session`'s transaction, seen once it commits."""
    session.execute(
        update(RegistryGeneration)
        .where(RegistryGeneration.id == _ROW)
        .values(generation=RegistryGeneration.generation + 1)
    )


class GenerationWatch:
    """Reads the generation on one database connection of its own (in autocommit: every read
    sees what has committed), one thread at a time.

    `read()` gives None when the connection fails; the caller then resolves the slow way, whose
    error (a database that went away) reaches the request as any other query's would."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._connection: Any = None  # the pool's proxy of a DB-API connection, held

    def read(self) -> int | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self._connect()
                cursor = self._connection.cursor()
                try:
                    cursor.execute(_READ)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            except Exception as e:
                log.debug("registry generation unreadable (%s): resolving without it", e)
                self._drop()
                return None
            return int(row[0]) if row is not None else None

    def _connect(self) -> Any:
        connection = self._db.engine.raw_connection()
        driver: Any = connection.driver_connection
        if self._db.dialect == "sqlite":
            driver.isolation_level = None  # no transaction is left open between reads
        else:
            driver.autocommit = True
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                # Never back into the pool: its autocommit setting would go with it.
                connection.invalidate()
            except Exception:
                log.debug("closing the registry generation's connection failed", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._drop()


class GenerationCache(Generic[K, V]):
    """Values (what refs resolve to) valid for one generation: a newer generation empties it.

    A value is stored under the generation read *before* it was looked up, so a write that
    commits in between makes it stale at once (the next read sees a newer generation)."""

    def __init__(self, max_items: int = 1024) -> None:
        self.max_items = max_items
        self._generation: int | None = None
        self._items: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, generation: int) -> V | None:
        with self._lock:
            self._advance(generation)
            if generation != self._generation:
                return None  # a read older than the cache's: look it up
            return self._items.get(key)

    def put(self, key: K, generation: int, value: V) -> None:
        with self._lock:
            self._advance(generation)
            if generation == self._generation and len(self._items) < self.max_items:
                self._items[key] = value

    def _advance(self, generation: int) -> None:
        if self._generation is None or generation > self._generation:
            self._generation = generation
            self._items = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
