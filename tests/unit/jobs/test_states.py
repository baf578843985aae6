"""The state machine and the exit-code policy (Kubernetes-Job semantics)."""

from __future__ import annotations

import pytest

from vision_platform.jobs.states import (
    TRANSITIONS,
    JobStatus,
    StopRequest,
    can_move,
    decide_exit,
)


@pytest.mark.parametrize(
    ("exit_code", "requested", "failures", "status", "outcome"),
    [
        (0, None, 0, JobStatus.COMPLETED, "completed"),
        (0, StopRequest.PAUSE, 0, JobStatus.COMPLETED, "completed"),
        (2, None, 0, JobStatus.FAILED, "invalid_input"),
        (75, StopRequest.PAUSE, 0, JobStatus.PAUSED, "paused"),
        (75, None, 0, JobStatus.PENDING, "stage"),
        (143, StopRequest.PAUSE, 0, JobStatus.PAUSED, "paused"),
        (1, None, 0, JobStatus.PENDING, "retry"),
        (137, None, 2, JobStatus.PENDING, "retry"),
        (137, None, 3, JobStatus.FAILED, "failed"),
        (0, StopRequest.CANCEL, 0, JobStatus.CANCELLED, "cancelled"),
        (137, StopRequest.CANCEL, 3, JobStatus.CANCELLED, "cancelled"),
    ],
)
def test_exit_policy(
    exit_code: int,
    requested: StopRequest | None,
    failures: int,
    status: JobStatus,
    outcome: str,
) -> None:
    decision = decide_exit(
        exit_code=exit_code, requested=requested, failures_so_far=failures, backoff_limit=3
    )
    assert (decision.status, decision.outcome) == (status, outcome)


def test_only_crashes_count_against_the_backoff_limit() -> None:
    def counts(code: int) -> bool:
        return decide_exit(
            exit_code=code, requested=None, failures_so_far=0, backoff_limit=3
        ).counts_as_failure

    assert [counts(c) for c in (0, 2, 75, 1, 137)] == [False, False, False, True, True]


def test_finished_jobs_never_move_again() -> None:
    for status in JobStatus:
        assert status.terminal == (not TRANSITIONS[status])


def test_resume_moves_paused_to_pending_only() -> None:
    assert can_move(JobStatus.PAUSED, JobStatus.PENDING)
    assert not can_move(JobStatus.COMPLETED, JobStatus.PENDING)
    assert not can_move(JobStatus.PENDING, JobStatus.COMPLETED)
