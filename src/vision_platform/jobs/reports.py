"""A trainer's reports: checked against its attempt's token, stored once each, applied to the
job (log lines, epoch metrics and the best metric, checkpoints, batch progress)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vision_platform.db.models import JobAttempt, LogLine, MetricPoint, TrainingJob, utcnow
from vision_platform.db.session import Database
from vision_platform.jobs import rows
from vision_platform.jobs.errors import JobTokenError
from vision_platform.jobs.mapping import BatchJobView
from vision_platform.jobs.schemas import ReportAck, TrainerEvent, TrainerReport
from vision_platform.worker.outbox import OUTBOX_NAME, read_outbox

# The longest trainer log line stored whole.
MAX_LOG_LINE_CHARS = 4000


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token() -> tuple[str, str]:
    """A new attempt's report token and the hash the database keeps of it (never the token)."""
    token = secrets.token_urlsafe(32)
    return token, _token_hash(token)


def _check_token(job: TrainingJob, token: str | None) -> None:
    expected = job.token_hash
    if not token or expected is None or not secrets.compare_digest(_token_hash(token), expected):
        raise JobTokenError(f"job {job.id}: bad or missing job token")


class TrainerReports:
    """Takes what trainers report over HTTP."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def check_token(self, job_id: int, token: str | None) -> None:
        with self.db.session() as session:
            _check_token(rows.find_job(session, job_id), token)

    def record_report(self, job_id: int, token: str | None, report: TrainerReport) -> ReportAck:
        """Store a trainer's events once each (a retried batch is not stored twice).

        An event of an earlier attempt (its process could not deliver it; the next one sends it
        from the outbox) counts against that attempt's own last seq, and is added to the job's
        history without undoing what a later attempt reported."""
        with self.db.session() as session:
            job = rows.find_job(session, job_id, lock=True)
            _check_token(job, token)
            return _store(session, job, report.events)


def store_outbox(session: Session, job: TrainingJob) -> int:
    """Store what the job's ended process could not deliver, from its run folder's outbox (when
    that folder is on this machine); how many events were new. The file is left as it is: a
    next attempt sends it again, and what is stored already is not stored twice."""
    found = []
    for doc in read_outbox(Path(job.output_dir) / OUTBOX_NAME).pending:
        with contextlib.suppress(PydanticValidationError):
            found.append(TrainerEvent.model_validate(doc))
    return _store(session, job, found).accepted if found else 0


def _store(session: Session, job: TrainingJob, events: list[TrainerEvent]) -> ReportAck:
    current = rows.find_attempt(session, job.id, job.attempt_count)
    attempts: dict[int, JobAttempt | None] = {current.number: current}
    accepted = 0
    for event in sorted(events, key=lambda e: (e.attempt or current.number, e.seq)):
        number = event.attempt or current.number
        if number not in attempts:
            attempts[number] = _earlier_attempt(session, job.id, number, current.number)
        target = attempts[number]
        if target is None or event.seq <= target.last_seq:
            continue
        apply = (_APPLY if target is current else _APPLY_LATE).get(event.kind)
        if apply is not None:
            apply(session, job, number, event.payload)
        job.updated_at = utcnow()
        target.last_seq = event.seq
        accepted += 1
    return ReportAck(accepted=accepted, last_seq=current.last_seq)


def _earlier_attempt(session: Session, job_id: int, number: int, current: int) -> JobAttempt | None:
    """Attempt `number` of the job when it came before the current one (else None: ignored)."""
    if number >= current:
        return None
    return session.scalars(
        select(JobAttempt).where(JobAttempt.job_id == job_id, JobAttempt.number == number)
    ).one_or_none()


def _log(session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]) -> None:
    message = str(payload.get("message", ""))
    if len(message) > MAX_LOG_LINE_CHARS:  # a log page stays a page: at most limit × this
        message = f"{message[:MAX_LOG_LINE_CHARS]} … ({len(message)} characters, truncated)"
    session.add(
        LogLine(
            job_id=job.id,
            attempt=attempt,
            level=str(payload.get("level", "info"))[:10],
            source="trainer",
            message=message,
        )
    )


def _epoch_started(
    session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]
) -> None:
    line = f"Epoch {payload.get('epoch')}/{payload.get('num_epochs')}"
    session.add(LogLine(job_id=job.id, attempt=attempt, source="trainer", message=line))


def _epoch(session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]) -> None:
    epoch = payload.get("epoch")
    if not isinstance(epoch, int):
        return
    # An epoch run again after a crash replaces what the lost run reported.
    session.execute(
        delete(MetricPoint).where(MetricPoint.job_id == job.id, MetricPoint.epoch >= epoch)
    )
    session.add(MetricPoint(job_id=job.id, epoch=epoch, values=payload))
    job.current_epoch = epoch
    _note_best(job, payload)


def _late_epoch(session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]) -> None:
    """An earlier attempt's epoch: kept unless a later attempt has reported that epoch again."""
    epoch = payload.get("epoch")
    if not isinstance(epoch, int):
        return
    reported = session.scalars(
        select(MetricPoint.id).where(MetricPoint.job_id == job.id, MetricPoint.epoch == epoch)
    ).first()
    if reported is not None:
        return
    session.add(MetricPoint(job_id=job.id, epoch=epoch, values=payload))
    job.current_epoch = max(job.current_epoch, epoch)
    _note_best(job, payload)


def _note_best(job: TrainingJob, payload: dict[str, Any]) -> None:
    value = payload.get(job.best_metric_name)
    if isinstance(value, int | float) and (job.best_metric is None or value > job.best_metric):
        job.best_metric = float(value)


def _progress(session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]) -> None:
    batch = BatchJobView.of(job)
    if batch is not None:  # a training job's progress is its epochs
        batch.record_progress(payload.get("done"), payload.get("total"))


def _checkpoint(session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]) -> None:
    if isinstance(payload.get("last"), str):
        job.last_checkpoint_uri = payload["last"]
        job.last_checkpoint_at = utcnow()
    if isinstance(payload.get("best"), str):
        job.best_checkpoint_uri = payload["best"]


def _late_checkpoint(
    session: Session, job: TrainingJob, attempt: int, payload: dict[str, Any]
) -> None:
    """An earlier attempt's checkpoint: only where the job knows none (later ones are newer)."""
    if job.last_checkpoint_uri is None and isinstance(payload.get("last"), str):
        job.last_checkpoint_uri = payload["last"]
    if job.best_checkpoint_uri is None and isinstance(payload.get("best"), str):
        job.best_checkpoint_uri = payload["best"]


# What each kind of event does to the job; "status" events only touch updated_at.
_APPLY: dict[str, Callable[[Session, TrainingJob, int, dict[str, Any]], None]] = {
    "log": _log,
    "epoch_started": _epoch_started,
    "epoch": _epoch,
    "progress": _progress,
    "checkpoint": _checkpoint,
}

# An earlier attempt's events, delivered late: history only (its status and progress are past).
_APPLY_LATE: dict[str, Callable[[Session, TrainingJob, int, dict[str, Any]], None]] = {
    "log": _log,
    "epoch_started": _epoch_started,
    "epoch": _late_epoch,
    "checkpoint": _late_checkpoint,
}
