"""Batch inference jobs in the jobs service and the executors: a job of another kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest

from vision_platform.configs import BatchInferenceSpec
from vision_platform.db.session import Database
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.errors import InvalidJobStateError, JobNotFoundError, PathNotAllowedError
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.executors.k8s_manifests import build_manifests
from vision_platform.jobs.schemas import (
    BatchJobCreate,
    JobCreate,
    TrainerEvent,
    TrainerReport,
)
from vision_platform.jobs.service import ClaimedJob, JobService
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings


@pytest.fixture
def service(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[JobService]:
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=database_url,
        data_roots=str(tiny_digits.parent),
        backoff_limit=2,
    )
    db = Database(database_url)
    db.migrate()
    yield JobService(db, settings)
    db.dispose()


def trained_job(service: JobService, data: Path, *, onnx: bool = False) -> int:
    """A training job (run to completion) whose folder holds best.pt (and model.onnx)."""
    job = service.create(
        JobCreate(model_name="resnet10t", dataset_path=str(data), num_epochs=1, image_size=32)
    )
    (claim,) = service.claim(scheduler_id="s", limit=1)
    weights = claim.work_dir / "weights"
    weights.mkdir(parents=True)
    (weights / "best.pt").write_bytes(b"weights")
    if onnx:
        (claim.work_dir / "model.onnx").write_bytes(b"onnx")
    service.finish_attempt(job.id, claim.attempt, exit_code=0, log_tail=[])
    return job.id


def batch(job_id: int, **overrides: object) -> BatchJobCreate:
    doc: dict[str, object] = {"job_id": job_id, "batch_size": 8, **overrides}
    return BatchJobCreate.model_validate(doc)


def claim_one(service: JobService) -> ClaimedJob:
    (claim,) = service.claim(scheduler_id="s", limit=1)
    return claim


def test_a_batch_job_is_claimed_like_any_job_and_runs_infer_batch(
    service: JobService, tiny_digits: Path
) -> None:
    source = trained_job(service, tiny_digits)
    created = service.create_batch(batch(source, input_prefix=str(tiny_digits / "val")))
    assert (created.status, created.progress, created.source_job_id) == ("pending", 0.0, source)
    home = service.settings.home.resolve()
    assert created.output_path == str(home / "jobs" / f"job_{created.id}" / "results.jsonl")
    # Batch jobs are not training jobs: the job list (and the UI) shows training only.
    assert [j.id for j in service.list_jobs().items] == [source]
    assert service.list_jobs(kind="batch_inference").items[0].kind == "batch_inference"

    claim = claim_one(service)
    assert isinstance(claim.spec, BatchInferenceSpec)
    assert claim.spec.model_path == str(home / "jobs" / f"job_{source}" / "weights" / "best.pt")
    assert claim.spec.input_prefix == str(tiny_digits / "val")
    assert (claim.spec.job_id, claim.spec.framework) == (str(created.id), "timm")
    request = ExecutionRequest(
        job_id=claim.job_id, attempt=claim.attempt, spec=claim.spec, work_dir=claim.work_dir
    )
    assert request.command == "infer-batch"

    report = TrainerReport(
        events=[TrainerEvent(seq=1, kind="progress", payload={"done": 5, "total": 20})]
    )
    service.record_report(created.id, claim.token, report)
    running = service.get_batch(created.id)
    assert (running.status, running.done, running.total, running.progress) == (
        "running",
        5,
        20,
        0.25,
    )
    # A crash is retried (the run resumes by itself from its output file).
    assert service.finish_attempt(created.id, 1, exit_code=137, log_tail=[]).outcome == "retry"
    again = claim_one(service)
    assert again.attempt == 2 and isinstance(again.spec, BatchInferenceSpec)
    service.finish_attempt(created.id, 2, exit_code=0, log_tail=[])
    done = service.get_batch(created.id)
    assert (done.status, done.progress) == (JobStatus.COMPLETED, 1.0)
    assert "batch inference completed" in service.logs(created.id).items[-1].message


def test_batch_requests_are_checked_before_anything_is_queued(
    service: JobService, tiny_digits: Path, tmp_path: Path
) -> None:
    untrained = service.create(JobCreate(model_name="resnet10t", dataset_path=str(tiny_digits)))
    with pytest.raises(InvalidJobStateError):
        service.create_batch(batch(untrained.id, input_prefix=str(tiny_digits)))
    with pytest.raises(JobNotFoundError):
        service.create_batch(batch(999, input_prefix=str(tiny_digits)))
    service.cancel(untrained.id)
    source = trained_job(service, tiny_digits)
    with pytest.raises(InvalidJobStateError, match="ONNX"):
        service.create_batch(batch(source, input_prefix=str(tiny_digits), backend="onnx"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(PathNotAllowedError, match="input_prefix"):
        service.create_batch(batch(source, input_prefix=str(outside)))
    with pytest.raises(PathNotAllowedError, match=r"input_images\[1\]"):
        service.create_batch(
            batch(source, input_images=[str(tiny_digits), str(tiny_digits / "../../x.png")])
        )
    with pytest.raises(PathNotAllowedError, match="output_path"):
        service.create_batch(
            batch(source, input_prefix=str(tiny_digits), output_path=str(outside / "r.jsonl"))
        )
    with pytest.raises(PathNotAllowedError, match="output_path"):
        # A data root is for reading: results never go there.
        service.create_batch(
            batch(source, input_prefix=str(tiny_digits), output_path=str(tiny_digits / "r.jsonl"))
        )
    with pytest.raises(InvalidInputError, match="NUL"):
        service.create_batch(batch(source, input_images=["a\x00.png"]))
    taken = service.settings.home / "jobs" / "taken.jsonl"
    taken.write_text("{}\n")
    with pytest.raises(InvalidInputError, match="already exists"):
        service.create_batch(batch(source, input_prefix=str(tiny_digits), output_path=str(taken)))
    with pytest.raises(JobNotFoundError):
        service.get_batch(source)  # a training job is not a batch job
    assert service.list_jobs(kind="batch_inference").total == 0


def test_kubernetes_runs_a_batch_job_with_the_model_frameworks_image() -> None:
    spec = BatchInferenceSpec(
        job_id="9",
        model_path="s3://vp-artifacts/prod/job_3/weights/best.pt",
        input_prefix="s3://vp-artifacts/prod/inbox",
        output_path="/work/job_9/results.jsonl",
        framework="ultralytics",
        device="0",
    )
    request = ExecutionRequest(
        job_id=9,
        attempt=1,
        spec=spec,
        work_dir=Path("/srv"),
        env={"VP_CALLBACK_URL": "http://vp-api:8000/api/v1", "VP_JOB_TOKEN": "t"},
    )
    settings = Settings(k8s_image_registry="ghcr.io/acme", k8s_image_tag="1.2.3")
    manifests = build_manifests(request, settings)
    for doc in manifests.documents():
        kubernetes_validate.validate(doc, "1.30", strict=True)
    (container,) = manifests.job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "ghcr.io/acme/vision-platform/trainer-ultralytics:1.2.3"
    assert container["args"] == ["infer-batch", "--spec", "/etc/vp/spec.json"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    sent = BatchInferenceSpec.model_validate_json(manifests.config_map["data"]["spec.json"])
    assert sent.model_copy(update={"device": "0"}) == spec
    assert "activeDeadlineSeconds" not in manifests.job["spec"]
