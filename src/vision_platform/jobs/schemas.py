"""Pydantic models at the jobs service's edge: what the API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from vision_platform.configs import Priority, TaskType
from vision_platform.jobs.states import JobStatus
from vision_platform.presets import Adjustment

# A registered model's name: a lower-case slug (it goes in URLs, and `@` starts a version ref).
MODEL_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"
DATASET = 'A stored data set: "name" (its newest version) or "name@version".'
PRIORITY = (
    "low | normal | high: the queue starts higher ones first (then the longest waiting) and "
    "preempts a running lower-priority job for a higher one when no slot is free."
)
QUEUE = "A named queue of VP_QUEUES (its concurrent-job limit applies); none: no limit of its own."
# JobOut's `dataset` is the row's dataset_ref: the version a job used, as "name@version".
_DATASET_REF = AliasChoices("dataset", "dataset_ref")


class JobCreate(BaseModel):
    """A request for a training job (POST /jobs)."""

    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(min_length=1, max_length=200)
    dataset_path: str | None = Field(default=None, min_length=1, max_length=2000)
    dataset: str | None = Field(default=None, min_length=1, max_length=100, description=DATASET)
    framework: str | None = Field(default=None, max_length=50)
    task_type: TaskType | None = None
    num_epochs: int = Field(default=10, ge=1, le=100_000)
    batch_size: int = Field(default=16, ge=1, le=4096)
    learning_rate: float | None = Field(default=None, gt=0, le=10)
    image_size: int | None = Field(default=None, ge=8, le=4096)
    preset: str | None = Field(default=None, max_length=50)
    advanced_config: dict[str, Any] = Field(default_factory=dict)
    max_stage_seconds: float | None = Field(default=None, gt=0, le=30 * 24 * 3600)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    register_as: str | None = Field(
        default=None,
        pattern=MODEL_NAME_PATTERN,
        description="Register the job as a new version of this model when it completes.",
    )
    priority: Priority = Field(default="normal", description=PRIORITY)
    queue: str | None = Field(default=None, min_length=1, max_length=100, description=QUEUE)

    @model_validator(mode="after")
    def _one_dataset(self) -> JobCreate:
        if (self.dataset_path is None) == (self.dataset is None):
            raise ValueError("give exactly one of dataset_path and dataset")
        return self


class JobResume(BaseModel):
    """What may change when a paused job resumes (POST /jobs/{id}/resume; no body: nothing)."""

    model_config = ConfigDict(extra="forbid")

    num_epochs: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Train on to this many epochs in all (more than the job has finished).",
    )


class JobSummary(BaseModel):
    """A job as the jobs list shows it: all of it but its advanced config (GET /jobs/{id})."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = "train"
    status: JobStatus
    model_name: str
    framework: str
    task_type: str
    dataset_path: str
    dataset: str | None = Field(
        default=None,
        validation_alias=_DATASET_REF,
        description="The stored data set version the job uses (name@version), if it named one.",
    )
    num_epochs: int
    batch_size: int
    learning_rate: float | None
    image_size: int | None
    preset: str | None
    max_stage_seconds: float | None
    seed: int | None
    register_as: str | None = None
    priority: Priority = "normal"
    queue: str | None = None
    requested_action: str | None
    current_epoch: int
    best_metric_name: str
    best_metric: float | None
    last_checkpoint_uri: str | None
    best_checkpoint_uri: str | None
    attempt_count: int
    failure_count: int
    stage_count: int
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobOut(JobSummary):
    """A job as the API shows it."""

    advanced_config: dict[str, Any]
    # The preset's intent and each value resolved for the run differently from its nominal one.
    preset_intent: str | None = None
    adjustments: list[Adjustment] = Field(default_factory=list)
    config_notes: list[str] = Field(default_factory=list)
    queue_position: int | None = Field(
        default=None, description="A waiting job's place in the queue (1: starts next)."
    )
    waiting_reason: str | None = Field(
        default=None,
        description='Why a waiting job waits: "2 jobs ahead in queue research", '
        '"preempted by job 7 at epoch 12; resumes when a slot frees".',
    )


class JobPatch(BaseModel):
    """A change to a job (PATCH /jobs/{id}): its priority, while it waits or runs."""

    model_config = ConfigDict(extra="forbid")

    priority: Priority = Field(description=PRIORITY)


class QueuedJob(BaseModel):
    """A job of the queue view: waiting (with its place and reason) or running."""

    id: int
    model_name: str
    status: JobStatus
    priority: Priority
    queue: str | None
    current_epoch: int
    num_epochs: int
    position: int | None = None
    reason: str | None = None
    requested_action: str | None = None


class QueueLimit(BaseModel):
    """A named queue (VP_QUEUES): its limit and how many of its jobs run and wait."""

    name: str
    limit: int
    running: int
    waiting: int


