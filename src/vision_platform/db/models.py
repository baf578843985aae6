"""SQLAlchemy 2 models: training jobs, their attempts, metric points, log lines; chat sessions;
the model registry (named models, their versions and aliases), data set versions; the
scheduler's lease."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONDict = JSON().with_variant(JSONB(), "postgresql")


# The completed jobs whose `register_as` still waits to be done (a partial index's condition).
REGISTER_PENDING = (
    "status = 'completed' AND register_as IS NOT NULL AND register_settled_at IS NULL"
)


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
        Index("ix_training_jobs_dataset_ref", "dataset_ref"),  # which jobs use a data set version
        # Pages of the jobs list, newest first, of one kind and optionally one status.
        Index("ix_training_jobs_kind_id", "kind", "id"),
        Index("ix_training_jobs_kind_status_id", "kind", "status", "id"),
        # The completed jobs whose register_as is still to be done (the registry's reconciler).
        Index(
            "ix_training_jobs_register_pending",
            "id",
            sqlite_where=text(REGISTER_PENDING),
            postgresql_where=text(REGISTER_PENDING),
        ),
        # The newest write of any job: the jobs table's marker (jobs/marker.py).
        Index("ix_training_jobs_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(String(200))
    framework: Mapped[str] = mapped_column(String(50))
    task_type: Mapped[str] = mapped_column(String(50))
    dataset_path: Mapped[str] = mapped_column(String(2000))
    # "name@version" when the job named a stored data set; `dataset_path` is then where it lies.
    dataset_ref: Mapped[str | None] = mapped_column(String(100))
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
    # The registered model this job becomes a version of when it completes.
    register_as: Mapped[str | None] = mapped_column(String(100))
    # When its register_as was settled: registered, or given up for good (its log says why).
    # NULL while a completed job still waits for it (a crash between the two): see
    # registry/service.py's `reconcile`.
    register_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "train", or "batch_inference": then `batch_spec` is its BatchInferenceSpec, the model
    # comes from the trained job `source_job_id`, and `items_done`/`items_total` its progress.
    kind: Mapped[str] = mapped_column(String(20), default="train", server_default="train")
    batch_spec: Mapped[dict[str, Any] | None] = mapped_column(JSONDict)
    source_job_id: Mapped[int | None] = mapped_column(Integer)
    items_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    items_total: Mapped[int | None] = mapped_column(Integer)

    status: Mapped[str] = mapped_column(String(20), default="pending")
    # The queue: low | normal | high, the named queue (VP_QUEUES) if any, when the job last
    # joined the queue (its age there), why it is back in it (a preemption), and by whom.
    priority: Mapped[str] = mapped_column(String(10), default="normal", server_default="normal")
    queue: Mapped[str | None] = mapped_column(String(100))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queue_reason: Mapped[str | None] = mapped_column(String(500))
    preempted_by: Mapped[int | None] = mapped_column(Integer)
    # "pause", "cancel" or "preempt" asked for while running; the scheduler signals the trainer.
    requested_action: Mapped[str | None] = mapped_column(String(20))
    current_epoch: Mapped[int] = mapped_column(Integer, default=0)
    best_metric_name: Mapped[str] = mapped_column(String(50))
    best_metric: Mapped[float | None] = mapped_column(Float)
    output_dir: Mapped[str] = mapped_column(String(2000), default="")
    last_checkpoint_uri: Mapped[str | None] = mapped_column(String(2000))
    # When the trainer last reported a checkpoint: what a preemption would lose is since then.
    last_checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    best_checkpoint_uri: Mapped[str | None] = mapped_column(String(2000))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    stage_count: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    # Which scheduler runs it, the executor's handle and the hash of the attempt's report token.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    executor_handle: Mapped[str | None] = mapped_column(String(500))
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # The scheduler lease's epoch under which the running attempt was claimed or adopted: a
    # leader tells its own jobs from those of a leader before it by this.
    lease_epoch: Mapped[int | None] = mapped_column(Integer)

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


class RegisteredModel(Base):
    """A named model of the registry: its versions (trained jobs) and aliases."""

    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # Version numbers are never given twice, also after the newest version was deleted.
    next_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    versions: Mapped[list[ModelVersion]] = relationship(
        back_populates="model", cascade="all, delete-orphan", order_by="ModelVersion.version"
    )
    aliases: Mapped[list[ModelAlias]] = relationship(
        cascade="all, delete-orphan", order_by="ModelAlias.alias"
    )


class ModelVersion(Base):
    """One version of a registered model: a completed training job, as it was registered."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
        UniqueConstraint("model_id", "job_id", name="uq_model_versions_model_job"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int] = mapped_column(ForeignKey("training_jobs.id"))
    framework: Mapped[str] = mapped_column(String(50))
    model_name: Mapped[str] = mapped_column(String(200))
    task_type: Mapped[str] = mapped_column(String(50))
    dataset: Mapped[str] = mapped_column(String(2000))
    # "name@version" when the job trained from a stored data set (`dataset` is where it lay).
    dataset_ref: Mapped[str | None] = mapped_column(String(100))
    # The sha256 of best.pt when it was registered: serving checks the file still has it.
    checkpoint_sha256: Mapped[str] = mapped_column(String(64))
    config: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    best_metric_name: Mapped[str] = mapped_column(String(50))
    best_metric: Mapped[float | None] = mapped_column(Float)
    best_epoch: Mapped[int | None] = mapped_column(Integer)
    final_metrics: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    best_metrics: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    # Format → {"sha256", "size"} of each export (ONNX) there was when it was registered.
    exports: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    model: Mapped[RegisteredModel] = relationship(back_populates="versions")


class ModelAlias(Base):
    """A movable name (`production`, `staging`) for one version of a registered model."""

    __tablename__ = "model_aliases"

    model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    # RESTRICT: a version an alias points at cannot go (the registry answers 409 first).
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="RESTRICT"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    version: Mapped[ModelVersion] = relationship()


class DatasetVersion(Base):
    """One immutable version of a named data set: its content digest, where its files lie in
    artifact storage, and the report of its check."""

    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
        Index("ix_dataset_versions_name_created_at", "name", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(16))  # the digest's first hex digits
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of paths and file hashes
    format: Mapped[str] = mapped_column(String(20))  # as uploaded: imagefolder | yolo | coco
    task_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    num_images: Mapped[int] = mapped_column(Integer)
    num_classes: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(String(2000))
    report: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegistryGeneration(Base):
    """One row whose `generation` grows with every write to the registry (a version added or
    deleted, an alias moved): a server caches what refs resolve to until it changes."""

    __tablename__ = "registry_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)


class SchedulerLease(Base):
    """The lease that elects the one scheduler of all the servers on one database.

    `epoch` grows by one each time another holder takes the lease: it is the fencing token
    every scheduler write is checked against. `expires_at` is in seconds since the epoch by
    the database's own clock, so servers' clocks need not agree."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)
