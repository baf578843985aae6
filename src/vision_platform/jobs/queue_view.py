"""Reading the queue: where each waiting job stands and why (GET /jobs/{id}), and the whole
queue in the order it starts (GET /queue)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from vision_platform.db.models import TrainingJob, utcnow
from vision_platform.db.session import Database
from vision_platform.jobs import queue, queue_rows
from vision_platform.jobs.schemas import QueuedJob, QueueLimit, QueueView
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings


class QueueReader:
    """Reads the queue the way the scheduler orders it; writes nothing."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def _standings(
        self,
    ) -> tuple[list[queue.Waiting], list[queue.Runner], dict[int, queue.Standing]]:
        with self.db.session() as session:
            waiting = queue_rows.waiting(session)
            running = queue_rows.running(session)
        ordered = queue.order(waiting, utcnow(), self.settings.queue_aging_seconds)
        found = queue.standings(
            ordered,
            running,
            slots=self.settings.max_concurrent_jobs,
            limits=self.settings.queue_limits,
        )
        return ordered, running, found

    def standing(self, job_id: int) -> queue.Standing | None:
        """A waiting job's place and reason (None for a job that does not wait)."""
        return self._standings()[2].get(job_id)

    def view(self) -> QueueView:
        ordered, running, found = self._standings()
        ids = [w.job_id for w in ordered] + [r.job_id for r in running]
        with self.db.session() as session:
            jobs = {
                j.id: j for j in session.scalars(select(TrainingJob).where(TrainingJob.id.in_(ids)))
            }
            waiting = [_entry(jobs[w.job_id], found.get(w.job_id)) for w in ordered]
            active = [_entry(jobs[r.job_id], None) for r in running]
        busy = Counter(r.queue for r in running)
        queued = Counter(w.queue for w in ordered)
        return QueueView(
            slots=self.settings.max_concurrent_jobs,
            running=sorted(active, key=lambda j: j.id),
            waiting=waiting,
            queues=[
                QueueLimit(name=name, limit=limit, running=busy[name], waiting=queued[name])
                for name, limit in self.settings.queue_limits.items()
            ],
        )


def _entry(job: TrainingJob, standing: queue.Standing | None) -> QueuedJob:
    return QueuedJob(
        id=job.id,
        model_name=job.model_name,
        status=JobStatus(job.status),
        priority=job.priority,
        queue=job.queue,
        current_epoch=job.current_epoch,
        num_epochs=job.num_epochs,
        position=standing.position if standing else None,
        reason=standing.reason if standing else None,
        requested_action=job.requested_action,
    )