class QueueView(BaseModel):
    """The queue (GET /queue): the running jobs, the waiting ones in the order they start,
    and the named queues."""

    slots: int = Field(description="VP_MAX_CONCURRENT_JOBS of this server.")
    running: list[QueuedJob]
    waiting: list[QueuedJob]
    queues: list[QueueLimit]


class JobPage(BaseModel):
    """One page of jobs, newest first.

    Read on with `offset`, or with `cursor=<next_cursor>`: a cursor page starts after the last
    job of the one before, so jobs created meanwhile never shift it (no job twice, none
    skipped)."""

    items: list[JobSummary]
    total: int | None = Field(description="Jobs matching the filter; null with total=false.")
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


class MetricPointOut(BaseModel):
    """The metrics of one epoch."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    epoch: int
    values: dict[str, Any]
    created_at: datetime


class JobMetrics(BaseModel):
    job_id: int
    best_metric_name: str
    best_metric: float | None
    points: list[MetricPointOut]


class LogLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    attempt: int
    level: str
    source: str
    message: str
    created_at: datetime


class JobLogs(BaseModel):
    """Log lines after the id `after`; pass `next_after` back to read on."""

    job_id: int
    items: list[LogLineOut]
    next_after: int


EventKind = Literal["status", "log", "epoch", "epoch_started", "checkpoint", "progress"]


class TrainerEvent(BaseModel):
    """One event a trainer reports; `seq` grows by one per event within an attempt.

    `attempt` (absent: the current one) names an earlier attempt for events its process could
    not deliver, which the next attempt sends on from the run folder's outbox."""

    model_config = ConfigDict(extra="forbid")

    attempt: int | None = Field(default=None, ge=1)
    seq: int = Field(ge=1)
    kind: EventKind
    payload: dict[str, Any] = Field(default_factory=dict)


class TrainerReport(BaseModel):
    """A batch of events from a job's trainer (POST /jobs/{id}/report, with the job token).

    The token names the attempt: each attempt gets its own, so a stale trainer cannot report."""

    model_config = ConfigDict(extra="forbid")

    events: list[TrainerEvent] = Field(max_length=1000)


class ReportAck(BaseModel):
    accepted: int
    last_seq: int


class ConfigValidateRequest(BaseModel):
    """An advanced config to check against a framework's schema (POST /configs/validate)."""

    model_config = ConfigDict(extra="forbid")

    framework: str = Field(min_length=1, max_length=50)
    preset: str | None = Field(default=None, max_length=50)
    advanced_config: dict[str, Any] = Field(default_factory=dict)
    # The run's numbers: with num_epochs, the config is resolved for the run (else nominal).
    num_epochs: int | None = Field(default=None, ge=1, le=100_000)
    batch_size: int = Field(default=16, ge=1, le=4096)
    learning_rate: float | None = Field(default=None, gt=0, le=10)
    image_size: int | None = Field(default=None, ge=8, le=4096)


class ConfigValidateResponse(BaseModel):
    valid: bool
    config: dict[str, Any]
    notes: list[str]
    preset_intent: str | None = None
    adjustments: list[Adjustment] = Field(default_factory=list)


class BatchJobCreate(BaseModel):
    """A request for a batch inference job (POST /inference/batch) with a trained job's model."""

    model_config = ConfigDict(extra="forbid")

    job_id: int = Field(
        ge=1, le=2**31 - 1, description="The trained job whose best.pt (or model.onnx) to use."
    )
    input_images: list[str] | None = Field(default=None, min_length=1, max_length=1_000_000)
    input_prefix: str | None = Field(default=None, min_length=1, max_length=2000)
    dataset: str | None = Field(
        default=None, min_length=1, max_length=100, description=DATASET + " Its images."
    )
    output_path: str | None = Field(
        default=None,
        max_length=2000,
        description=(
            "A .jsonl file in the artifact storage (a local path, or s3://… under the storage "
            "root); default the batch job's folder."
        ),
    )
    batch_size: int = Field(default=16, ge=1, le=4096)
    backend: Literal["eager", "onnx"] = "eager"

    @model_validator(mode="after")
    def _one_input(self) -> BatchJobCreate:
        given = [self.input_images, self.input_prefix, self.dataset]
        if sum(g is not None for g in given) != 1:
            raise ValueError("give exactly one of input_images, input_prefix and dataset")
        return self


class BatchJobOut(BaseModel):
    """A batch inference job as the API shows it (GET /inference/batch/{id})."""

    id: int
    status: JobStatus
    source_job_id: int | None
    backend: str
    batch_size: int
    input_prefix: str | None
    dataset: str | None = None
    num_input_images: int | None
    output_path: str
    done: int
    total: int | None
    progress: float = Field(ge=0, le=1)
    error: str | None
    attempt_count: int
    failure_count: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
