"""The queue as the database holds it: the waiting and running jobs the policy of `queue.py`
works on, and the scheduler's write of a preemption."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, and_, select, update
from sqlalchemy.orm import Session

from vision_platform.db.models import JobAttempt, TrainingJob, utcnow
from vision_platform.jobs import rows
from vision_platform.jobs.queue import Runner, Waiting
from vision_platform.jobs.states import JobStatus, StopRequest

if TYPE_CHECKING:
    from vision_platform.jobs.leader import Fence


def waiting(session: Session, *, lock: bool = False) -> list[Waiting]:
    """The pending jobs; `lock` (PostgreSQL) holds them, skipping those another holds."""
    query = select(
        TrainingJob.id,
        TrainingJob.priority,
        TrainingJob.queue,
        TrainingJob.queued_at,
        TrainingJob.created_at,
        TrainingJob.queue_reason,
    ).where(TrainingJob.status == JobStatus.PENDING.value)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [
        Waiting(job_id=r[0], priority=r[1], queue=r[2], queued_at=r[3] or r[4], reason=r[5])
        for r in session.execute(query).all()
    ]


def running(session: Session) -> list[Runner]:
    """The running jobs, each with when its work was last saved (or its attempt started)."""
    attempt = and_(
        JobAttempt.job_id == TrainingJob.id, JobAttempt.number == TrainingJob.attempt_count
    )
    query = (
        select(
            TrainingJob.id,
            TrainingJob.priority,
            TrainingJob.queue,
            TrainingJob.last_checkpoint_at,
            JobAttempt.started_at,
            TrainingJob.requested_action,
            TrainingJob.preempted_by,
        )
        .outerjoin(JobAttempt, attempt)
        .where(TrainingJob.status == JobStatus.RUNNING.value)
    )
    found = []
    for r in session.execute(query).all():
        times = [t for t in (r[3], r[4]) if t is not None]
        found.append(
            Runner(
                job_id=r[0],
                priority=r[1],
                queue=r[2],
                since=max(times) if times else utcnow(),
                requested=r[5],
                preempted_by=r[6],
            )
        )
    return found


def request_preemption(
    session: Session, victim: Runner, by_job: int, *, fence: Fence | None
) -> bool:
    """Ask a running job's trainer to save and stop for job `by_job`; False when the job has
    moved on or a user asked something of it meanwhile (their request wins)."""
    fenced = [fence.clause(session.get_bind().dialect.name)] if fence is not None else []
    done: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(TrainingJob)
        .where(
            TrainingJob.id == victim.job_id,
            TrainingJob.status == JobStatus.RUNNING.value,
            TrainingJob.requested_action.is_(None),
            *fenced,
        )
        .values(requested_action=StopRequest.PREEMPT.value, preempted_by=by_job)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    job = rows.find_job(session, victim.job_id)
    rows.log(
        session,
        job,
        f"Preempted by job {by_job} (priority higher than {victim.priority}): "
        "the trainer saves and stops; it resumes when a slot frees",
    )
    return True
