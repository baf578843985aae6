"""The jobs service on SQLite and PostgreSQL: validation, state moves, claims, exits, reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision_platform.db.session import Database
from vision_platform.errors import ConfigValidationError, DatasetError, UnknownNameError
from vision_platform.jobs.errors import (
    InvalidJobStateError,
    JobNotFoundError,
    JobTokenError,
    PathNotAllowedError,
)
from vision_platform.jobs.schemas import JobCreate, TrainerEvent, TrainerReport
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings


@pytest.fixture
def service(database_url: str, tiny_digits: Path, tmp_path: Path) -> JobService:
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=database_url,
        data_roots=str(tiny_digits.parent),
        backoff_limit=2,
    )
    db = Database(database_url)
    db.migrate()
    yield JobService(db, settings)  # type: ignore[misc]
    db.dispose()


def request(data: Path, **overrides: object) -> JobCreate:
    doc: dict[str, object] = {
        "model_name": "resnet10t",
        "dataset_path": str(data),
        "num_epochs": 2,
        "batch_size": 4,
        "image_size": 32,
    }
    doc.update(overrides)
    return JobCreate.model_validate(doc)


def events(*items: tuple[int, str, dict[str, object]]) -> TrainerReport:
    return TrainerReport(
        events=[TrainerEvent(seq=s, kind=k, payload=p) for s, k, p in items]  # type: ignore[arg-type]
    )


def test_migrations_run_twice_without_harm(service: JobService) -> None:
    service.db.migrate()
    assert service.list_jobs().total == 0


def test_create_stores_a_pending_job_with_its_framework_and_task(
    service: JobService, tiny_digits: Path
) -> None:
    job = service.create(
        request(tiny_digits, preset="easy", advanced_config={"weight_decay": 0.01})
    )
    assert job.status is JobStatus.PENDING
    assert (job.framework, job.task_type, job.best_metric_name) == (
        "timm",
        "classification",
        "val_acc",
    )
    assert job.advanced_config == {"weight_decay": 0.01}
    assert service.get(job.id) == job
    assert [j.id for j in service.list_jobs(status=JobStatus.PENDING).items] == [job.id]
    assert service.list_jobs(status=JobStatus.RUNNING).total == 0


def test_create_refuses_bad_input_naming_the_field(service: JobService, tiny_digits: Path) -> None:
    with pytest.raises(ConfigValidationError) as bad:
        service.create(request(tiny_digits, advanced_config={"optimizer_type": "adamx", "x": 1}))
    assert set(bad.value.errors) == {"optimizer_type", "x"}
    with pytest.raises(UnknownNameError, match="resnet18"):
        service.create(request(tiny_digits, model_name="resnet-18"))
    with pytest.raises(PathNotAllowedError, match="dataset_path"):
        service.create(request(Path("/etc")))
    with pytest.raises(DatasetError):
        service.create(request(tiny_digits.parent))  # a folder without train/ and val/
    assert service.list_jobs().total == 0


def test_user_actions_follow_the_state_machine(service: JobService, tiny_digits: Path) -> None:
    job = service.create(request(tiny_digits))
    with pytest.raises(InvalidJobStateError):
        service.resume(job.id)
    assert service.pause(job.id).status is JobStatus.PAUSED
    with pytest.raises(InvalidJobStateError):
        service.pause(job.id)
    assert service.resume(job.id).status is JobStatus.PENDING
    assert service.cancel(job.id).status is JobStatus.CANCELLED
    for action in (service.pause, service.resume, service.cancel):
        with pytest.raises(InvalidJobStateError, match="cancelled"):
            action(job.id)
    with pytest.raises(JobNotFoundError):
        service.get(job.id + 1000)


def test_claim_starts_oldest_first_and_never_twice(service: JobService, tiny_digits: Path) -> None:
    first, second = service.create(request(tiny_digits)), service.create(request(tiny_digits))
    claimed = service.claim(scheduler_id="a", limit=1)
    assert [c.job_id for c in claimed] == [first.id]
    assert claimed[0].spec.resume is False and claimed[0].spec.job_id == str(first.id)
    assert [c.job_id for c in service.claim(scheduler_id="b", limit=5)] == [second.id]
    assert service.claim(scheduler_id="a", limit=5) == []
    assert [r.job_id for r in service.running("a")] == [first.id]


def test_crashes_retry_with_resume_until_the_backoff_limit(
    service: JobService, tiny_digits: Path
) -> None:
    job = service.create(request(tiny_digits))
    outcomes = []
    for _ in range(3):  # backoff_limit=2: two retries, then failed
        (claim,) = service.claim(scheduler_id="a", limit=1)
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
    service: JobService, tiny_digits: Path
) -> None:
    bad, staged = service.create(request(tiny_digits)), service.create(request(tiny_digits))
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


def test_pause_and_cancel_of_a_running_job_wait_for_the_trainer(
    service: JobService, tiny_digits: Path
) -> None:
    job = service.create(request(tiny_digits))
    (claim,) = service.claim(scheduler_id="a", limit=1)
    assert service.pause(job.id).status is JobStatus.RUNNING
    assert service.running("a")[0].requested == "pause"
    with pytest.raises(InvalidJobStateError):
        service.resume(job.id)
    service.finish_attempt(job.id, claim.attempt, exit_code=75, log_tail=[])
    assert service.get(job.id).status is JobStatus.PAUSED
    service.resume(job.id)
    (again,) = service.claim(scheduler_id="a", limit=1)
    assert (again.reason, again.spec.resume) == ("resume", True)
    assert service.cancel(job.id).requested_action == "cancel"
    service.finish_attempt(job.id, again.attempt, exit_code=137, log_tail=[])
    assert service.get(job.id).status is JobStatus.CANCELLED


def test_reports_need_the_attempt_token_and_are_stored_once(
    service: JobService, tiny_digits: Path
) -> None:
    job = service.create(request(tiny_digits))
    (claim,) = service.claim(scheduler_id="a", limit=1)
    report = events(
        (1, "log", {"level": "info", "message": "Epoch 1/2"}),
        (2, "epoch", {"epoch": 1, "train_loss": 0.9, "val_acc": 0.5}),
        (3, "epoch", {"epoch": 2, "train_loss": 0.5, "val_acc": 0.75}),
    )
    with pytest.raises(JobTokenError):
        service.record_report(job.id, "wrong", report)
    with pytest.raises(JobTokenError):
        service.record_report(job.id, None, report)
    assert service.record_report(job.id, claim.token, report).accepted == 3
    assert service.record_report(job.id, claim.token, report).accepted == 0  # a retried batch
    stored = service.get(job.id)
    assert (stored.current_epoch, stored.best_metric) == (2, 0.75)
    assert [p.epoch for p in service.metrics(job.id).points] == [1, 2]
    assert [line.message for line in service.logs(job.id).items if line.source == "trainer"] == [
        "Epoch 1/2"
    ]

    # The next attempt has a new token; an epoch it runs again replaces the old points.
    service.finish_attempt(job.id, claim.attempt, exit_code=1, log_tail=[])
    (retry,) = service.claim(scheduler_id="a", limit=1)
    with pytest.raises(JobTokenError):
        service.record_report(job.id, claim.token, report)
    service.record_report(job.id, retry.token, events((1, "epoch", {"epoch": 2, "val_acc": 0.6})))
    assert [(p.epoch, p.values["val_acc"]) for p in service.metrics(job.id).points] == [
        (1, 0.5),
        (2, 0.6),
    ]


def test_the_migrated_schema_matches_the_models(service: JobService) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vision_platform.db.models import Base

    with service.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_yolo_classifier_job_keeps_its_best_top1_accuracy(
    service: JobService, tiny_digits: Path
) -> None:
    """A -cls model reports top1_acc (it has no boxes, so no map50): its best metric is that."""
    job = service.create(request(tiny_digits, model_name="yolo11n-cls"))
    assert (job.framework, job.task_type, job.best_metric_name) == (
        "ultralytics",
        "classification",
        "top1_acc",
    )
    (claim,) = service.claim(scheduler_id="a", limit=1)
    epochs = [(i, "epoch", {"epoch": i, "top1_acc": acc}) for i, acc in [(1, 0.26), (2, 0.4)]]
    service.record_report(job.id, claim.token, events(*epochs))  # type: ignore[arg-type]
    assert service.get(job.id).best_metric == 0.4
