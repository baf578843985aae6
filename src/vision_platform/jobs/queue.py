"""The queue's policy, on plain values: the order waiting jobs start in (priority, then age,
with aging), the per-queue limits, which running job a preemption costs least, and the words
that tell a waiting user why it waits.

The database side (reading the queue, claiming, asking a trainer to stop) is `queue_rows.py`
and `attempts.py`; nothing here reads or writes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import get_args

from vision_platform.configs import Priority

PRIORITIES: tuple[str, ...] = get_args(Priority)  # low, normal, high: lowest first
RANK = {name: i for i, name in enumerate(PRIORITIES)}
TOP_RANK = len(PRIORITIES) - 1


@dataclass(frozen=True)
class Waiting:
    """A pending job as the queue sees it; `reason` says why it is back (a preemption)."""

    job_id: int
    priority: str
    queue: str | None
    queued_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Runner:
    """A running job as preemption sees it: `since` is its last checkpoint or its attempt's
    start, whichever is later (what stopping it now would lose is the time since)."""

    job_id: int
    priority: str
    queue: str | None
    since: datetime
    requested: str | None = None
    preempted_by: int | None = None


def rank(job: Waiting, now: datetime, aging_seconds: float) -> float:
    """The job's own priority, raised by one level per `aging_seconds` waited, up to high."""
    waited = max(0.0, (now - job.queued_at).total_seconds())
    return min(float(TOP_RANK), RANK.get(job.priority, 1) + waited / aging_seconds)


def order(waiting: list[Waiting], now: datetime, aging_seconds: float) -> list[Waiting]:
    """The order jobs start in: highest rank first, then the longest waiting (FIFO)."""
    return sorted(waiting, key=lambda w: (-rank(w, now, aging_seconds), w.queued_at, w.job_id))


@dataclass
class Plan:
    """What a round can start now, and why each other waiting job waits ("slots": every
    slot is taken; "queue": its queue is at its limit)."""

    start: list[Waiting] = field(default_factory=list)
    blocked: list[tuple[Waiting, str]] = field(default_factory=list)


def plan(
    ordered: list[Waiting],
    running: list[Runner],
    *,
    free: int,
    limits: dict[str, int],
) -> Plan:
    """Walk the queue in order and fill the `free` slots, within each queue's limit."""
    busy = Counter(r.queue for r in running)
    result = Plan()
    for job in ordered:
        limit = limits.get(job.queue or "")
        if limit is not None and busy[job.queue] >= limit:
            result.blocked.append((job, "queue"))  # only a job of its queue frees its way
        elif free <= 0:
            result.blocked.append((job, "slots"))
        else:
            result.start.append(job)
            busy[job.queue] += 1
            free -= 1
    return result


def victim(waiter: Waiting, why: str, running: list[Runner], now: datetime) -> Runner | None:
    """The running job to preempt for `waiter`, or None: one of lower priority (its own, not
    aged) that loses least, in `waiter`'s queue when that queue's limit is what blocks it.

    A preemption already asked for (or a pause or cancel) frees a slot soon: none is added."""
    if any(r.requested is not None for r in running):
        return None
    candidates = [
        r
        for r in running
        if RANK.get(r.priority, 1) < RANK.get(waiter.priority, 1)
        and (why != "queue" or r.queue == waiter.queue)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (now - r.since, RANK.get(r.priority, 1), -r.job_id))


@dataclass(frozen=True)
class Standing:
    """Where a waiting job stands: its place (1 = next) and why it waits, in words."""

    position: int
    reason: str


def standings(
    ordered: list[Waiting],
    running: list[Runner],
    *,
    slots: int,
    limits: dict[str, int],
) -> dict[int, Standing]:
    """The place and reason of every waiting job ("2 jobs ahead in queue research",
    "preempted by job 7 at epoch 12; resumes when a slot frees")."""
    busy = Counter(r.queue for r in running)
    ahead: Counter[str | None] = Counter()
    found: dict[int, Standing] = {}
    for position, job in enumerate(ordered, start=1):
        where = f" in queue {job.queue}" if job.queue else ""
        n = ahead[job.queue] if job.queue else position - 1
        words = [job.reason] if job.reason else []
        if n:
            words.append(f"{n} job{'s' if n > 1 else ''} ahead{where}")
        else:
            words.append(_next_words(job, busy, slots, limits, len(running)))
        found[job.job_id] = Standing(position=position, reason="; ".join(words))
        ahead[job.queue] += 1
    return found


def _next_words(
    job: Waiting, busy: Counter[str | None], slots: int, limits: dict[str, int], running: int
) -> str:
    limit = limits.get(job.queue or "")
    if job.queue and limit is not None and busy[job.queue] >= limit:
        return f"next in queue {job.queue}, which is full ({busy[job.queue]}/{limit} running)"
    if slots > 0 and running >= slots:
        return f"next; waits for a free slot ({running}/{slots} running)"
    if slots <= 0 and running:  # an API-only server: the scheduler's slots are not its own
        return f"next; waits for a free slot ({running} running)"
    return "next; starts on the scheduler's next round"
