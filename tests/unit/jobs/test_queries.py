"""Reading jobs: pages by kind and status, what changed, logs, and a job's model files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.jobs.conftest import NewJob, claim_one
from vision_platform.jobs.errors import InvalidJobStateError, JobNotFoundError
from vision_platform.jobs.schemas import BatchJobCreate
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


def test_the_job_list_shows_training_jobs_newest_first(
    service: JobService, new_job: NewJob, trained_job: int, tiny_digits: Path
) -> None:
    pending = new_job()
    batch = service.create_batch(BatchJobCreate(job_id=trained_job, input_prefix=str(tiny_digits)))
    # Batch jobs are not training jobs: the job list (and the UI) shows training only.
    assert [j.id for j in service.list_jobs().items] == [pending.id, trained_job]
    assert [j.id for j in service.list_jobs(status=JobStatus.PENDING).items] == [pending.id]
    assert service.list_jobs(status=JobStatus.RUNNING).total == 0
    page = service.list_jobs(limit=1, offset=1)
    assert ([j.id for j in page.items], page.total) == ([trained_job], 2)
    (listed,) = service.list_jobs(kind="batch_inference").items
    assert (listed.id, listed.kind) == (batch.id, "batch_inference")
    assert service.list_jobs(kind=None).total == 3


def test_changed_since_lists_writes_oldest_first(service: JobService, new_job: NewJob) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    first, second = new_job(), new_job()
    service.pause(first.id)
    assert [j.id for j in service.changed_since(before)] == [second.id, first.id]
    assert service.changed_since(datetime.now(UTC) + timedelta(hours=1)) == []


def test_logs_are_read_on_from_the_last_id(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    service.pause(job.id)
    first = service.logs(job.id, limit=1)
    assert [line.message for line in first.items] == ["Job created: timm resnet10t"]
    rest = service.logs(job.id, after=first.next_after)
    assert [line.message for line in rest.items] == ["Paused before it started"]
    assert service.logs(job.id, after=rest.next_after).next_after == rest.next_after
    with pytest.raises(JobNotFoundError):
        service.logs(job.id + 1000)


def test_model_files_need_a_checkpoint(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    with pytest.raises(InvalidJobStateError, match="no checkpoint yet"):
        service.model_files(job.id)
    with pytest.raises(JobNotFoundError):
        service.model_files(job.id + 1000)
    claim = claim_one(service)
    (claim.work_dir / "weights").mkdir(parents=True)
    (claim.work_dir / "weights" / "best.pt").write_bytes(b"weights")
    assert service.model_files(job.id) == (claim.work_dir / "weights" / "best.pt", None)
    (claim.work_dir / "model.onnx").write_bytes(b"onnx")
    assert service.model_files(job.id)[1] == claim.work_dir / "model.onnx"
    assert service.output_dir(job.id) == claim.work_dir


def test_a_training_job_is_no_batch_job(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    with pytest.raises(JobNotFoundError):
        service.get_batch(job.id)
    with pytest.raises(JobNotFoundError):
        service.get_batch(job.id + 1000)
