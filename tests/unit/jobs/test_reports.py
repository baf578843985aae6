"""A trainer's reports: the attempt's token, each event stored once, applied to the job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.jobs.conftest import NewJob, claim_one, events
from vision_platform.jobs.errors import JobTokenError
from vision_platform.jobs.reports import MAX_LOG_LINE_CHARS
from vision_platform.jobs.schemas import BatchJobCreate, TrainerEvent, TrainerReport
from vision_platform.jobs.service import JobService
from vision_platform.worker.outbox import OUTBOX_NAME


def test_reports_need_the_attempt_token_and_are_stored_once(
    service: JobService, new_job: NewJob
) -> None:
    job = new_job()
    claim = claim_one(service)
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
    retry = claim_one(service)
    with pytest.raises(JobTokenError):
        service.record_report(job.id, claim.token, report)
    service.record_report(job.id, retry.token, events((1, "epoch", {"epoch": 2, "val_acc": 0.6})))
    assert [(p.epoch, p.values["val_acc"]) for p in service.metrics(job.id).points] == [
        (1, 0.5),
        (2, 0.6),
    ]
    assert service.get(job.id).best_metric == 0.75  # the best stays the best seen


def test_epoch_starts_and_checkpoints_show_on_the_job(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    claim = claim_one(service)
    report = events(
        (1, "epoch_started", {"epoch": 1, "num_epochs": 2, "num_steps": 4}),
        (2, "checkpoint", {"last": "s3://b/job/weights/last.pt", "best": 3}),
        (3, "progress", {"done": 1, "total": 2}),  # a training job's progress is its epochs
    )
    assert service.record_report(job.id, claim.token, report).last_seq == 3
    stored = service.get(job.id)
    assert (stored.last_checkpoint_uri, stored.best_checkpoint_uri) == (
        "s3://b/job/weights/last.pt",
        None,
    )
    assert service.logs(job.id).items[-1].message == "Epoch 1/2"


def test_a_batch_job_reports_its_progress(
    service: JobService, trained_job: int, tiny_digits: Path
) -> None:
    created = service.create_batch(
        BatchJobCreate(job_id=trained_job, input_prefix=str(tiny_digits), batch_size=8)
    )
    claim = claim_one(service)
    report = events((1, "progress", {"done": 5, "total": 20}))
    service.record_report(created.id, claim.token, report)
    running = service.get_batch(created.id)
    assert (running.status, running.done, running.total, running.progress) == (
        "running",
        5,
        20,
        0.25,
    )
    service.record_report(created.id, claim.token, events((2, "progress", {"done": 9, "total": 2})))
    assert service.get_batch(created.id).done == 5  # more done than there are: not taken


def test_a_yolo_classifier_job_keeps_its_best_top1_accuracy(
    service: JobService, new_job: NewJob
) -> None:
    """A -cls model reports top1_acc (it has no boxes, so no map50): its best metric is that."""
    job = new_job(model_name="yolo11n-cls")
    assert (job.framework, job.task_type, job.best_metric_name) == (
        "ultralytics",
        "classification",
        "top1_acc",
    )
    claim = claim_one(service)
    report = events(
        (1, "epoch", {"epoch": 1, "loss": 2.3, "top1_acc": 0.26, "top5_acc": 0.74}),
        (2, "epoch", {"epoch": 2, "loss": 2.1, "top1_acc": 0.4, "top5_acc": 0.8}),
    )
    service.record_report(job.id, claim.token, report)
    assert service.get(job.id).best_metric == 0.4


def late(attempt: int, *items: tuple[int, str, dict[str, object]]) -> TrainerReport:
    """Events of an earlier attempt, sent on from its outbox by the current one."""
    return TrainerReport(
        events=[TrainerEvent(attempt=attempt, seq=s, kind=k, payload=p) for s, k, p in items]  # type: ignore[arg-type]
    )


def test_an_earlier_attempts_undelivered_events_are_stored_once_and_undo_nothing(
    service: JobService, new_job: NewJob
) -> None:
    job = new_job(num_epochs=5)
    first = claim_one(service)
    service.record_report(job.id, first.token, events((1, "epoch", {"epoch": 1, "val_acc": 0.5})))
    service.requeue_lost(job.id, first.attempt, "the server shut down")
    second = claim_one(service)
    # Attempt 2 reran epoch 2 (attempt 1's epoch 2 was lost with its last.pt), then sends on
    # what attempt 1 could not deliver: its epochs 2 and 3, its last log line.
    service.record_report(job.id, second.token, events((1, "epoch", {"epoch": 2, "val_acc": 0.6})))
    backlog = late(
        1,
        (2, "epoch", {"epoch": 2, "val_acc": 0.1}),
        (3, "epoch", {"epoch": 3, "val_acc": 0.9}),
        (4, "log", {"message": "Stopped early (SIGTERM)"}),
        (5, "status", {"status": "running"}),
    )
    assert service.record_report(job.id, second.token, backlog).accepted == 4
    assert service.record_report(job.id, second.token, backlog).accepted == 0  # sent twice
    assert service.record_report(job.id, second.token, late(3, (1, "log", {}))).accepted == 0
    points = [(p.epoch, p.values["val_acc"]) for p in service.metrics(job.id).points]
    assert points == [(1, 0.5), (2, 0.6), (3, 0.9)]
    stored = service.get(job.id)
    assert (stored.current_epoch, stored.best_metric) == (3, 0.9)
    (line,) = [x for x in service.logs(job.id).items if x.message == "Stopped early (SIGTERM)"]
    assert line.attempt == 1


def test_what_a_finished_trainer_left_in_its_outbox_is_stored_when_its_attempt_ends(
    service: JobService, new_job: NewJob
) -> None:
    """The last epoch ended while the platform was down, and the trainer exited 0: the platform
    reads the run folder's outbox itself (no next attempt would send it)."""
    job = new_job(num_epochs=2)
    claim = claim_one(service)
    service.record_report(job.id, claim.token, events((1, "epoch", {"epoch": 1, "val_acc": 0.5})))
    claim.work_dir.mkdir(parents=True, exist_ok=True)
    left = [
        {"attempt": 1, "seq": 1, "kind": "epoch", "payload": {"epoch": 1, "val_acc": 0.5}},
        {"attempt": 1, "acked": [1]},
        {"attempt": 1, "seq": 2, "kind": "epoch", "payload": {"epoch": 2, "val_acc": 0.8}},
        {"attempt": 1, "seq": 3, "kind": "log", "payload": {"message": "Training completed"}},
        {"attempt": 1, "seq": 4, "kind": "no such kind", "payload": {}},
    ]
    outbox = claim.work_dir / OUTBOX_NAME
    outbox.write_text("".join(json.dumps(doc) + "\n" for doc in left))
    service.finish_attempt(job.id, claim.attempt, exit_code=0, log_tail=[])
    done = service.get(job.id)
    assert (done.status, done.current_epoch, done.best_metric) == ("completed", 2, 0.8)
    assert [p.epoch for p in service.metrics(job.id).points] == [1, 2]
    assert "Training completed" in [line.message for line in service.logs(job.id).items]


def test_a_huge_log_line_is_stored_truncated(service: JobService, new_job: NewJob) -> None:
    job = new_job()
    claim = claim_one(service)
    service.record_report(job.id, claim.token, events((1, "log", {"message": "x" * 100_000})))
    (line,) = [x for x in service.logs(job.id).items if x.source == "trainer"]
    assert len(line.message) < MAX_LOG_LINE_CHARS + 100
    assert line.message.endswith("(100000 characters, truncated)")
