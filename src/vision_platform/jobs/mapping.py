"""The one home of the mapping between a job's database row and what others see of it: the
JobOut and BatchJobOut the API shows, the spec an attempt runs, and the rows of new jobs."""

from __future__ import annotations

from dataclasses import dataclass

from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.db.models import TrainingJob, utcnow
from vision_platform.jobs.schemas import BatchJobOut, JobCreate, JobOut
from vision_platform.jobs.states import JobStatus
from vision_platform.presets import Adjustment

TRAIN = "train"
BATCH_INFERENCE = "batch_inference"


def job_out(row: TrainingJob) -> JobOut:
    """The job as the API shows it (every kind alike: a batch job shows its stand-ins)."""
    out = JobOut.model_validate(row)
    resolution = row.config_resolution or {}
    out.preset_intent = resolution.get("intent")
    out.adjustments = [Adjustment.model_validate(a) for a in resolution.get("adjustments", [])]
    out.config_notes = list(resolution.get("notes", []))
    return out


# --- training jobs -------------------------------------------------------------------------
def new_training_row(
    request: JobCreate,
    *,
    framework: str,
    task_type: str,
    dataset_path: str,
    best_metric_name: str,
    dataset_ref: str | None = None,
) -> TrainingJob:
    """A pending training job's row: the request as checked and completed by job creation."""
    return TrainingJob(
        kind=TRAIN,
        model_name=request.model_name,
        framework=framework,
        task_type=task_type,
        dataset_path=dataset_path,
        dataset_ref=dataset_ref,
        num_epochs=request.num_epochs,
        batch_size=request.batch_size,
        learning_rate=request.learning_rate,
        image_size=request.image_size,
        preset=request.preset,
        advanced_config=request.advanced_config,
        max_stage_seconds=request.max_stage_seconds,
        seed=request.seed,
        register_as=request.register_as,
        priority=request.priority,
        queue=request.queue,
        queued_at=utcnow(),
        status=JobStatus.PENDING.value,
        best_metric_name=best_metric_name,
    )


def training_spec(row: TrainingJob, *, resume: bool) -> TrainingSpec:
    """What `vp train` runs for this attempt of a training job."""
    return TrainingSpec(
        model_name=row.model_name,
        dataset_path=row.dataset_path,
        framework=row.framework,
        task_type=row.task_type,
        num_epochs=row.num_epochs,
        batch_size=row.batch_size,
        learning_rate=row.learning_rate,
        image_size=row.image_size,
        preset=row.preset,
        advanced_config=dict(row.advanced_config),
        job_id=str(row.id),
        output_dir=row.output_dir,
        resume=resume,
        max_stage_seconds=row.max_stage_seconds,
        seed=row.seed,
        export_onnx=True,  # a completed job serves ONNX Runtime inference too
    )


def attempt_spec(row: TrainingJob, *, resume: bool) -> TrainingSpec | BatchInferenceSpec:
    """The spec an attempt of the job runs, whatever its kind."""
    batch = BatchJobView.of(row)
    return batch.spec if batch is not None else training_spec(row, resume=resume)


# --- batch inference jobs ------------------------------------------------------------------
def new_batch_row(
    source: JobOut,
    *,
    images: list[str] | None,
    prefix: str | None,
    batch_size: int,
    dataset_ref: str | None = None,
) -> TrainingJob:
    """A pending batch job's row, before its id (and so its folder and spec) is known.

    The jobs table was made for training runs and its training columns are NOT NULL, so a
    batch job fills them with stand-ins, here and nowhere else: `num_epochs=1`,
    `best_metric_name=""`, `advanced_config={}`, and `dataset_path` a description of its
    inputs (the prefix, or "N image(s)"). The model columns name the source job's model.
    Nothing reads the stand-ins back but JobOut, which shows every row alike: batch code
    reads the row through BatchJobView (batch_spec, source_job_id, items_done/items_total)."""
    return TrainingJob(
        kind=BATCH_INFERENCE,
        source_job_id=source.id,
        model_name=source.model_name,
        framework=source.framework,
        task_type=source.task_type,
        dataset_path=prefix or f"{len(images or [])} image(s)",
        dataset_ref=dataset_ref,
        num_epochs=1,
        batch_size=batch_size,
        advanced_config={},
        status=JobStatus.PENDING.value,
        queued_at=utcnow(),
        best_metric_name="",
        items_total=len(images) if images is not None else None,
    )


@dataclass(frozen=True)
class BatchJobView:
    """A batch inference job as what it is, over the shared jobs row (see `new_batch_row`)."""

    row: TrainingJob

    @classmethod
    def of(cls, row: TrainingJob) -> BatchJobView | None:
        """The view of `row` when it is a batch job's; None for a training job's."""
        return cls(row) if row.kind == BATCH_INFERENCE else None

    @property
    def spec(self) -> BatchInferenceSpec:
        return BatchInferenceSpec.model_validate(self.row.batch_spec)

    def store_spec(self, spec: BatchInferenceSpec) -> None:
        self.row.batch_spec = spec.model_dump(mode="json")

    @property
    def progress(self) -> float:
        """0..1: images done of those to do (1 once completed, whatever was counted)."""
        if self.row.status == JobStatus.COMPLETED.value:
            return 1.0
        total = self.row.items_total
        return min(1.0, self.row.items_done / total) if total else 0.0

    def record_progress(self, done: object, total: object) -> None:
        """Take a trainer's progress report when it makes sense (0 <= done <= total)."""
        if isinstance(done, int) and isinstance(total, int) and 0 <= done <= total:
            self.row.items_done, self.row.items_total = done, total

    def out(self) -> BatchJobOut:
        """The batch job as the API shows it (GET /inference/batch/{id})."""
        row, spec = self.row, self.spec
        return BatchJobOut(
            id=row.id,
            status=JobStatus(row.status),
            source_job_id=row.source_job_id,
            backend=spec.backend,
            batch_size=spec.batch_size,
            input_prefix=spec.input_prefix,
            dataset=row.dataset_ref,
            num_input_images=len(spec.input_images) if spec.input_images is not None else None,
            output_path=spec.output_path,
            done=row.items_done,
            total=row.items_total,
            progress=self.progress,
            error=row.error_message,
            attempt_count=row.attempt_count,
            failure_count=row.failure_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )
