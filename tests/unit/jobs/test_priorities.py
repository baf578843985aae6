"""Priorities and preemption in the jobs service, on each database: the claim order, queue
limits, a preemption that is not a failure and shows in the attempts, priority changes."""

from __future__ import annotations

import pytest

from tests.unit.jobs.conftest import NewJob, claim_one
from vision_platform.db.models import JobAttempt
from vision_platform.errors import EXIT_RESUMABLE, InvalidInputError
from vision_platform.jobs.errors import InvalidJobStateError
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.jobs.scheduler import Scheduler
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


def one_slot(service: JobService, **changes: object) -> JobService:
    """The service with other settings (one slot unless told; queues), for every context."""
    for name, value in {"max_concurrent_jobs": 1, **changes}.items():
        setattr(service.settings, name, value)
    return service


def test_claims_follow_priority_then_age(service: JobService, new_job: NewJob) -> None:
    low, normal, high, high2 = (new_job(priority=p) for p in ("low", "normal", "high", "high"))
    claimed = [c.job_id for c in service.claim(scheduler_id="s", limit=4)]
    assert claimed == [high.id, high2.id, normal.id, low.id]


def test_a_queue_runs_no_more_than_its_limit(service: JobService, new_job: NewJob) -> None:
    queued = one_slot(service, queues="research=1,prod=2", max_concurrent_jobs=4)
    first, second = new_job(queue="research"), new_job(queue="research")
    other = new_job(queue="prod")
    assert [c.job_id for c in queued.claim(scheduler_id="s", limit=4)] == [first.id, other.id]
    view = queued.queue_view()
    assert [j.id for j in view.waiting] == [second.id]
    assert view.waiting[0].reason == "next in queue research, which is full (1/1 running)"
    assert [(q.name, q.limit, q.running, q.waiting) for q in view.queues] == [
        ("research", 1, 1, 1),
        ("prod", 2, 1, 0),
    ]


def test_an_unknown_queue_is_refused_naming_the_known_ones(
    service: JobService, new_job: NewJob
) -> None:
    with pytest.raises(InvalidInputError, match="queue: unknown queue 'x'"):
        new_job(queue="x")
    one_slot(service, queues="research=2")
    with pytest.raises(InvalidInputError, match="Valid: research"):
        new_job(queue="reserch")


def test_a_high_job_preempts_the_low_one_without_using_its_retries(
    service: JobService, new_job: NewJob
) -> None:
    slot = one_slot(service)
    low = new_job(priority="low", num_epochs=20)
    first = claim_one(slot)
    assert slot.preempt() is None  # nothing waits
    high = new_job(priority="high")
    assert slot.claim(scheduler_id="s", limit=0) == []  # the slot is taken
    assert slot.preempt() == low.id
    assert slot.preempt() is None  # one preemption at a time
    (running,) = slot.running()
    assert running.requested is not None and running.requested.value == "preempt"

    decision = slot.finish_attempt(low.id, first.attempt, exit_code=EXIT_RESUMABLE, log_tail=[])
    assert (decision.status, decision.outcome) == (JobStatus.PENDING, "preempted")
    back = slot.get_doc(low.id, with_standing=True)
    assert back["failure_count"] == 0 and back["stage_count"] == 0
    assert back["waiting_reason"].startswith(f"preempted by job {high.id} at epoch 0;")
    assert back["queue_position"] == 2

    assert claim_one(slot).job_id == high.id
    slot.finish_attempt(high.id, 1, exit_code=0, log_tail=[])
    again = claim_one(slot)
    assert (again.job_id, again.reason, again.spec.resume) == (low.id, "resume", True)
    with slot.db.session() as session:
        outcomes = [
            (a.number, a.reason, a.outcome)
            for a in session.query(JobAttempt).filter_by(job_id=low.id).order_by(JobAttempt.number)
        ]
    assert outcomes == [(1, "start", "preempted"), (2, "resume", None)]
    messages = [line.message for line in slot.logs(low.id).items]
    assert any(m.startswith(f"Preempted by job {high.id}") for m in messages)


