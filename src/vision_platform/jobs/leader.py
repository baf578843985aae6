"""The scheduler lease: of all the servers (replicas, uvicorn workers) on one database, exactly
one schedules at a time.

The lease is one row (`scheduler_leases`) with a holder, an expiry by the database's clock and
an epoch that grows each time the lease changes hands. A leader renews it well before it
expires; when the leader dies, another takes it once it has expired (at once when the dead
holder was a process of this machine). The epoch is the fencing token: every write of the
scheduler's (claim, handle, finish, requeue, adopt) checks it in the same UPDATE, so a leader
that was paused past its expiry and wakes up cannot change anything."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, Float, and_, literal_column, or_, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from vision_platform.db.models import SchedulerLease
from vision_platform.db.session import Database
from vision_platform.jobs.processes import alive, this_process

LEASE = "scheduler"
log = logging.getLogger(__name__)


def db_clock(dialect: str) -> ColumnElement[float]:
    """Now, in seconds since the Unix epoch, by the database's clock (servers' clocks may
    differ; the database's is the one all of them read)."""
    if dialect == "postgresql":
        sql = "extract(epoch from clock_timestamp())"
    else:
        sql = "((julianday('now') - 2440587.5) * 86400.0)"
    return literal_column(sql, Float)


def holder_id(name: str) -> str:
    """A name for this process as a lease holder: `name:host:pid:start`."""
    pid, started = this_process()
    return f"{name}:{socket.gethostname()}:{pid}:{started}"


def holder_host(holder: str | None) -> str | None:
    parts = (holder or "").rsplit(":", 3)
    return parts[1] if len(parts) == 4 else None


def _dead_here(holder: str) -> bool:
    """Whether `holder` was a process of this machine that is gone (its lease needs no wait)."""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return False
    return parts[3] != "0" and not alive(int(parts[2]), parts[3])


@dataclass(frozen=True)
class Fence:
    """The lease as one leader held it: what its writes are checked against."""

    holder: str
    epoch: int

    def clause(self, dialect: str) -> ColumnElement[bool]:
        """True while this is still the current lease.

        On PostgreSQL the lease row is also locked FOR SHARE until the write commits, so that
        no other server can take the lease between the check and the commit."""
        query = select(SchedulerLease.name).where(
            SchedulerLease.name == LEASE,
            SchedulerLease.holder == self.holder,
            SchedulerLease.epoch == self.epoch,
        )
        if dialect == "postgresql":
            query = query.with_for_update(read=True)
        return query.exists()


class LeaderLease:
    """Takes, renews and gives back the scheduler lease for one process (thread-safe)."""

    def __init__(self, db: Database, *, holder: str, seconds: float) -> None:
        self.db = db
        self.holder = holder
        self.seconds = seconds
        self._fence: Fence | None = None
        self._renewed = 0.0  # time.monotonic() of the last renewal
        self._lock = threading.Lock()

    @property
    def fence(self) -> Fence | None:
        """The lease as last renewed, or None when another server (or nobody) leads."""
        return self._fence

    def hold(self) -> Fence | None:
        """Renew the lease when it is due, or try to take it; the fence, or None."""
        with self._lock:
            try:
                if self._fence is None:
                    self._fence = self._take()
                    self._renewed = time.monotonic()
                elif time.monotonic() - self._renewed >= self.seconds / 3:
                    self._renew(self._fence)
            except Exception:
                # The database is unreachable: past the expiry another may lead, so stop.
                if time.monotonic() - self._renewed >= self.seconds:
                    self._fence = None
                raise
            return self._fence

    def verify(self) -> Fence | None:
        """Renew now (after a write was fenced out): the fence, or None when it was lost."""
        with self._lock:
            if self._fence is not None:
                self._renew(self._fence)
            return self._fence

    def release(self) -> None:
        """Give the lease back (a clean shutdown): another server can take it at once."""
        with self._lock:
            fence, self._fence = self._fence, None
            if fence is None:
                return
            with self.db.session() as session:
                session.execute(
                    update(SchedulerLease)
                    .where(*self._held_by(fence))
                    .values(holder=None, expires_at=0.0)
                )

    def _take(self) -> Fence | None:
        clock = db_clock(self.db.dialect)
        with self.db.session() as session:
            row = session.execute(
                select(SchedulerLease.holder, SchedulerLease.epoch).where(
                    SchedulerLease.name == LEASE
                )
            ).one()
            holder, epoch = row[0], int(row[1])
            free = or_(SchedulerLease.holder.is_(None), SchedulerLease.expires_at < clock)
            if holder is not None and _dead_here(holder):
                free = true()  # its process is gone: no need to wait out the expiry
            # Compare-and-set on the epoch read: of two servers taking it at once, one wins.
            won: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(SchedulerLease)
                .where(and_(SchedulerLease.name == LEASE, SchedulerLease.epoch == epoch, free))
                .values(holder=self.holder, epoch=epoch + 1, expires_at=clock + self.seconds)
            )
            if won.rowcount != 1:
                return None
        log.info("scheduler lease taken by %s (epoch %s, from %s)", self.holder, epoch + 1, holder)
        return Fence(self.holder, epoch + 1)

    def _renew(self, fence: Fence) -> None:
        clock = db_clock(self.db.dialect)
        with self.db.session() as session:
            kept: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(SchedulerLease)
                .where(*self._held_by(fence))
                .values(expires_at=clock + self.seconds)
            )
        if kept.rowcount == 1:
            self._renewed = time.monotonic()
        else:
            log.warning("scheduler lease lost by %s (epoch %s)", self.holder, fence.epoch)
            self._fence = None

    @staticmethod
    def _held_by(fence: Fence) -> tuple[ColumnElement[bool], ...]:
        return (
            SchedulerLease.name == LEASE,
            SchedulerLease.holder == fence.holder,
            SchedulerLease.epoch == fence.epoch,
        )


def current_leader(db: Database) -> tuple[str | None, int, bool]:
    """The lease's holder, its epoch and whether it is still valid (for /metrics)."""
    clock = db_clock(db.dialect)
    with db.session() as session:
        row = session.execute(
            select(
                SchedulerLease.holder,
                SchedulerLease.epoch,
                SchedulerLease.expires_at >= clock,
            ).where(SchedulerLease.name == LEASE)
        ).one_or_none()
    if row is None:
        return None, 0, False
    return row[0], int(row[1]), bool(row[2]) and row[0] is not None
