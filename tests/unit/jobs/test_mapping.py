"""The row mapping: a training row carries its request into the spec; a batch row is a batch
job to its view, and shows its stand-ins alike in JobOut."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.jobs.conftest import job_request
from vision_platform.db.models import TrainingJob
from vision_platform.jobs.mapping import (
    BatchJobView,
    attempt_spec,
    new_batch_row,
    new_training_row,
    training_spec,
)
from vision_platform.jobs.schemas import BatchJobCreate
from vision_platform.jobs.service import JobService


def test_a_training_row_runs_what_was_asked() -> None:
    request = job_request(
        Path("/data/d"), preset="easy", seed=3, max_stage_seconds=60.0, register_as="digits"
    )
    row = new_training_row(
        request,
        framework="timm",
        task_type="classification",
        dataset_path="/data/d",
        best_metric_name="val_acc",
    )
    row.id, row.output_dir = 7, "/jobs/job_7"
    assert BatchJobView.of(row) is None
    spec = training_spec(row, resume=True)
    assert spec == attempt_spec(row, resume=True)
    assert (
        row.register_as == "digits"
    )  # the platform's business once it completes, not the trainer's
    # The queue (priority, queue) is the scheduler's business, not the trainer's.
    platform = {"framework", "task_type", "register_as", "dataset", "priority", "queue"}
    asked = request.model_dump(exclude=platform)
    assert spec.model_dump(include=set(asked)) == asked
    assert (spec.framework, spec.task_type, spec.job_id, spec.output_dir, spec.resume) == (
        "timm",
        "classification",
        "7",
        "/jobs/job_7",
        True,
    )


@pytest.mark.parametrize(
    ("status", "done", "total", "progress"),
    [
        ("running", 0, None, 0.0),
        ("running", 3, 12, 0.25),
        ("running", 0, 0, 0.0),
        ("completed", 3, 12, 1.0),
    ],
)
def test_batch_progress(status: str, done: int, total: int | None, progress: float) -> None:
    row = TrainingJob(kind="batch_inference", status=status, items_done=done, items_total=total)
    view = BatchJobView.of(row)
    assert view is not None and view.progress == progress


def test_a_batch_job_shows_its_stand_ins_in_the_job_view(
    service: JobService, trained_job: int, tiny_digits: Path
) -> None:
    source = service.get(trained_job)
    row = new_batch_row(source, images=["/a.png", "/b.png"], prefix=None, batch_size=8)
    assert (row.model_name, row.framework, row.items_total) == ("resnet10t", "timm", 2)
    image = str(tiny_digits / "a.png")
    created = service.create_batch(BatchJobCreate(job_id=trained_job, input_images=[image]))
    shown = service.get(created.id)
    assert (shown.kind, shown.num_epochs, shown.best_metric_name, shown.dataset_path) == (
        "batch_inference",
        1,
        "",
        "1 image(s)",
    )
