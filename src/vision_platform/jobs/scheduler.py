"""The scheduler: claims pending jobs, starts them through an executor, and acts on exits.

Every server runs one, but only the holder of the scheduler lease (`jobs/leader.py`) acts; the
others wait to take over. Each write it makes is fenced by the lease's epoch."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import replace

from vision_platform.errors import EXIT_RESUMABLE
from vision_platform.jobs.attempts import ClaimedJob, RunningJob
from vision_platform.jobs.errors import FencedOutError
from vision_platform.jobs.executors.base import ExecutionRequest, Executor
from vision_platform.jobs.leader import Fence, LeaderLease, holder_host, holder_id
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import StopRequest
from vision_platform.settings import Settings

log = logging.getLogger(__name__)

# How often, and how far apart, storing a started trainer's handle is tried (~10 s).
_RECORD_TRIES = 20
_RECORD_PAUSE_S = 0.5


class Scheduler:
    """Runs jobs with Kubernetes-Job guarantees: retries, stages, pause, cancel, recovery.

    `tick()` does one round of work and is what tests drive; `start()` runs it in a thread,
    beside a second one that keeps the lease renewed while a round waits on a trainer.
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
        name = scheduler_id or settings.scheduler_id or socket.gethostname()
        self.lease = LeaderLease(
            service.db, holder=holder_id(name), seconds=settings.scheduler_lease_seconds
        )
        self.id = self.lease.holder
        self.max_running = settings.max_concurrent_jobs
        self._signalled: dict[int, StopRequest] = {}
        self._stop = threading.Event()
        self._stop_keeper = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- one round -------------------------------------------------------------------------
    def tick(self) -> None:
        """One round, when this server holds the lease (else nothing: another schedules).

        A server with no job slots (VP_MAX_CONCURRENT_JOBS=0) serves the API only: it never
        takes the lease, so that it cannot keep it from a server that runs jobs."""
        if self.max_running <= 0:
            return
        fence = self.lease.hold()
        if fence is None:
            return
        try:
            self._round(fence)
        except FencedOutError as e:
            # Only a change of leader moves a running attempt on: see whether it happened.
            log.warning("scheduler %s: %s", self.id, e)
            self.lease.verify()

    def _round(self, fence: Fence) -> None:
        still_running = []
        for job in self.service.running():
            if job.lease_epoch != fence.epoch:
                if self._take_over(job, fence):
                    still_running.append(job)
            elif not self._reap(job, fence):
                still_running.append(job)
        for job in still_running:
            self._pass_on_request(job)
        live = {job.job_id: job.attempt for job in still_running}
        for claim in self.service.claim(
            scheduler_id=self.id, limit=self.max_running - len(still_running), fence=fence
        ):
            if self._launch(claim, fence):
                live[claim.job_id] = claim.attempt
        preempted = self.service.preempt(fence=fence)
        for job in still_running:
            if job.job_id == preempted:  # told now, not a poll later
                log.info("job %s: preempted for a job of higher priority", preempted)
                self._pass_on_request(replace(job, requested=StopRequest.PREEMPT))
        for handle in self.executor.end_orphans(live):
            log.warning(
                "ended %s: its attempt does not run (a server that died or lost the lease "
                "while starting it left it)",
                handle,
            )
        self.service.reconcile()  # e.g. a register_as that a crash left undone

    def _take_over(self, job: RunningJob, fence: Fence) -> bool:
        """A job an earlier leader (this server before a restart, or another) was running.

        It is made this lease's first (fenced: a stale leader stops here, before it touches
        any trainer); then it runs on where the executor still follows its trainer (a
        Kubernetes Job, a trainer this process started), else its trainer is made to save and
        end and the job queued to resume. True when it runs on."""
        self.service.adopt(job.job_id, job.attempt, fence=fence)
        state = self.executor.status(job.handle) if job.handle is not None else None
        if job.handle is not None and state is not None and not state.lost:
            if state.held:  # its leader died before letting it start: this one does
                self.executor.go(job.handle)
            log.info("job %s attempt %s: adopted by %s", job.job_id, job.attempt, self.id)
            return True
        if job.handle is not None:
            self.executor.release(job.handle, grace_seconds=self.settings.stop_grace_seconds)
        # No handle: its leader died while starting it; the executor ends a trainer it may have
        # left when the next attempt starts (LocalExecutor.submit: the job folder's lock;
        # KubernetesExecutor.submit: the job's other Jobs), or at the end of the round.
        self.service.requeue_lost(job.job_id, job.attempt, self._why_lost(job), fence=fence)
        return False

    def _why_lost(self, job: RunningJob) -> str:
        before, here = holder_host(job.claimed_by), socket.gethostname()
        if before in (None, here):
            return "the server restarted"
        return f"its server {before} stopped; {here} took over"

    def _reap(self, job: RunningJob, fence: Fence) -> bool:
        """Finish the job's attempt when its trainer has exited; True when it had."""
        if job.handle is None:
            # Rounds run one at a time, so its launch failed to record what it started: the
            # next attempt's start ends a trainer it may have left (see _take_over).
            self.service.requeue_lost(
                job.job_id, job.attempt, "its start was not recorded", fence=fence
            )
            return True
        state = self.executor.status(job.handle)
        if state.held:  # recorded, but its start was cut short: let it go now
            self.executor.go(job.handle)
            return False
        if state.running:
            return False
        if state.lost:
            self.service.requeue_lost(
                job.job_id, job.attempt, "the executor lost the trainer", fence=fence
            )
        else:
            assert state.exit_code is not None
            tail = self.executor.logs(job.handle, tail=50)
            decision = self.service.finish_attempt(
                job.job_id, job.attempt, exit_code=state.exit_code, log_tail=tail, fence=fence
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

    def _request(self, claim: ClaimedJob) -> ExecutionRequest:
        env = {"VP_JOB_TOKEN": claim.token, "VP_JOB_ATTEMPT": str(claim.attempt)}
        if self.callback_url:
            env["VP_CALLBACK_URL"] = self.callback_url
        return ExecutionRequest(
            job_id=claim.job_id,
            attempt=claim.attempt,
            spec=claim.spec,
            work_dir=claim.work_dir,
            env=env,
            priority=claim.priority,
        )

    def _launch(self, claim: ClaimedJob, fence: Fence) -> bool:
        """Start a claimed attempt; True when it runs.

        Where the executor knows the handle beforehand (a Kubernetes Job's name), it is
        recorded first and the trainer is let go only after a second fenced write: a server
        that dies anywhere in between leaves a recorded handle that its successor follows
        (adopts, or finds gone and requeues), and one fenced out leaves a Job that never ran."""
        planned = self.executor.planned_handle(claim.job_id, claim.attempt)
        if planned is not None:
            self._record_handle(claim, planned, fence, started=False)
        try:
            handle = self.executor.submit(self._request(claim))
        except Exception as e:
            log.exception("job %s: submit failed", claim.job_id)
            self._fail_start(claim, e, fence)
            return False
        self._record_handle(claim, handle, fence, started=planned is None)
        try:
            self.executor.go(handle)
        except Exception as e:
            log.exception("job %s: its trainer could not be started", claim.job_id)
            self.executor.cancel(handle, grace_seconds=0)
            self._fail_start(claim, e, fence)
            return False
        return True

    def _fail_start(self, claim: ClaimedJob, error: Exception, fence: Fence) -> None:
        self.service.finish_attempt(
            claim.job_id,
            claim.attempt,
            exit_code=1,
            log_tail=[f"could not start: {error}"],
            fence=fence,
        )

    def _record_handle(
        self, claim: ClaimedJob, handle: str, fence: Fence, *, started: bool = True
    ) -> None:
        """Store the trainer's handle, retried through a dropped database connection: a job
        whose handle is never stored is never reaped (`started`: whether a trainer already
        runs, which a fenced-out leader then ends)."""
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                self.service.set_handle(claim.job_id, claim.attempt, handle, fence=fence)
                return
            except FencedOutError:
                # The lease moved on while the trainer started: the new leader runs the job.
                # A held one is the new leader's to adopt (or, found an orphan, to delete).
                if started:
                    self.executor.cancel(handle, grace_seconds=0)
                raise
            except Exception:
                if attempt == _RECORD_TRIES:
                    raise
                log.warning("job %s: storing its handle failed; retrying", claim.job_id)
                time.sleep(_RECORD_PAUSE_S)

    # --- in threads ------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._stop_keeper.clear()
        self._threads = [
            threading.Thread(target=self._loop, name="vp-scheduler", daemon=True),
            threading.Thread(target=self._keep_lease, name="vp-scheduler-lease", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad round (database busy, …) must not end scheduling
                log.exception("scheduler round failed")
            self._stop.wait(self.settings.scheduler_poll_seconds)

    def _keep_lease(self) -> None:
        """Renew the lease on time even while a round waits (a trainer saving, a release)."""
        while self.max_running > 0 and not self._stop_keeper.wait(self.lease.seconds / 4):
            try:
                self.lease.hold()
            except Exception:
                log.exception("scheduler lease renewal failed")

    def shutdown(self, *, stop_jobs: bool = True) -> None:
        """Stop scheduling; running trainers save (SIGTERM), their jobs go back in the queue,
        and the lease is given back so that another server takes over at once.

        `stop_jobs=False` leaves everything as a crash would (trainers, lease)."""
        self._stop.set()
        loop, keeper = self._threads[:1], self._threads[1:]
        for thread in loop:
            thread.join()
        try:
            if stop_jobs and self.lease.fence is not None:
                self._stop_trainers(self.lease.fence)
                self.lease.release()
        finally:
            self._stop_keeper.set()
            for thread in keeper:
                thread.join()
            self._threads = []

    def _stop_trainers(self, fence: Fence) -> None:
        running = [
            (job, job.handle)
            for job in self.service.running()
            if job.handle is not None and job.lease_epoch == fence.epoch
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
                    job.job_id,
                    job.attempt,
                    "the server shut down",
                    exit_code=state.exit_code,
                    fence=fence,
                )
                self.executor.forget(handle)
            else:
                self._reap(job, fence)
