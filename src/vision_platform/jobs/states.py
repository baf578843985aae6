"""The job state machine of CONTRACT.md and the scheduler's policy for a trainer's exit code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vision_platform.errors import EXIT_INVALID_INPUT, EXIT_OK, EXIT_RESUMABLE


class JobStatus(StrEnum):
    """Where a job stands."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


# Every allowed move; running → pending is a retry, the next stage or a recovery.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.PAUSED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.PAUSED,
            JobStatus.CANCELLED,
            JobStatus.PENDING,
        }
    ),
    JobStatus.PAUSED: frozenset({JobStatus.PENDING, JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def can_move(current: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[current]


class StopRequest(StrEnum):
    """What a user asked of a running job; the scheduler passes it on to the trainer."""

    PAUSE = "pause"
    CANCEL = "cancel"
    PREEMPT = "preempt"  # the scheduler's: a job of higher priority needs the slot


@dataclass(frozen=True)
class ExitDecision:
    """What becomes of a job whose trainer exited: its next status and why."""

    status: JobStatus
    # completed | invalid_input | paused | preempted | stage | retry | failed | cancelled | lost
    outcome: str
    counts_as_failure: bool = False


def decide_exit(
    *,
    exit_code: int,
    requested: StopRequest | None,
    failures_so_far: int,
    backoff_limit: int,
) -> ExitDecision:
    """The Kubernetes-Job policy: 0 done, 2 fail at once, 75 pause, back to the queue when
    preempted (not a failure) or the next stage, else retry."""
    if requested is StopRequest.CANCEL:
        return ExitDecision(JobStatus.CANCELLED, "cancelled")
    if exit_code == EXIT_OK:
        return ExitDecision(JobStatus.COMPLETED, "completed")
    if exit_code == EXIT_INVALID_INPUT:
        return ExitDecision(JobStatus.FAILED, "invalid_input")
    if requested is StopRequest.PAUSE:
        # Whatever the trainer's way out, the user asked it to stop: resume picks up last.pt.
        return ExitDecision(JobStatus.PAUSED, "paused")
    if exit_code == EXIT_RESUMABLE and requested is StopRequest.PREEMPT:
        return ExitDecision(JobStatus.PENDING, "preempted")
    if exit_code == EXIT_RESUMABLE:
        return ExitDecision(JobStatus.PENDING, "stage")
    if failures_so_far + 1 > backoff_limit:
        return ExitDecision(JobStatus.FAILED, "failed", counts_as_failure=True)
    return ExitDecision(JobStatus.PENDING, "retry", counts_as_failure=True)
