"""The scheduler: claims pending jobs, starts them through an executor, and acts on exits."""

from __future__ import annotations

import logging
import socket
import threading
import time

from vision_platform.errors import EXIT_RESUMABLE
from vision_platform.jobs.attempts import ClaimedJob, RunningJob
from vision_platform.jobs.executors.base import ExecutionRequest, Executor
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import StopRequest
from vision_platform.settings import Settings

log = logging.getLogger(__name__)

# How often, and how far apart, storing a started trainer's handle is tried (~10 s).
_RECORD_TRIES = 20
_RECORD_PAUSE_S = 0.5


class Scheduler:
    """Runs jobs with Kubernetes-Job guarantees: retries, stages, pause, cancel, recovery.

    `tick()` does one round of work and is what tests drive; `start()` runs it in a thread.
    """

    def __init__(
        self,
        *,
        service: JobService,
        executor: Executor,
        settings: Settings,
        callback_url: str | None = None,
        scheduler_id: str | None = None,
    ) -> None:
        self.service = service
        self.executor = executor
        self.settings = settings
        self.callback_url = callback_url or settings.callback_url
        self.id = scheduler_id or settings.scheduler_id or socket.gethostname()
        self.max_running = settings.max_concurrent_jobs
        self._signalled: dict[int, StopRequest] = {}
        self._recovered = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one round -------------------------------------------------------------------------
    def tick(self) -> None:
        if not self._recovered:
            self.recover()
        running = self.service.running(self.id)
        still_running = [job for job in running if not self._reap(job)]
        for job in still_running:
            self._pass_on_request(job)
        for claim in self.service.claim(
            scheduler_id=self.id, limit=self.max_running - len(still_running)
        ):
            self._launch(claim)

    def recover(self) -> None:
        """After a restart: jobs this scheduler ran that its executor no longer knows resume."""
        for job in self.service.running(self.id):
            if job.handle is not None and not self.executor.status(job.handle).lost:
                continue
            if job.handle is not None:
                self.executor.release(job.handle, grace_seconds=self.settings.stop_grace_seconds)
            self.service.requeue_lost(job.job_id, job.attempt, "the server restarted")
        self._recovered = True

    def _reap(self, job: RunningJob) -> bool:
        """Finish the job's attempt when its trainer has exited; True when it had."""
        if job.handle is None:
            return False  # being launched right now
        state = self.executor.status(job.handle)
        if state.running:
            return False
        if state.lost:
            self.service.requeue_lost(job.job_id, job.attempt, "the executor lost the trainer")
        else:
            assert state.exit_code is not None
            tail = self.executor.logs(job.handle, tail=50)
            decision = self.service.finish_attempt(
                job.job_id, job.attempt, exit_code=state.exit_code, log_tail=tail
            )
            log.info("job %s attempt %s: %s", job.job_id, job.attempt, decision.outcome)
        self.executor.forget(job.handle)
        self._signalled.pop(job.job_id, None)
        return True

    def _pass_on_request(self, job: RunningJob) -> None:
        if job.requested is None or job.handle is None:
            return
        if self._signalled.get(job.job_id) == job.requested:
            return
        if job.requested is StopRequest.CANCEL:
            self.executor.cancel(job.handle, grace_seconds=self.settings.stop_grace_seconds)
        else:
            self.executor.stop(job.handle)
        self._signalled[job.job_id] = job.requested

    def _launch(self, claim: ClaimedJob) -> None:
        env = {"VP_JOB_TOKEN": claim.token, "VP_JOB_ATTEMPT": str(claim.attempt)}
        if self.callback_url:
            env["VP_CALLBACK_URL"] = self.callback_url
        request = ExecutionRequest(
            job_id=claim.job_id,
            attempt=claim.attempt,
            spec=claim.spec,
            work_dir=claim.work_dir,
            env=env,
        )
        try:
            handle = self.executor.submit(request)
        except Exception as e:
            log.exception("job %s: submit failed", claim.job_id)
            self.service.finish_attempt(
                claim.job_id, claim.attempt, exit_code=1, log_tail=[f"could not start: {e}"]
            )
            return
        self._record_handle(claim, handle)

    def _record_handle(self, claim: ClaimedJob, handle: str) -> None:
        """Store the trainer's handle, retried through a dropped database connection: a job
        whose handle is never stored is never reaped."""
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                self.service.set_handle(claim.job_id, claim.attempt, handle)
                return
            except Exception:
                if attempt == _RECORD_TRIES:
                    raise
                log.warning("job %s: storing its handle failed; retrying", claim.job_id)
                time.sleep(_RECORD_PAUSE_S)

    # --- in a thread -----------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="vp-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad round (database busy, …) must not end scheduling
                log.exception("scheduler round failed")
            self._stop.wait(self.settings.scheduler_poll_seconds)

    def shutdown(self, *, stop_jobs: bool = True) -> None:
        """Stop scheduling; running trainers save (SIGTERM), and their jobs go back in the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if not stop_jobs:
            return
        running = [
            (job, job.handle) for job in self.service.running(self.id) if job.handle is not None
        ]
        for _, handle in running:
            self.executor.stop(handle)
        deadline = time.monotonic() + self.settings.stop_grace_seconds
        for job, handle in running:
            while self.executor.status(handle).running and time.monotonic() < deadline:
                time.sleep(0.1)
            state = self.executor.status(handle)
            if state.running:
                self.executor.cancel(handle, grace_seconds=0)
            elif state.exit_code == EXIT_RESUMABLE and job.requested is None:
                # Stopped by the shutdown, not by its own deadline: not a stage of its own.
                self.service.requeue_lost(
                    job.job_id, job.attempt, "the server shut down", exit_code=state.exit_code
                )
                self.executor.forget(handle)
            else:
                self._reap(job)
