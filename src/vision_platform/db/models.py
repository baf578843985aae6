"""SQLAlchemy 2 models: training jobs, their attempts, metric points, log lines; chat sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONDict = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base of every table of the platform."""


class TrainingJob(Base):
    """One training job: what to train, where it stands, and what it produced."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        Index("ix_training_jobs_status_id", "status", "id"),
        Index("ix_training_jobs_kind_updated_at", "kind", "updated_at"),  # the jobs event stream
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(String(200))
    framework: Mapped[str] = mapped_column(String(50))
    task_type: Mapped[str] = mapped_column(String(50))
    dataset_path: Mapped[str] = mapped_column(String(2000))
    num_epochs: Mapped[int] = mapped_column(Integer)
    batch_size: Mapped[int] = mapped_column(Integer)
    learning_rate: Mapped[float | None] = mapped_column(Float)
    image_size: Mapped[int | None] = mapped_column(Integer)
    preset: Mapped[str | None] = mapped_column(String(50))
    advanced_config: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    # The preset's intent and each value resolved for the run (vision_platform.presets), as
    # job creation worked them out; the trainer works them out again and logs them.
    config_resolution: Mapped[dict[str, Any] | None] = mapped_column(JSONDict)
    max_stage_seconds: Mapped[float | None] = mapped_column(Float)
    seed: Mapped[int | None] = mapped_column(Integer)
    # "train", or "batch_inference": then `batch_spec` is its BatchInferenceSpec, the model
    # comes from the trained job `source_job_id`, and `items_done`/`items_total` its progress.
    kind: Mapped[str] = mapped_column(String(20), default="train", server_default="train")
    batch_spec: Mapped[dict[str, Any] | None] = mapped_column(JSONDict)
    source_job_id: Mapped[int | None] = mapped_column(Integer)
    items_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    items_total: Mapped[int | None] = mapped_column(Integer)

    status: Mapped[str] = mapped_column(String(20), default="pending")
    # "pause" or "cancel" asked for while running; the scheduler signals the trainer.
    requested_action: Mapped[str | None] = mapped_column(String(20))
    current_epoch: Mapped[int] = mapped_column(Integer, default=0)
    best_metric_name: Mapped[str] = mapped_column(String(50))
    best_metric: Mapped[float | None] = mapped_column(Float)
    output_dir: Mapped[str] = mapped_column(String(2000), default="")
    last_checkpoint_uri: Mapped[str | None] = mapped_column(String(2000))
    best_checkpoint_uri: Mapped[str | None] = mapped_column(String(2000))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    stage_count: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    # Which scheduler runs it, the executor's handle and the hash of the attempt's report token.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    executor_handle: Mapped[str | None] = mapped_column(String(500))
    token_hash: Mapped[str | None] = mapped_column(String(64))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempts: Mapped[list[JobAttempt]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobAttempt.number"
    )


class JobAttempt(Base):
    """One start of a job's trainer: the first, a retry, the next stage, or a resume."""

    __tablename__ = "job_attempts"
    __table_args__ = (Index("ix_job_attempts_job_id", "job_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("training_jobs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    stage: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))  # start | retry | stage | resume | recover
    resume: Mapped[bool] = mapped_column(default=False)
    executor_handle: Mapped[str | None] = mapped_column(String(500))
    exit_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # The highest event sequence number the trainer reported, so retried reports are not doubled.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    job: Mapped[TrainingJob] = relationship(back_populates="attempts")


class MetricPoint(Base):
    """The metrics of one finished epoch of a job."""

    __tablename__ = "metric_points"
    __table_args__ = (Index("ix_metric_points_job_epoch", "job_id", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("training_jobs.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LogLine(Base):
    """One log line of a job: from its trainer, or from the platform about it."""

    __tablename__ = "log_lines"
    __table_args__ = (Index("ix_log_lines_job_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("training_jobs.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str] = mapped_column(String(10), default="info")
    source: Mapped[str] = mapped_column(String(20), default="trainer")  # trainer | platform
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatSession(Base):
    """One conversation of `POST /chat`: its state (JSON) and, once confirmed, its job."""

    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a random UUID
    state: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Grows by one on every write, so two requests on one session cannot both confirm it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("training_jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
