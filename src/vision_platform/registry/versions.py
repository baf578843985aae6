"""A version's row: made from a completed job's record and files, and shown as the API shows it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vision_platform.db.models import ModelVersion, RegisteredModel, TrainingJob
from vision_platform.jobs.runs import RunMetrics, RunRecord
from vision_platform.registry.schemas import ExportOut, ModelSummary, ModelVersionOut

Digest = Callable[[Path], str]


def new_version_row(
    model: RegisteredModel,
    job: TrainingJob,
    record: RunRecord,
    *,
    checkpoint: Path,
    onnx: Path | None,
    digest: Digest,
) -> ModelVersion:
    """The model's next version, made of the job as it is now (its files hashed)."""
    exports = {}
    if onnx is not None:
        exports["onnx"] = {"sha256": digest(onnx), "size": onnx.stat().st_size}
    return ModelVersion(
        model_id=model.id,
        version=model.next_version,
        job_id=job.id,
        framework=job.framework,
        model_name=job.model_name,
        task_type=job.task_type,
        dataset=job.dataset_path,
        dataset_ref=job.dataset_ref,
        checkpoint_sha256=digest(checkpoint),
        config=record.config,
        exports=exports,
        **record.metrics(),
    )


def version_out(model: RegisteredModel, row: ModelVersion) -> ModelVersionOut:
    aliases = [a.alias for a in model.aliases if a.version_id == row.id]
    metrics = {name: getattr(row, name) for name in RunMetrics.model_fields}
    return ModelVersionOut(
        name=model.name,
        version=row.version,
        aliases=aliases,
        job_id=row.job_id,
        framework=row.framework,
        model_name=row.model_name,
        task_type=row.task_type,
        dataset=row.dataset,
        dataset_ref=row.dataset_ref,
        checkpoint_sha256=row.checkpoint_sha256,
        config=row.config,
        **metrics,
        exports={name: ExportOut.model_validate(e) for name, e in row.exports.items()},
        created_at=row.created_at,
    )


def summary_fields(model: RegisteredModel) -> ModelSummary:
    by_id = {v.id: v.version for v in model.versions}
    return ModelSummary(
        name=model.name,
        aliases={a.alias: by_id[a.version_id] for a in model.aliases if a.version_id in by_id},
        latest_version=model.versions[-1].version if model.versions else None,
        num_versions=len(model.versions),
        created_at=model.created_at,
        updated_at=model.updated_at,
    )
