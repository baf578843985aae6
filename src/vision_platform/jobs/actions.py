"""What a user does to a job: pause, resume, cancel (a running job's trainer is asked to stop
and the scheduler passes the request on), and change its priority."""

from __future__ import annotations

from vision_platform.configs import Priority
from vision_platform.db.session import Database
from vision_platform.errors import InvalidInputError
from vision_platform.jobs import rows
from vision_platform.jobs.errors import InvalidJobStateError
from vision_platform.jobs.schemas import JobOut
from vision_platform.jobs.states import JobStatus, StopRequest

# A running job can be paused unless it is being cancelled (a pause wins over a preemption).
_PAUSABLE = (None, StopRequest.PAUSE.value, StopRequest.PREEMPT.value)


class JobActions:
    """The user's moves on the state machine."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def pause(self, job_id: int) -> JobOut:
        """Pause: a pending job at once; a running one when its trainer has saved and exited."""
        with self.db.session() as session:
            job = rows.find_job(session, job_id, lock=True)
            status = JobStatus(job.status)
            if status is JobStatus.PENDING:
                rows.move(session, job, JobStatus.PAUSED, "Paused before it started")
            elif status is JobStatus.RUNNING and job.requested_action in _PAUSABLE:
                job.requested_action = StopRequest.PAUSE.value
                rows.log(session, job, "Pause requested: the trainer saves and stops")
            else:
                raise InvalidJobStateError(job_id, job.status, "pause it")
            return rows.flushed_out(session, job)

    def resume(self, job_id: int, *, num_epochs: int | None = None) -> JobOut:
        """Resume a paused job from its last checkpoint; `num_epochs` changes how many epochs
        the run has in all (extend it: "train on to 50 epochs"), more than it has finished."""
        with self.db.session() as session:
            job = rows.find_job(session, job_id, lock=True)
            if job.status != JobStatus.PAUSED:
                raise InvalidJobStateError(job_id, job.status, "resume it")
            message = "Resumed: waiting for the scheduler"
            if num_epochs is not None and num_epochs != job.num_epochs:
                if num_epochs <= job.current_epoch:
                    raise InvalidInputError(
                        f"num_epochs: {num_epochs} is not more than the {job.current_epoch} "
                        f"epoch(s) job {job_id} has finished"
                    )
                message += f"; {job.num_epochs} → {num_epochs} epochs"
                job.num_epochs = num_epochs
            rows.move(session, job, JobStatus.PENDING, message)
            return rows.flushed_out(session, job)

    def cancel(self, job_id: int) -> JobOut:
        """Cancel: a waiting job at once; a running one when its trainer has been stopped."""
        with self.db.session() as session:
            job = rows.find_job(session, job_id, lock=True)
            status = JobStatus(job.status)
            if status in (JobStatus.PENDING, JobStatus.PAUSED):
                rows.move(session, job, JobStatus.CANCELLED, "Cancelled")
            elif status is JobStatus.RUNNING:
                job.requested_action = StopRequest.CANCEL.value
                rows.log(session, job, "Cancel requested: stopping the trainer")
            else:
                raise InvalidJobStateError(job_id, job.status, "cancel it")
            return rows.flushed_out(session, job)

    def set_priority(self, job_id: int, priority: Priority) -> JobOut:
        """A waiting or running job's new priority (the scheduler's next round may preempt
        for it, or preempt it); a finished job's stays (InvalidJobStateError)."""
        with self.db.session() as session:
            job = rows.find_job(session, job_id, lock=True)
            if JobStatus(job.status).terminal:
                raise InvalidJobStateError(job_id, job.status, "re-prioritize it")
            if job.priority != priority:
                rows.log(session, job, f"Priority changed from {job.priority} to {priority}")
                job.priority = priority
            return rows.flushed_out(session, job)
