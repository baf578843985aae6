"""What a training run recorded, read back whole: its resolved config and its epochs' metrics.

The model registry stores this with each version and the comparison of jobs shows it side by
side; both read it here, so a version and a comparison never disagree about a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from vision_platform.adapters.registry import registry
from vision_platform.configs import effective_config
from vision_platform.db.models import MetricPoint, TrainingJob
from vision_platform.errors import InvalidInputError


class RunMetrics(BaseModel):
    """A run's metrics as the API shows them (a registered version's, a compared job's)."""

    best_metric_name: str
    best_metric: float | None
    best_epoch: int | None
    final_metrics: dict[str, float]
    best_metrics: dict[str, float]


@dataclass(frozen=True)
class RunRecord:
    """One training job's config as the trainer resolved it, and its metrics epoch by epoch."""

    job_id: int
    status: str
    best_metric_name: str
    config: dict[str, Any]
    epochs: dict[int, dict[str, float]]  # epoch → its numeric metrics

    @property
    def final_metrics(self) -> dict[str, float]:
        """The metrics of the last epoch ({} before the first one ended)."""
        return self.epochs[max(self.epochs)] if self.epochs else {}

    @property
    def best_epoch(self) -> int | None:
        """The first epoch with the highest `best_metric_name` (the one best.pt was saved at)."""
        scored = [
            (v[self.best_metric_name], -e)
            for e, v in self.epochs.items()
            if self.best_metric_name in v
        ]
        return -max(scored)[1] if scored else None

    @property
    def best_metrics(self) -> dict[str, float]:
        best = self.best_epoch
        return self.epochs[best] if best is not None else {}

    @property
    def best_metric(self) -> float | None:
        return self.best_metrics.get(self.best_metric_name)

    def metrics(self) -> dict[str, Any]:
        """The RunMetrics fields (also the registry's column names)."""
        return {name: getattr(self, name) for name in RunMetrics.model_fields}


def resolved_config(job: TrainingJob) -> dict[str, Any]:
    """The run's settings: the job's own fields and its framework config resolved the way the
    trainer resolves it (defaults, then the preset, then advanced_config and learning_rate)."""
    try:
        adapter_cls = registry.get(job.framework)
        config = effective_config(
            schema=adapter_cls.config_schema(),
            presets=adapter_cls.presets(),
            preset=job.preset,
            advanced_config=job.advanced_config,
            learning_rate=job.learning_rate,
        )
    except InvalidInputError:  # a framework gone or a schema changed since the job ran
        config = dict(job.advanced_config)
    return {
        "model_name": job.model_name,
        "framework": job.framework,
        "task_type": job.task_type,
        "dataset": job.dataset_path,
        "num_epochs": job.num_epochs,
        "batch_size": job.batch_size,
        "image_size": job.image_size,
        "preset": job.preset,
        "seed": job.seed,
        "config": config,
    }


def run_record(session: Session, job: TrainingJob) -> RunRecord:
    """The job's record, read in `session`."""
    points = session.scalars(
        select(MetricPoint).where(MetricPoint.job_id == job.id).order_by(MetricPoint.id)
    ).all()
    epochs = {p.epoch: _numbers(p.values) for p in points}  # a rerun epoch: the later point
    return RunRecord(
        job_id=job.id,
        status=job.status,
        best_metric_name=job.best_metric_name,
        config=resolved_config(job),
        epochs=dict(sorted(epochs.items())),
    )


def flat_config(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A resolved config as one level of dotted keys (`config.learning_rate`)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(flat_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    return {
        key: float(value)
        for key, value in values.items()
        if key != "epoch" and isinstance(value, int | float) and not isinstance(value, bool)
    }
