"""Reading jobs: one job, pages of jobs, what changed, metrics, logs and a job's model files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from vision_platform.db.models import LogLine, MetricPoint, TrainingJob
from vision_platform.db.session import Database
from vision_platform.jobs.errors import InvalidJobStateError, JobNotFoundError
from vision_platform.jobs.mapping import TRAIN, BatchJobView, job_out
from vision_platform.jobs.paths import job_dir
from vision_platform.jobs.rows import find_job
from vision_platform.jobs.schemas import (
    BatchJobOut,
    JobLogs,
    JobMetrics,
    JobOut,
    JobPage,
    LogLineOut,
    MetricPointOut,
)
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings

_KNOWN_JOBS_MAX = 100_000


class JobQueries:
    """Reads jobs; writes nothing."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        # Ids of jobs seen to exist. Jobs are never deleted, so a prediction with a known job
        # needs no database round trip (bounded: cleared when it grows past _KNOWN_JOBS_MAX).
        self._known_jobs: set[int] = set()

    def get(self, job_id: int) -> JobOut:
        with self.db.session() as session:
            return job_out(find_job(session, job_id))

    def get_batch(self, batch_id: int) -> BatchJobOut:
        """A batch inference job (JobNotFoundError for a job of another kind)."""
        with self.db.session() as session:
            batch = BatchJobView.of(find_job(session, batch_id))
            if batch is None:
                raise JobNotFoundError(batch_id)
            return batch.out()

    def output_dir(self, job_id: int) -> Path:
        with self.db.session() as session:
            return Path(find_job(session, job_id).output_dir)

    def model_files(self, job_id: int) -> tuple[Path, Path | None]:
        """The job's best.pt and its model.onnx (None until exported); 409 before any epoch."""
        folder = job_dir(self.settings, job_id)
        best = folder / "weights" / "best.pt"
        if job_id not in self._known_jobs or not best.is_file():
            with self.db.session() as session:  # one column: this runs on every prediction
                status = session.scalar(select(TrainingJob.status).where(TrainingJob.id == job_id))
            if status is None:
                raise JobNotFoundError(job_id)
            if len(self._known_jobs) >= _KNOWN_JOBS_MAX:
                self._known_jobs.clear()
            self._known_jobs.add(job_id)
            if not best.is_file():
                raise InvalidJobStateError(job_id, status, "predict with it (no checkpoint yet)")
        onnx = folder / "model.onnx"
        return best, onnx if onnx.is_file() else None

    def list_jobs(
        self,
        *,
        status: JobStatus | None = None,
        limit: int = 50,
        offset: int = 0,
        kind: str | None = TRAIN,
    ) -> JobPage:
        """Jobs newest first: training jobs unless `kind` names another kind (None: every kind)."""
        with self.db.session() as session:
            query = select(TrainingJob)
            count = select(func.count()).select_from(TrainingJob)
            if kind is not None:
                query = query.where(TrainingJob.kind == kind)
                count = count.where(TrainingJob.kind == kind)
            if status is not None:
                query = query.where(TrainingJob.status == status.value)
                count = count.where(TrainingJob.status == status.value)
            rows = session.scalars(
                query.order_by(TrainingJob.id.desc()).limit(limit).offset(offset)
            ).all()
            total = session.scalar(count) or 0
            return JobPage(
                items=[job_out(r) for r in rows], total=total, limit=limit, offset=offset
            )

    def changed_since(self, since: datetime, *, kind: str | None = TRAIN) -> list[JobOut]:
        """Jobs whose row was written at or after `since` (of any status), oldest write first."""
        with self.db.session() as session:
            query = select(TrainingJob).where(TrainingJob.updated_at >= since)
            if kind is not None:
                query = query.where(TrainingJob.kind == kind)
            rows = session.scalars(query.order_by(TrainingJob.updated_at, TrainingJob.id)).all()
            return [job_out(r) for r in rows]

    def metrics(self, job_id: int, *, after: int = 0) -> JobMetrics:
        with self.db.session() as session:
            job = find_job(session, job_id)
            points = session.scalars(
                select(MetricPoint)
                .where(MetricPoint.job_id == job_id, MetricPoint.id > after)
                .order_by(MetricPoint.epoch, MetricPoint.id)
            ).all()
            return JobMetrics(
                job_id=job_id,
                best_metric_name=job.best_metric_name,
                best_metric=job.best_metric,
                points=[MetricPointOut.model_validate(p) for p in points],
            )

    def logs(self, job_id: int, *, after: int = 0, limit: int = 1000) -> JobLogs:
        with self.db.session() as session:
            find_job(session, job_id)
            lines = session.scalars(
                select(LogLine)
                .where(LogLine.job_id == job_id, LogLine.id > after)
                .order_by(LogLine.id)
                .limit(limit)
            ).all()
            items = [LogLineOut.model_validate(line) for line in lines]
            return JobLogs(job_id=job_id, items=items, next_after=items[-1].id if items else after)
