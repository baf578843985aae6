"""A cheap marker of the jobs table, and values kept while it stands.

Every write of a job sets its `updated_at`, and every new job gets a new id, so the newest of
each (one index lookup apiece, read as two columns of the query a route makes anyway) moves
whenever anything about the jobs changes. What costs a scan of many rows — the total of a
jobs list, the queue's standings — or many rows' conversion — a page's JSON — is worked out
once and kept under the marker it was read with, instead of on every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select

from vision_platform.db.models import TrainingJob
from vision_platform.db.session import Database

T = TypeVar("T")

# The marker's columns, to add to a statement (uncorrelated scalar subqueries: run once each).
CHANGED_AT = "_changed_at"
LAST_ID = "_last_id"
COLUMNS = (
    select(func.max(TrainingJob.updated_at)).scalar_subquery().label(CHANGED_AT),
    select(func.max(TrainingJob.id)).scalar_subquery().label(LAST_ID),
)
MARKER = select(*COLUMNS)

# A write whose transaction commits after one stamped later than it leaves the marker where it
# was: what is kept is worked out again after this long in any case.
RECHECK_SECONDS = 2.0
# A page's body is kept at most this long: the same race leaves it late by no more than this.
PAGE_SECONDS = 1.0
# Keys kept at most (a few kinds and statuses), so that nothing grows without bound.
_MAX_KEYS = 64


def of_row(row: Any) -> tuple[Any, Any]:
    """The marker from a row that has its columns."""
    mapping = row._mapping
    return mapping[CHANGED_AT], mapping[LAST_ID]


def read(db: Database) -> tuple[Any, Any]:
    """The marker now, in a statement of its own (two index lookups)."""
    with db.read() as connection:
        return of_row(connection.execute(MARKER).one())


class Kept(Generic[T]):
    """Values worked out from the jobs table, each kept (by key) while the marker it was read
    with stands, for at most `seconds` (thread-safe: the hot reads run in worker threads)."""

    def __init__(self, seconds: float = RECHECK_SECONDS) -> None:
        self.seconds = seconds
        self._kept: dict[Hashable, tuple[Any, float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, marker: Any) -> T | None:
        with self._lock:
            found = self._kept.get(key)
        if found is None or found[0] != marker or time.monotonic() - found[1] >= self.seconds:
            return None
        return found[2]

    def put(self, key: Hashable, marker: Any, value: T) -> None:
        with self._lock:
            if len(self._kept) >= _MAX_KEYS and key not in self._kept:
                self._kept.clear()
            self._kept[key] = (marker, time.monotonic(), value)
