"""The trainers' callback route: events of a run, authenticated with the job's own token."""

from __future__ import annotations

from fastapi import APIRouter

from vision_platform.api.deps import JobId, Jobs, Token
from vision_platform.jobs.schemas import ReportAck, TrainerReport

router = APIRouter(prefix="/jobs", tags=["trainer callback"])


@router.post("/{job_id}/report", response_model=ReportAck)
def report(job_id: JobId, body: TrainerReport, jobs: Jobs, token: Token) -> ReportAck:
    """Store a trainer's events (Authorization: Bearer <VP_JOB_TOKEN>)."""
    return jobs.record_report(job_id, token, body)