def test_a_pause_wins_over_a_preemption(service: JobService, new_job: NewJob) -> None:
    slot = one_slot(service)
    low = new_job(priority="low")
    claim = claim_one(slot)
    new_job(priority="high")
    assert slot.preempt() == low.id
    assert slot.pause(low.id).requested_action == "pause"
    slot.finish_attempt(low.id, claim.attempt, exit_code=EXIT_RESUMABLE, log_tail=[])
    assert slot.get(low.id).status is JobStatus.PAUSED


def test_priority_changes_while_waiting_or_running_not_after(
    service: JobService, new_job: NewJob
) -> None:
    slot = one_slot(service)
    running, waiting = new_job(), new_job(priority="low")
    claim_one(slot)
    assert slot.preempt() is None
    assert slot.set_priority(waiting.id, "high").priority == "high"
    assert slot.preempt() == running.id  # raised above the running one: it preempts
    done = new_job()
    slot.cancel(done.id)
    with pytest.raises(InvalidJobStateError, match="cancelled"):
        slot.set_priority(done.id, "high")


class HeldExecutor(Executor):
    """Trainers that run until stopped, then exit 75 (they save on SIGTERM)."""

    def __init__(self) -> None:
        self.stopped: list[str] = []

    def submit(self, request: ExecutionRequest) -> str:
        return f"held:{request.job_id}:{request.priority}"

    def status(self, handle: str) -> ExecutionState:
        if handle in self.stopped:
            return ExecutionState(running=False, exit_code=EXIT_RESUMABLE)
        return ExecutionState(running=True)

    def logs(self, handle: str, *, tail: int = 200) -> list[str]:
        return []

    def stop(self, handle: str) -> None:
        self.stopped.append(handle)

    def cancel(self, handle: str, *, grace_seconds: float) -> None: ...

    def release(self, handle: str, *, grace_seconds: float) -> None: ...


def test_the_scheduler_stops_the_victim_in_the_round_it_preempts(
    service: JobService, new_job: NewJob
) -> None:
    executor = HeldExecutor()
    scheduler = Scheduler(service=one_slot(service), executor=executor, settings=service.settings)
    low = new_job(priority="low")
    scheduler.tick()
    high = new_job(priority="high")
    scheduler.tick()  # preempts, and signals the trainer at once
    assert executor.stopped == [f"held:{low.id}:low"]
    scheduler.tick()  # the victim has exited: back in the queue; the high job starts
    assert [(r.job_id, r.handle) for r in service.running()] == [(high.id, f"held:{high.id}:high")]
    assert service.get(low.id).status is JobStatus.PENDING


def test_a_job_held_by_its_queue_limit_lets_the_next_one_preempt(
    service: JobService, new_job: NewJob
) -> None:
    slot = one_slot(service, queues="research=1,prod=2", max_concurrent_jobs=2)
    new_job(queue="research", priority="high")
    prod_low = new_job(queue="prod", priority="low")
    slot.claim(scheduler_id="s", limit=2)
    # First in line, but only a research job could free its way, and none is of lower priority.
    held = new_job(queue="research", priority="high")
    urgent = new_job(queue="prod", priority="high")
    assert [w.id for w in slot.queue_view().waiting] == [held.id, urgent.id]
    assert slot.preempt() == prod_low.id
    assert slot.get(prod_low.id).requested_action == "preempt"


def test_standings_are_worked_out_again_only_when_the_queue_changes(
    service: JobService, new_job: NewJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A waiting job's place (GET /jobs/{id}) is kept while no waiting or running job changes:
    a long queue is read and ordered once, not on every request."""
    reader = service.queries.queue
    work_outs = []
    work_out = reader._work_out
    monkeypatch.setattr(reader, "_work_out", lambda: work_outs.append(1) or work_out())
    first, second = new_job(), new_job()
    assert service.get_doc(second.id, with_standing=True)["queue_position"] == 2
    assert service.get_doc(first.id, with_standing=True)["queue_position"] == 1
    assert len(work_outs) == 1
    service.set_priority(second.id, "high")
    assert service.get_doc(second.id, with_standing=True)["queue_position"] == 1
    third = new_job(priority="high")
    assert service.get_doc(third.id, with_standing=True)["queue_position"] == 2
    assert len(work_outs) == 3
