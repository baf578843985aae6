"""The jobs service: one small context per concern, composed by one object.

Like Determined's `core.Context`, `JobService` holds the contexts (`queries`, `creation`,
`actions`, `attempts`, `reports`) and offers their methods under the flat names the routes and
the scheduler call; it has no logic of its own but telling who listens that a job completed,
and running the catch-up work that others hand it on each scheduler round."""

from __future__ import annotations

import logging
from collections.abc import Callable

from vision_platform.db.session import Database
from vision_platform.jobs.actions import JobActions
from vision_platform.jobs.attempts import AttemptProtocol
from vision_platform.jobs.creation import JobCreation
from vision_platform.jobs.leader import Fence
from vision_platform.jobs.queries import JobQueries
from vision_platform.jobs.reports import TrainerReports
from vision_platform.jobs.states import ExitDecision, JobStatus
from vision_platform.settings import Settings

log = logging.getLogger(__name__)


class JobService:
    """Creates, lists and steers jobs, and records what schedulers and trainers report."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.queries = JobQueries(db, settings)
        self.creation = JobCreation(db, settings, self.queries)
        self.actions = JobActions(db)
        self.attempts = AttemptProtocol(db, settings)
        self.reports = TrainerReports(db)
        # Each is called with the id of a job that has just completed (the model registry's
        # `register_as`); a listener handles its own errors.
        self.completion_listeners: list[Callable[[int], None]] = []
        # Each is called on every round of the leading scheduler (so also first thing after a
        # restart): work a crash may have left undone, such as a completed job's register_as.
        self.reconcilers: list[Callable[[], None]] = []

        # Reading (the API, the event streams, predictions).
        self.get = self.queries.get
        self.get_doc = self.queries.get_doc
        self.get_batch = self.queries.get_batch
        self.list_jobs = self.queries.list_jobs
        self.list_page = self.queries.list_page
        self.rendered_page = self.queries.rendered_page
        self.kept_page = self.queries.kept_page
        self.marker = self.queries.marker
        self.get_docs = self.queries.get_docs
        self.changed_since = self.queries.changed_since
        self.metrics = self.queries.metrics
        self.logs = self.queries.logs
        self.output_dir = self.queries.output_dir
        self.model_files = self.queries.model_files
        self.queue_view = self.queries.queue.view
        # Creating (POST /jobs, /chat/{id}/confirm, /inference/batch, /configs/validate).
        self.validate_config = self.creation.validate_config
        self.create = self.creation.create
        self.create_batch = self.creation.create_batch
        # The user's actions.
        self.pause = self.actions.pause
        self.resume = self.actions.resume
        self.cancel = self.actions.cancel
        self.set_priority = self.actions.set_priority
        # The scheduler's side.
        self.claim = self.attempts.claim
        self.set_handle = self.attempts.set_handle
        self.adopt = self.attempts.adopt
        self.running = self.attempts.running
        self.requeue_lost = self.attempts.requeue_lost
        self.preempt = self.attempts.preempt
        # The trainer's reports (POST /jobs/{id}/report).
        self.record_report = self.reports.record_report

    def finish_attempt(
        self,
        job_id: int,
        attempt: int,
        *,
        exit_code: int,
        log_tail: list[str],
        fence: Fence | None = None,
    ) -> ExitDecision:
        """The attempts' `finish_attempt`, then the completion listeners if the job completed."""
        decision = self.attempts.finish_attempt(
            job_id, attempt, exit_code=exit_code, log_tail=log_tail, fence=fence
        )
        if decision.status is JobStatus.COMPLETED:
            for listener in self.completion_listeners:
                listener(job_id)
        return decision

    def reconcile(self) -> None:
        """Run the reconcilers; one that fails is logged, and the round goes on."""
        for reconciler in self.reconcilers:
            try:
                reconciler()
            except Exception:
                log.exception("reconciling failed (tried again on the next round)")
