"""What every part of the jobs service does to a job's rows: find them, move the job's state
and write the platform's log lines about it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from vision_platform.db.models import JobAttempt, LogLine, TrainingJob, utcnow
from vision_platform.jobs.errors import (
    FencedOutError,
    InvalidJobStateError,
    JobNotFoundError,
    JobTokenError,
)
from vision_platform.jobs.mapping import job_out
from vision_platform.jobs.schemas import JobOut
from vision_platform.jobs.states import JobStatus, can_move

if TYPE_CHECKING:
    from vision_platform.jobs.leader import Fence


def find_job(session: Session, job_id: int, *, lock: bool = False) -> TrainingJob:
    """The job's row; `lock` holds it (FOR UPDATE on PostgreSQL; SQLite has one writer anyway)."""
    query = select(TrainingJob).where(TrainingJob.id == job_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    job = session.scalars(query).one_or_none()
    if job is None:
        raise JobNotFoundError(job_id)
    return job


def fenced_update(
    session: Session, job_id: int, attempt: int, fence: Fence | None, **values: Any
) -> None:
    """Write `values` to the running job's row in one UPDATE that also checks the scheduler's
    fence (and locks the row until commit); FencedOutError when the lease or the attempt has
    moved on. No fence: a caller that is the only scheduler (tests), nothing is checked."""
    if fence is None:
        if values:
            session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(**values))
        return
    done: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(TrainingJob)
        .where(
            TrainingJob.id == job_id,
            TrainingJob.attempt_count == attempt,
            TrainingJob.status == JobStatus.RUNNING.value,
            fence.clause(session.get_bind().dialect.name),
        )
        .values(lease_epoch=fence.epoch, **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise FencedOutError(job_id, attempt)


def find_attempt(session: Session, job_id: int, number: int) -> JobAttempt:
    found = session.scalars(
        select(JobAttempt).where(JobAttempt.job_id == job_id, JobAttempt.number == number)
    ).one_or_none()
    if found is None:
        raise JobTokenError(f"job {job_id} has no attempt {number}")
    return found


def flushed_out(session: Session, job: TrainingJob) -> JobOut:
    session.flush()  # column defaults and onupdate values are filled in by the flush
    return job_out(job)


def move(
    session: Session, job: TrainingJob, target: JobStatus, message: str, *, level: str = "info"
) -> None:
    """Move the job along the state machine (InvalidJobStateError where it has no such move)."""
    if not can_move(JobStatus(job.status), target):
        raise InvalidJobStateError(job.id, job.status, f"move it to {target.value}")
    job.status = target.value
    job.updated_at = utcnow()
    if target is not JobStatus.RUNNING:
        job.requested_action = None
        job.claimed_by = None
        job.lease_epoch = None
        job.executor_handle = None
    if target is JobStatus.PENDING:
        job.queued_at = utcnow()  # its age in the queue starts again
    if target.terminal:
        job.finished_at = utcnow()
    log(session, job, message, level=level)


def log(session: Session, job: TrainingJob, message: str, *, level: str = "info") -> None:
    """A log line of the platform's own about the job, in its current attempt (the job's row
    is stamped too: event streams learn of new lines from the stamp)."""
    job.updated_at = utcnow()
    session.add(
        LogLine(
            job_id=job.id,
            attempt=job.attempt_count,
            level=level,
            source="platform",
            message=message,
        )
    )
