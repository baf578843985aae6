"""The scheduler lease: one leader among servers, take-over after it dies, and fencing of a
leader that was paused past its lease and woke up (SQLite and PostgreSQL)."""

from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.unit.jobs.conftest import NewJob
from vision_platform.db.models import JobAttempt, SchedulerLease
from vision_platform.db.session import Database
from vision_platform.jobs.errors import FencedOutError
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.jobs.leader import LEASE, LeaderLease
from vision_platform.jobs.scheduler import Scheduler
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


def expire(db: Database) -> None:
    """What a leader's death (or a long pause) looks like to the others: its lease runs out."""
    with db.session() as session:
        session.execute(update(SchedulerLease).values(expires_at=0.0))


def test_one_holder_at_a_time_and_a_new_epoch_with_each(service: JobService) -> None:
    a = LeaderLease(service.db, holder="a:h:1:1", seconds=60)
    b = LeaderLease(service.db, holder="b:h:2:2", seconds=60)
    first = a.hold()
    assert first is not None and b.hold() is None
    assert a.hold() == first  # renewing keeps the epoch
    a.release()
    taken = b.hold()
    assert taken is not None and taken.epoch == first.epoch + 1
    assert a.hold() is None


def test_an_expired_lease_is_taken_and_its_old_holder_learns_it(service: JobService) -> None:
    a = LeaderLease(service.db, holder="a:h:1:1", seconds=60)
    b = LeaderLease(service.db, holder="b:h:2:2", seconds=60)
    assert a.hold() is not None
    expire(service.db)
    assert b.hold() is not None
    assert a.verify() is None


def test_the_lease_of_a_dead_process_of_this_machine_is_taken_at_once(
    service: JobService,
) -> None:
    def held_by(holder: str) -> None:
        with service.db.session() as session:
            session.execute(update(SchedulerLease).values(holder=holder, expires_at=1e12))

    candidate = LeaderLease(service.db, holder="new:h:3:3", seconds=60)
    held_by("x:other-host:999999999:1")
    assert candidate.hold() is None  # another machine's: its process may live, wait it out
    held_by(f"old:{socket.gethostname()}:999999999:12345")  # no such pid here
    assert candidate.hold() is not None


@dataclass
class Trainers:
    """The machine the fake executors share: which trainers live, and any job run twice."""

    live: dict[str, int] = field(default_factory=dict)  # handle → job id
    exit_codes: dict[str, int] = field(default_factory=dict)
    started: Counter[tuple[int, int]] = field(default_factory=Counter)
    doubled: list[int] = field(default_factory=list)


class FakeExecutor(Executor):
    """Knows only the trainers it started itself, like a LocalExecutor in another process."""

    def __init__(self, name: str, trainers: Trainers) -> None:
        self.name, self.trainers, self.mine = name, trainers, set[str]()

    def submit(self, request: ExecutionRequest) -> str:
        if request.job_id in self.trainers.live.values():
            self.trainers.doubled.append(request.job_id)
        handle = f"{self.name}:{request.job_id}:{request.attempt}"
        self.trainers.live[handle] = request.job_id
        self.trainers.started[(request.job_id, request.attempt)] += 1
        self.mine.add(handle)
        return handle

    def status(self, handle: str) -> ExecutionState:
        if handle not in self.mine:
            return ExecutionState(running=False, lost=True)
        if handle in self.trainers.live:
            return ExecutionState(running=True)
        return ExecutionState(running=False, exit_code=self.trainers.exit_codes.get(handle, 75))

    def logs(self, handle: str, *, tail: int = 200) -> list[str]:
        return []

    def stop(self, handle: str) -> None:
        self.trainers.live.pop(handle, None)

    def cancel(self, handle: str, *, grace_seconds: float) -> None:
        self.trainers.live.pop(handle, None)

    def release(self, handle: str, *, grace_seconds: float) -> None:
        self.trainers.live.pop(handle, None)


def scheduler(service: JobService, name: str, trainers: Trainers) -> Scheduler:
    return Scheduler(
        service=JobService(Database(service.db.url), service.settings),  # like another process
        executor=FakeExecutor(name, trainers),
        settings=service.settings,
        scheduler_id=name,
    )


