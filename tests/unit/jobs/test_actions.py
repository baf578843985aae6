"""The user's actions: pause, resume and cancel follow the state machine."""

from __future__ import annotations

import pytest

from tests.unit.jobs.conftest import NewJob, claim_one
from vision_platform.jobs.errors import InvalidJobStateError, JobNotFoundError
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


def test_user_actions_follow_the_state_machine(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    with pytest.raises(InvalidJobStateError):
        service.resume(job.id)
    assert service.pause(job.id).status is JobStatus.PAUSED
    with pytest.raises(InvalidJobStateError):
        service.pause(job.id)
    assert service.resume(job.id).status is JobStatus.PENDING
    cancelled = service.cancel(job.id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.finished_at is not None
    for action in (service.pause, service.resume, service.cancel):
        with pytest.raises(InvalidJobStateError, match="cancelled"):
            action(job.id)
    with pytest.raises(JobNotFoundError):
        service.pause(job.id + 1000)


def test_pause_and_cancel_of_a_running_job_wait_for_the_trainer(
    service: JobService, new_job: NewJob
) -> None:
    job = new_job()
    claim = claim_one(service)
    assert service.pause(job.id).status is JobStatus.RUNNING
    assert service.running("s")[0].requested == "pause"
    with pytest.raises(InvalidJobStateError):
        service.resume(job.id)
    service.finish_attempt(job.id, claim.attempt, exit_code=75, log_tail=[])
    assert service.get(job.id).status is JobStatus.PAUSED
    service.resume(job.id)
    again = claim_one(service)
    assert (again.reason, again.spec.resume) == ("resume", True)
    assert service.cancel(job.id).requested_action == "cancel"
    with pytest.raises(InvalidJobStateError):
        service.pause(job.id)  # a cancel asked for is not turned into a pause
    service.finish_attempt(job.id, again.attempt, exit_code=137, log_tail=[])
    assert service.get(job.id).status is JobStatus.CANCELLED
