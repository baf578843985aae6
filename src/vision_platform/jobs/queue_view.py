"""Reading the queue: where each waiting job stands and why (GET /jobs/{id}), and the whole
queue in the order it starts (GET /queue)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from vision_platform.db.models import TrainingJob, utcnow
from vision_platform.db.session import Database
from vision_platform.jobs import marker, queue, queue_rows
from vision_platform.jobs.schemas import QueuedJob, QueueLimit, QueueView
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings

_Standings = tuple[list[queue.Waiting], list[queue.Runner], dict[int, queue.Standing]]

# The standings are kept under the jobs table's marker (`jobs/marker.py`): any job that
# joins, leaves or changes in the waiting or running set moves it (so does any other job's
# write, which only costs working them out again). Two index lookups, where counting the
# waiting and running jobs read every one of them.
# Aging moves jobs with time alone: standings older than this are worked out again anyway.
_RECHECK_SECONDS = 5.0


class QueueReader:
    """Reads the queue the way the scheduler orders it; writes nothing.

    GET /jobs/{id} of a waiting job needs the whole queue's order; worked out once and kept
    while the jobs table is unchanged, a thousand-job queue costs a request nothing beyond the
    marker, which that request reads with the job itself."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._kept: marker.Kept[_Standings] = marker.Kept(_RECHECK_SECONDS)

    def _standings(self, mark: Any = None) -> _Standings:
        """The standings under `mark` (the jobs table's marker; None: read it now)."""
        if mark is None:
            mark = marker.read(self.db)
        settings = self.settings
        key = (settings.max_concurrent_jobs, settings.queues, settings.queue_aging_seconds)
        found = self._kept.get(key, mark)
        if found is None:
            found = self._work_out()
            self._kept.put(key, mark, found)
        return found

    def _work_out(self) -> _Standings:
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

    def standing(self, job_id: int, mark: Any = None) -> queue.Standing | None:
        """A waiting job's place and reason (None for a job that does not wait); `mark`: the
        jobs table's marker, when the caller read it already."""
        return self._standings(mark)[2].get(job_id)

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
