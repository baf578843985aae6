"""Training jobs side by side (GET /jobs/compare): settings, where they differ, curves by epoch."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from vision_platform.db.session import Database
from vision_platform.errors import InvalidInputError
from vision_platform.jobs import rows
from vision_platform.jobs.mapping import TRAIN
from vision_platform.jobs.runs import RunMetrics, RunRecord, flat_config, run_record

MAX_COMPARED = 20


class ComparedJob(RunMetrics):
    """One job of a comparison; `curves` maps each metric to its values at the comparison's
    `epochs` (null where this job has no such epoch)."""

    job_id: int
    status: str
    config: dict[str, Any]
    curves: dict[str, list[float | None]]


class JobComparison(BaseModel):
    """Jobs compared: `differences` maps each setting (dotted, e.g. `config.optimizer`) whose
    value is not the same in every job to each job's value, in the order of `job_ids`."""

    job_ids: list[int]
    epochs: list[int]
    differences: dict[str, list[Any]]
    best_metric_name: str | None = Field(
        description="The metric the jobs are ranked by; null when they do not share one."
    )
    best_job_id: int | None = Field(description="The job with the highest best metric.")
    jobs: list[ComparedJob]


def parse_job_ids(text: str) -> list[int]:
    """`1,2,3` → [1, 2, 3]; InvalidInputError (422) naming `ids` for anything else."""
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as e:
        raise InvalidInputError(f"ids: {text!r} is not a comma-separated list of job ids") from e
    ids = list(dict.fromkeys(ids))
    if not 2 <= len(ids) <= MAX_COMPARED:
        raise InvalidInputError(f"ids: give 2 to {MAX_COMPARED} different job ids, not {len(ids)}")
    if any(not 0 <= i <= 2**31 - 1 for i in ids):
        raise InvalidInputError(f"ids: {text!r} holds an id out of range")
    return ids


def compare_jobs(db: Database, job_ids: list[int]) -> JobComparison:
    """The jobs' records side by side (JobNotFoundError for an unknown id, 422 for a batch job)."""
    with db.session() as session:
        records = []
        for job_id in job_ids:
            job = rows.find_job(session, job_id)
            if job.kind != TRAIN:
                raise InvalidInputError(
                    f"ids: job {job_id} is a {job.kind} job, not a training run"
                )
            records.append(run_record(session, job))
    epochs = sorted({epoch for record in records for epoch in record.epochs})
    names = {record.best_metric_name for record in records}
    metric = names.pop() if len(names) == 1 else None
    return JobComparison(
        job_ids=job_ids,
        epochs=epochs,
        differences=_differences([record.config for record in records]),
        best_metric_name=metric,
        best_job_id=_best_job(records) if metric else None,
        jobs=[_compared(record, epochs) for record in records],
    )


def _compared(record: RunRecord, epochs: list[int]) -> ComparedJob:
    metrics = sorted({name for values in record.epochs.values() for name in values})
    return ComparedJob(
        job_id=record.job_id,
        status=record.status,
        config=record.config,
        **record.metrics(),
        curves={
            name: [record.epochs.get(epoch, {}).get(name) for epoch in epochs] for name in metrics
        },
    )


def _best_job(records: list[RunRecord]) -> int | None:
    """The job with the highest best metric; on a tie the one listed first."""
    best: RunRecord | None = None
    for record in records:
        score = record.best_metric
        if score is not None and (best is None or score > (best.best_metric or 0.0)):
            best = record
    return best.job_id if best is not None else None


def _differences(configs: list[dict[str, Any]]) -> dict[str, list[Any]]:
    flats = [flat_config(config) for config in configs]
    keys = sorted({key for flat in flats for key in flat})
    values = {key: [flat.get(key) for flat in flats] for key in keys}
    return {key: vals for key, vals in values.items() if any(v != vals[0] for v in vals)}
