"""Batch inference routes: queue a batch job over a trained job's model, and follow it."""

from __future__ import annotations

from fastapi import APIRouter

from vision_platform.api.deps import JobId, Jobs
from vision_platform.jobs.schemas import BatchJobCreate, BatchJobOut

router = APIRouter(prefix="/inference/batch", tags=["inference"])


@router.post("", status_code=202, response_model=BatchJobOut)
def create_batch_job(body: BatchJobCreate, jobs: Jobs) -> BatchJobOut:
    """Queue a batch job: the scheduler runs `vp infer-batch` through the executor."""
    return jobs.create_batch(body)


@router.get("/{batch_id}", response_model=BatchJobOut)
def get_batch_job(batch_id: JobId, jobs: Jobs) -> BatchJobOut:
    """Status, progress 0..1, done/total, output_path and the error of a failed job."""
    return jobs.get_batch(batch_id)
