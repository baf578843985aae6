"""The scheduler's side: claims, attempts and the exit-code policy, for every kind of job."""

from __future__ import annotations

from pathlib import Path

from tests.unit.jobs.conftest import NewJob, claim_one
from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.schemas import BatchJobCreate
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


def test_claim_starts_oldest_first_and_never_twice(service: JobService, new_job: NewJob) -> None:
    first, second = new_job(), new_job()
    claimed = service.claim(scheduler_id="a", limit=1)
    assert [c.job_id for c in claimed] == [first.id]
    assert isinstance(claimed[0].spec, TrainingSpec)
    assert claimed[0].spec.resume is False and claimed[0].spec.job_id == str(first.id)
    assert claimed[0].spec.export_onnx is True
    assert [c.job_id for c in service.claim(scheduler_id="b", limit=5)] == [second.id]
    assert service.claim(scheduler_id="a", limit=5) == []
    assert [r.job_id for r in service.running("a")] == [first.id]
    service.set_handle(first.id, claimed[0].attempt, "local:1")
    assert service.running("a")[0].handle == "local:1"


def test_crashes_retry_with_resume_until_the_backoff_limit(
    service: JobService, new_job: NewJob
) -> None:
    job = new_job()
    outcomes = []
    for _ in range(3):  # backoff_limit=2: two retries, then failed
        claim = claim_one(service)
        decision = service.finish_attempt(
            job.id, claim.attempt, exit_code=137, log_tail=["line 1", "Killed"]
        )
        outcomes.append((claim.reason, claim.spec.resume, decision.outcome))
    assert outcomes == [
        ("start", False, "retry"),
        ("retry", True, "retry"),
        ("retry", True, "failed"),
    ]
    failed = service.get(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error_message is not None and "Killed" in failed.error_message
    assert failed.failure_count == 3


def test_invalid_input_fails_at_once_and_stages_continue(
    service: JobService, new_job: NewJob
) -> None:
    bad, staged = new_job(), new_job()
    claims = {c.job_id: c for c in service.claim(scheduler_id="a", limit=2)}
    service.finish_attempt(bad.id, 1, exit_code=2, log_tail=["ERROR: invalid config"])
    assert service.get(bad.id).status is JobStatus.FAILED
    assert service.get(bad.id).attempt_count == 1

    service.finish_attempt(staged.id, claims[staged.id].attempt, exit_code=75, log_tail=[])
    assert service.get(staged.id).status is JobStatus.PENDING
    (next_stage,) = service.claim(scheduler_id="a", limit=1)
    assert (next_stage.reason, next_stage.spec.resume) == ("stage", True)
    service.finish_attempt(staged.id, next_stage.attempt, exit_code=0, log_tail=[])
    done = service.get(staged.id)
    assert (done.status, done.stage_count, done.failure_count) == (JobStatus.COMPLETED, 1, 0)
    assert service.logs(staged.id).items[-1].message == (
        "Attempt 2 exited with code 0: training completed"
    )


def test_a_lost_trainer_goes_back_in_the_queue_and_recovers(
    service: JobService, new_job: NewJob
) -> None:
    job = new_job()
    claim = claim_one(service)
    service.requeue_lost(job.id, claim.attempt, "the server restarted")
    assert service.get(job.id).status is JobStatus.PENDING
    service.requeue_lost(job.id, claim.attempt, "again")  # not running: nothing to do
    again = claim_one(service)
    assert (again.reason, again.spec.resume, again.attempt) == ("recover", True, 2)
    assert service.get(job.id).failure_count == 0


def test_a_batch_job_is_claimed_like_any_job_and_runs_infer_batch(
    service: JobService, trained_job: int, tiny_digits: Path
) -> None:
    created = service.create_batch(
        BatchJobCreate(job_id=trained_job, input_prefix=str(tiny_digits / "val"), batch_size=8)
    )
    claim = claim_one(service)
    assert isinstance(claim.spec, BatchInferenceSpec)
    home = service.settings.home.resolve()
    model = home / "jobs" / f"job_{trained_job}" / "weights" / "best.pt"
    assert claim.spec.model_path == str(model)
    assert claim.spec.input_prefix == str(tiny_digits / "val")
    assert (claim.spec.job_id, claim.spec.framework) == (str(created.id), "timm")
    request = ExecutionRequest(
        job_id=claim.job_id, attempt=claim.attempt, spec=claim.spec, work_dir=claim.work_dir
    )
    assert request.command == "infer-batch"
    # A crash is retried (the run resumes by itself from its output file).
    assert service.finish_attempt(created.id, 1, exit_code=137, log_tail=[]).outcome == "retry"
    again = claim_one(service)
    assert again.attempt == 2 and isinstance(again.spec, BatchInferenceSpec)
    service.finish_attempt(created.id, 2, exit_code=0, log_tail=[])
    done = service.get_batch(created.id)
    assert (done.status, done.progress) == (JobStatus.COMPLETED, 1.0)
    assert "batch inference completed" in service.logs(created.id).items[-1].message
