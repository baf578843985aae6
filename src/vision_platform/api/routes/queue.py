"""GET /queue: the waiting jobs in the order they start, with their reasons, and the
running ones."""

from __future__ import annotations

from fastapi import APIRouter

from vision_platform.api.deps import Jobs
from vision_platform.jobs.schemas import QueueView

router = APIRouter(prefix="/queue", tags=["jobs"])


@router.get("", response_model=QueueView)
def job_queue(jobs: Jobs) -> QueueView:
    """The running jobs, the waiting ones in the scheduler's order (priority, then age, with
    aging) each with its place and why it waits, and each named queue (VP_QUEUES) with its
    limit and load."""
    return jobs.queue_view()
