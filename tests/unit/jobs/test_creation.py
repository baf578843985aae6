"""Job creation: a request is checked whole before anything is stored (training and batch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.jobs.conftest import NewJob
from vision_platform.errors import (
    ConfigValidationError,
    DatasetError,
    InvalidInputError,
    UnknownNameError,
)
from vision_platform.jobs.errors import InvalidJobStateError, JobNotFoundError, PathNotAllowedError
from vision_platform.jobs.schemas import BatchJobCreate, ConfigValidateRequest
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


def batch(job_id: int, **overrides: object) -> BatchJobCreate:
    doc: dict[str, object] = {"job_id": job_id, "batch_size": 8, **overrides}
    return BatchJobCreate.model_validate(doc)


def test_create_stores_a_pending_job_with_its_framework_and_task(
    service: JobService, new_job: NewJob
) -> None:
    job = new_job(preset="easy", advanced_config={"weight_decay": 0.01})
    assert job.status is JobStatus.PENDING
    assert (job.framework, job.task_type, job.best_metric_name) == (
        "timm",
        "classification",
        "val_acc",
    )
    assert job.advanced_config == {"weight_decay": 0.01}
    assert service.get(job.id) == job
    assert service.logs(job.id).items[0].message == "Job created: timm resnet10t"


def test_create_refuses_bad_input_naming_the_field(
    service: JobService, new_job: NewJob, tiny_digits: Path
) -> None:
    with pytest.raises(ConfigValidationError) as bad:
        new_job(advanced_config={"optimizer_type": "adamx", "x": 1})
    assert set(bad.value.errors) == {"optimizer_type", "x"}
    with pytest.raises(UnknownNameError, match="resnet18"):
        new_job(model_name="resnet-18")
    with pytest.raises(InvalidInputError, match="task_type"):
        new_job(task_type="detection")
    with pytest.raises(PathNotAllowedError, match="dataset_path"):
        new_job(dataset_path="/etc")
    with pytest.raises(InvalidInputError, match="dataset_path: a path cannot contain a NUL"):
        new_job(dataset_path=f"{tiny_digits}\x00")
    with pytest.raises(DatasetError):
        new_job(dataset_path=str(tiny_digits.parent))  # a folder without train/ and val/
    assert service.list_jobs().total == 0


def test_validate_config_answers_the_effective_config(service: JobService) -> None:
    answer = service.validate_config(
        ConfigValidateRequest(framework="timm", preset="easy", advanced_config={"momentum": 0.5})
    )
    assert answer.valid and answer.config["momentum"] == 0.5
    with pytest.raises(UnknownNameError, match="preset"):
        service.validate_config(ConfigValidateRequest(framework="timm", preset="hard"))


def test_a_batch_job_reads_from_the_roots_and_writes_to_its_folder(
    service: JobService, trained_job: int, tiny_digits: Path
) -> None:
    created = service.create_batch(batch(trained_job, input_prefix=str(tiny_digits / "val")))
    assert (created.status, created.progress, created.source_job_id) == (
        "pending",
        0.0,
        trained_job,
    )
    home = service.settings.home.resolve()
    assert created.output_path == str(home / "jobs" / f"job_{created.id}" / "results.jsonl")
    assert (created.input_prefix, created.num_input_images) == (str(tiny_digits / "val"), None)
    images = service.create_batch(batch(trained_job, input_images=[str(tiny_digits / "x.png")]))
    assert (images.input_prefix, images.num_input_images, images.total) == (None, 1, 1)


def test_batch_requests_are_checked_before_anything_is_queued(
    service: JobService, new_job: NewJob, trained_job: int, tiny_digits: Path, tmp_path: Path
) -> None:
    untrained = new_job()
    with pytest.raises(InvalidJobStateError):
        service.create_batch(batch(untrained.id, input_prefix=str(tiny_digits)))
    with pytest.raises(JobNotFoundError):
        service.create_batch(batch(999, input_prefix=str(tiny_digits)))
    (service.output_dir(trained_job) / "model.onnx").unlink()
    with pytest.raises(InvalidJobStateError, match="ONNX"):
        service.create_batch(batch(trained_job, input_prefix=str(tiny_digits), backend="onnx"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with pytest.raises(PathNotAllowedError, match="input_prefix"):
        service.create_batch(batch(trained_job, input_prefix=str(outside)))
    with pytest.raises(InvalidInputError, match=r"input_prefix: .* is not a folder"):
        service.create_batch(batch(trained_job, input_prefix=str(tiny_digits / "missing")))
    with pytest.raises(PathNotAllowedError, match=r"input_images\[1\]"):
        service.create_batch(
            batch(trained_job, input_images=[str(tiny_digits), str(tiny_digits / "../../x.png")])
        )
    with pytest.raises(PathNotAllowedError, match="output_path"):
        service.create_batch(
            batch(trained_job, input_prefix=str(tiny_digits), output_path=str(outside / "r.jsonl"))
        )
    with pytest.raises(PathNotAllowedError, match="output_path"):
        # A data root is for reading: results never go there.
        service.create_batch(
            batch(
                trained_job, input_prefix=str(tiny_digits), output_path=str(tiny_digits / "r.jsonl")
            )
        )
    with pytest.raises(InvalidInputError, match="NUL"):
        service.create_batch(batch(trained_job, input_images=["a\x00.png"]))
    taken = service.settings.home / "jobs" / "taken.jsonl"
    taken.write_text("{}\n")
    with pytest.raises(InvalidInputError, match="already exists"):
        service.create_batch(
            batch(trained_job, input_prefix=str(tiny_digits), output_path=str(taken))
        )
    assert service.list_jobs(kind="batch_inference").total == 0