def attempts(service: JobService, job_id: int) -> list[tuple[int, str | None, str | None]]:
    with service.db.session() as session:
        found = session.execute(
            select(JobAttempt.number, JobAttempt.outcome, JobAttempt.executor_handle)
            .where(JobAttempt.job_id == job_id)
            .order_by(JobAttempt.number)
        ).all()
    return [(r[0], r[1], r[2]) for r in found]


def test_a_new_leader_takes_over_and_a_woken_old_one_changes_nothing(
    service: JobService, new_job: NewJob
) -> None:
    trainers = Trainers()
    a, b = scheduler(service, "a", trainers), scheduler(service, "b", trainers)
    job = new_job()
    a.tick()
    b.tick()  # a leads: b does nothing
    assert trainers.started == {(job.id, 1): 1}

    expire(service.db)  # a is paused (or dead) past its lease
    b.tick()
    assert trainers.live == {f"b:{job.id}:2": job.id}  # a's trainer was ended first
    stale = a.lease.fence
    assert stale is not None  # a has not noticed yet

    a.tick()  # a wakes up: its first write is fenced out, so it touches nothing
    assert a.lease.fence is None
    assert trainers.live == {f"b:{job.id}:2": job.id}
    assert service.claim(scheduler_id=a.id, limit=5, fence=stale) == []
    for write in (
        lambda: service.finish_attempt(job.id, 2, exit_code=0, log_tail=[], fence=stale),
        lambda: service.requeue_lost(job.id, 2, "stale", fence=stale),
        lambda: service.set_handle(job.id, 2, "a:stale", fence=stale),
        lambda: service.adopt(job.id, 2, fence=stale),
    ):
        with pytest.raises(FencedOutError):
            write()

    trainers.live.clear()
    trainers.exit_codes[f"b:{job.id}:2"] = 0
    b.tick()
    assert service.get(job.id).status == JobStatus.COMPLETED
    assert attempts(service, job.id) == [
        (1, "lost", f"a:{job.id}:1"),
        (2, "completed", f"b:{job.id}:2"),
    ]
    assert max(trainers.started.values()) == 1 and not trainers.doubled
    assert "interrupted (the server restarted)" in " ".join(
        line.message for line in service.logs(job.id).items
    )
    for s in (a, b):
        s.service.db.dispose()


def test_a_leader_that_lost_and_retook_the_lease_adopts_its_own_trainers(
    service: JobService, new_job: NewJob
) -> None:
    trainers = Trainers()
    a = scheduler(service, "a", trainers)
    job = new_job()
    a.tick()
    expire(service.db)
    assert a.lease.verify() is not None  # nobody took it: renewing works and the epoch stays
    with service.db.session() as session:
        session.execute(update(SchedulerLease).values(holder=None))  # given up, then retaken
    a.lease.verify()
    a.tick()
    assert a.lease.fence is not None and a.lease.fence.epoch == 2
    assert trainers.started == {(job.id, 1): 1}  # the trainer runs on: no second attempt
    assert service.running()[0].lease_epoch == 2
    a.service.db.dispose()


def test_a_clean_shutdown_hands_the_lease_over_at_once(
    service: JobService, new_job: NewJob, tmp_path: Path
) -> None:
    trainers = Trainers()
    a, b = scheduler(service, "a", trainers), scheduler(service, "b", trainers)
    job = new_job()
    a.tick()
    a.shutdown()  # stops its trainer (exit 75 from stop) and requeues the job
    assert service.get(job.id).status == JobStatus.PENDING
    b.tick()
    assert b.lease.fence is not None
    assert trainers.started == {(job.id, 1): 1, (job.id, 2): 1}
    with service.db.session() as session:
        holder = session.scalar(select(SchedulerLease.holder).where(SchedulerLease.name == LEASE))
    assert holder == b.id
    for s in (a, b):
        s.service.db.dispose()


def test_an_api_only_server_never_takes_the_lease(service: JobService, new_job: NewJob) -> None:
    trainers = Trainers()
    api_only = Scheduler(
        service=service,
        executor=FakeExecutor("api", trainers),
        settings=service.settings.model_copy(update={"max_concurrent_jobs": 0}),
    )
    new_job()
    api_only.tick()
    assert api_only.lease.fence is None and not trainers.started
    runner = scheduler(service, "runner", trainers)
    runner.tick()  # the one with slots leads at once
    assert runner.lease.fence is not None and len(trainers.started) == 1
    runner.service.db.dispose()
