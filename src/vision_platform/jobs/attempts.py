"""The scheduler's side of a job: claim it, start an attempt (with its own report token),
record the executor's handle, and act on how the attempt ended."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.db.models import JobAttempt, TrainingJob, utcnow
from vision_platform.db.session import Database
from vision_platform.jobs import queue, queue_rows, rows
from vision_platform.jobs.mapping import BatchJobView, attempt_spec
from vision_platform.jobs.reports import issue_token, store_outbox
from vision_platform.jobs.states import ExitDecision, JobStatus, StopRequest, decide_exit
from vision_platform.settings import Settings

if TYPE_CHECKING:
    from vision_platform.jobs.leader import Fence

_ERROR_TAIL_LINES = 20

# Why an attempt starts, by how the one before it ended (no attempt before: "start").
_REASONS: dict[str | None, str] = {
    None: "start",
    "retry": "retry",
    "stage": "stage",
    "lost": "recover",
    "paused": "resume",
    "preempted": "resume",
}


@dataclass(frozen=True)
class ClaimedJob:
    """A job a scheduler has just moved to running: what its executor needs to start it."""

    job_id: int
    attempt: int
    reason: str
    spec: TrainingSpec | BatchInferenceSpec
    token: str
    work_dir: Path
    priority: str = "normal"


@dataclass(frozen=True)
class RunningJob:
    """A running job as the database sees it: the lease epoch it runs under tells a leader's
    own jobs from those it takes over; `claimed_by` is the lease holder that started it."""

    job_id: int
    attempt: int
    handle: str | None
    requested: StopRequest | None
    lease_epoch: int | None = None
    claimed_by: str | None = None


class AttemptProtocol:
    """Claims, starts and finishes attempts, by the Kubernetes-Job exit-code policy."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def claim(
        self, *, scheduler_id: str, limit: int, fence: Fence | None = None
    ) -> list[ClaimedJob]:
        """Move up to `limit` pending jobs to running for this scheduler, in the queue's
        order (priority, then age, with aging) and within each named queue's limit.

        PostgreSQL skips rows another scheduler has locked (FOR UPDATE SKIP LOCKED); on every
        backend the conditional update makes sure no job is claimed twice, and with a `fence`
        that the claimer still holds the scheduler lease.
        """
        if limit <= 0:
            return []
        claimed = []
        with self.db.session() as session:
            waiting = queue_rows.waiting(session, lock=True)
            if not waiting:
                return []
            chosen = queue.plan(
                self.order(waiting),
                queue_rows.running(session),
                free=limit,
                limits=self.settings.queue_limits,
            ).start
            fenced = [fence.clause(self.db.dialect)] if fence is not None else []
            for job in chosen:
                won: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(TrainingJob)
                    .where(
                        TrainingJob.id == job.job_id,
                        TrainingJob.status == JobStatus.PENDING.value,
                        *fenced,
                    )
                    .values(
                        status=JobStatus.RUNNING.value,
                        claimed_by=scheduler_id,
                        lease_epoch=fence.epoch if fence is not None else None,
                    )
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount == 1:
                    claimed.append(self._start_attempt(session, job.job_id))
        return claimed

    def order(self, waiting: list[queue.Waiting]) -> list[queue.Waiting]:
        return queue.order(waiting, utcnow(), self.settings.queue_aging_seconds)

    def preempt(self, *, fence: Fence | None = None) -> int | None:
        """When a waiting job that cannot start outranks a running one, ask the running job
        that loses least to save and stop (it goes back to the queue). The waiters are asked
        in the queue's order, up to the first that waits for any slot (the next free slot is
        its); one held only by its queue's limit gives way to the next. Returns the preempted
        job's id, or None."""
        with self.db.session() as session:
            running = queue_rows.running(session)
            blocked = queue.plan(
                self.order(queue_rows.waiting(session)),
                running,
                free=self.settings.max_concurrent_jobs - len(running),
                limits=self.settings.queue_limits,
            ).blocked
            for waiter, why in blocked:
                found = queue.victim(waiter, why, running, utcnow())
                if found is not None:
                    asked = queue_rows.request_preemption(
                        session, found, waiter.job_id, fence=fence
                    )
                    return found.job_id if asked else None
                if why == "slots":
                    break
            return None

    def _start_attempt(self, session: Session, job_id: int) -> ClaimedJob:
        job = rows.find_job(session, job_id)
        session.refresh(job)
        last = job.attempts[-1] if job.attempts else None
        reason = _REASONS.get(last.outcome if last else None, "resume")
        number = job.attempt_count + 1
        token, job.token_hash = issue_token()
        job.attempt_count = number
        job.requested_action = None
        job.executor_handle = None
        job.queue_reason = job.preempted_by = None
        job.started_at = job.started_at or utcnow()
        resume = number > 1
        session.add(
            JobAttempt(
                job_id=job.id,
                number=number,
                stage=job.stage_count + 1,
                reason=reason,
                resume=resume,
            )
        )
        rows.log(
            session,
            job,
            f"Attempt {number} ({reason}) starting" + (" with --resume" if resume else ""),
        )
        return ClaimedJob(
            job_id=job.id,
            attempt=number,
            reason=reason,
            spec=attempt_spec(job, resume=resume),
            token=token,
            work_dir=Path(job.output_dir),
            priority=job.priority,
        )

    def set_handle(
        self, job_id: int, attempt: int, handle: str, *, fence: Fence | None = None
    ) -> None:
        """Record the executor's handle of a started attempt (FencedOutError: the lease moved
        on while it started, and the caller must stop what it started)."""
        with self.db.session() as session:
            rows.fenced_update(session, job_id, attempt, fence, executor_handle=handle)
            rows.find_attempt(session, job_id, attempt).executor_handle = handle

    def adopt(self, job_id: int, attempt: int, *, fence: Fence) -> None:
        """Take over a running attempt whose trainer goes on (started under an earlier lease)."""
        with self.db.session() as session:
            rows.fenced_update(session, job_id, attempt, fence, claimed_by=fence.holder)

    def running(self, scheduler_id: str | None = None) -> list[RunningJob]:
        """The running jobs: all of them (what the leader runs), or those `scheduler_id`
        claimed."""
        query = select(
            TrainingJob.id,
            TrainingJob.attempt_count,
            TrainingJob.executor_handle,
            TrainingJob.requested_action,
            TrainingJob.lease_epoch,
            TrainingJob.claimed_by,
        ).where(TrainingJob.status == JobStatus.RUNNING.value)
        if scheduler_id is not None:
            query = query.where(TrainingJob.claimed_by == scheduler_id)
        with self.db.session() as session:
            found = session.execute(query.order_by(TrainingJob.id)).all()
        return [
            RunningJob(
                job_id=r[0],
                attempt=r[1],
                handle=r[2],
                requested=StopRequest(r[3]) if r[3] else None,
                lease_epoch=r[4],
                claimed_by=r[5],
            )
            for r in found
        ]

    def finish_attempt(
        self,
        job_id: int,
        attempt: int,
        *,
        exit_code: int,
        log_tail: list[str],
        fence: Fence | None = None,
    ) -> ExitDecision:
        """Record how an attempt ended and move the job on by the exit-code policy."""
        with self.db.session() as session:
            rows.fenced_update(session, job_id, attempt, fence)
            job = rows.find_job(session, job_id, lock=True)
            store_outbox(session, job)  # what its trainer said while the platform was away
            current = rows.find_attempt(session, job_id, attempt)
            requested = StopRequest(job.requested_action) if job.requested_action else None
            decision = decide_exit(
                exit_code=exit_code,
                requested=requested,
                failures_so_far=job.failure_count,
                backoff_limit=self.settings.backoff_limit,
            )
            current.exit_code = exit_code
            current.outcome = decision.outcome
            current.finished_at = utcnow()
            if decision.counts_as_failure:
                job.failure_count += 1
            if decision.outcome == "stage":
                job.stage_count += 1
            if decision.outcome == "preempted":
                job.queue_reason = _preempted_words(job)
            _note_checkpoints(job)
            message = self._exit_message(job, attempt, exit_code, decision)
            if decision.status is JobStatus.FAILED:
                tail = "\n".join(log_tail[-_ERROR_TAIL_LINES:])
                job.error_message = f"{message}\n{tail}".strip()
            rows.move(session, job, decision.status, message, level=_level(decision))
            return decision

    def requeue_lost(
        self,
        job_id: int,
        attempt: int,
        why: str,
        *,
        exit_code: int | None = None,
        fence: Fence | None = None,
    ) -> None:
        """Put a running job whose trainer was lost or stopped by a shutdown back in the queue."""
        with self.db.session() as session:
            rows.fenced_update(session, job_id, attempt, fence)
            job = rows.find_job(session, job_id, lock=True)
            if job.status != JobStatus.RUNNING:
                return
            store_outbox(session, job)
            current = rows.find_attempt(session, job_id, attempt)
            current.outcome = "lost"
            current.exit_code = exit_code
            current.finished_at = utcnow()
            _note_checkpoints(job)
            rows.move(
                session,
                job,
                JobStatus.PENDING,
                f"Attempt {attempt} interrupted ({why}); it resumes",
            )

    def _exit_message(
        self, job: TrainingJob, attempt: int, exit_code: int, decision: ExitDecision
    ) -> str:
        head = f"Attempt {attempt} exited with code {exit_code}"
        work = "batch inference" if BatchJobView.of(job) is not None else "training"
        return {
            "completed": f"{head}: {work} completed",
            "invalid_input": f"{head}: invalid input, not retried",
            "paused": f"{head}: paused (checkpoint saved)",
            "preempted": f"{head}: {job.queue_reason} (checkpoint saved; not a failure)",
            "stage": f"{head}: stage {job.stage_count} ended; next stage resumes",
            "retry": f"{head}: retrying with --resume "
            f"({job.failure_count}/{self.settings.backoff_limit})",
            "failed": f"{head}: failed after {job.failure_count - 1} retries",
            "cancelled": f"{head}: cancelled",
        }[decision.outcome]


def _preempted_words(job: TrainingJob) -> str:
    return (
        f"preempted by job {job.preempted_by} at epoch {job.current_epoch}; "
        "resumes when a slot frees"
    )


def _note_checkpoints(job: TrainingJob) -> None:
    weights = Path(job.output_dir) / "weights"
    if (weights / "last.pt").is_file():
        job.last_checkpoint_uri = str(weights / "last.pt")
    if (weights / "best.pt").is_file():
        job.best_checkpoint_uri = str(weights / "best.pt")


def _level(decision: ExitDecision) -> str:
    if decision.status is JobStatus.FAILED:
        return "error"
    return "warning" if decision.outcome == "retry" else "info"
