"""GET /jobs/compare: training jobs side by side (included before the jobs routes, whose
/jobs/{job_id} would take "compare" for a job id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vision_platform.api.deps import Jobs
from vision_platform.jobs.compare import JobComparison, compare_jobs, parse_job_ids

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/compare", response_model=JobComparison)
def compare(
    jobs: Jobs,
    ids: Annotated[
        str,
        Query(max_length=400, description="Comma-separated job ids, e.g. 3,7 (2 to 20)."),
    ],
) -> JobComparison:
    """For each job its resolved config, the settings that differ, per-epoch curves aligned
    by epoch, final and best metrics, and which job is best."""
    return compare_jobs(jobs.db, parse_job_ids(ids))
