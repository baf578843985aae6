"""The jobs service: every query and transaction on jobs, and the state machine's moves."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from vision_platform import configs
from vision_platform.adapters.base import VisionAdapter
from vision_platform.adapters.registry import registry
from vision_platform.configs import (
    BatchInferenceSpec,
    TrainingSpec,
    inactive_fields,
    unknown_name_message,
)
from vision_platform.db.models import JobAttempt, LogLine, MetricPoint, TrainingJob, utcnow
from vision_platform.db.session import Database
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.errors import (
    InvalidJobStateError,
    JobNotFoundError,
    JobTokenError,
    PathNotAllowedError,
)
from vision_platform.jobs.paths import (
    check_data_path,
    check_readable_path,
    check_remote_dataset,
    check_storage_uri,
    job_dir,
)
from vision_platform.jobs.schemas import (
    BatchJobCreate,
    BatchJobOut,
    ConfigValidateRequest,
    ConfigValidateResponse,
    JobCreate,
    JobLogs,
    JobMetrics,
    JobOut,
    JobPage,
    LogLineOut,
    MetricPointOut,
    ReportAck,
    TrainerReport,
)
from vision_platform.jobs.states import (
    ExitDecision,
    JobStatus,
    StopRequest,
    can_move,
    decide_exit,
)
from vision_platform.settings import Settings
from vision_platform.storage import is_remote, store_for

_ERROR_TAIL_LINES = 20
TRAIN = "train"
BATCH_INFERENCE = "batch_inference"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ClaimedJob:
    """A job a scheduler has just moved to running: what its executor needs to start it."""

    job_id: int
    attempt: int
    reason: str
    spec: TrainingSpec | BatchInferenceSpec
    token: str
    work_dir: Path


@dataclass(frozen=True)
class RunningJob:
    """A job this scheduler runs, as the database sees it."""

    job_id: int
    attempt: int
    handle: str | None
    requested: StopRequest | None


def effective_config(
    adapter_cls: type[VisionAdapter],
    *,
    preset: str | None,
    advanced_config: dict[str, Any],
    learning_rate: float | None = None,
) -> dict[str, Any]:
    """The job's config as its trainer will resolve it (configs.effective_config)."""
    return configs.effective_config(
        schema=adapter_cls.config_schema(),
        presets=adapter_cls.presets(),
        preset=preset,
        advanced_config=advanced_config,
        learning_rate=learning_rate,
    )


_KNOWN_JOBS_MAX = 100_000


class JobService:
    """Creates, lists and steers jobs, and records what schedulers and trainers report."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        # Ids of jobs seen to exist. Jobs are never deleted, so a prediction with a known job
        # needs no database round trip (bounded: cleared when it grows past _KNOWN_JOBS_MAX).
        self._known_jobs: set[int] = set()

    # --- reading ---------------------------------------------------------------------------
    def _job(self, session: Session, job_id: int, *, lock: bool = False) -> TrainingJob:
        query = select(TrainingJob).where(TrainingJob.id == job_id)
        if lock and self.db.dialect == "postgresql":
            query = query.with_for_update()
        job = session.scalars(query).one_or_none()
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def get(self, job_id: int) -> JobOut:
        with self.db.session() as session:
            return JobOut.model_validate(self._job(session, job_id))

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
                items=[JobOut.model_validate(r) for r in rows],
                total=total,
                limit=limit,
                offset=offset,
            )

    def changed_since(self, since: datetime, *, kind: str | None = TRAIN) -> list[JobOut]:
        """Jobs whose row was written at or after `since` (of any status), oldest write first."""
        with self.db.session() as session:
            query = select(TrainingJob).where(TrainingJob.updated_at >= since)
            if kind is not None:
                query = query.where(TrainingJob.kind == kind)
            rows = session.scalars(query.order_by(TrainingJob.updated_at, TrainingJob.id)).all()
            return [JobOut.model_validate(r) for r in rows]

    def metrics(self, job_id: int, *, after: int = 0) -> JobMetrics:
        with self.db.session() as session:
            job = self._job(session, job_id)
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
            self._job(session, job_id)
            lines = session.scalars(
                select(LogLine)
                .where(LogLine.job_id == job_id, LogLine.id > after)
                .order_by(LogLine.id)
                .limit(limit)
            ).all()
            items = [LogLineOut.model_validate(line) for line in lines]
            return JobLogs(job_id=job_id, items=items, next_after=items[-1].id if items else after)

    def output_dir(self, job_id: int) -> Path:
        with self.db.session() as session:
            return Path(self._job(session, job_id).output_dir)

    # --- creating --------------------------------------------------------------------------
    def validate_config(self, request: ConfigValidateRequest) -> ConfigValidateResponse:
        adapter_cls = registry.get(request.framework)
        config = effective_config(
            adapter_cls, preset=request.preset, advanced_config=request.advanced_config
        )
        notes = inactive_fields(config, adapter_cls.config_schema())
        return ConfigValidateResponse(valid=True, config=config, notes=notes)

    def create(self, request: JobCreate) -> JobOut:
        """Check the request (framework, model, task, config, data set) and store a pending job."""
        framework = request.framework or registry.framework_for_model(request.model_name)
        info = registry.info(framework)
        adapter_cls = info.adapter_class()
        adapter_cls.check_model_name(request.model_name)
        task_type = request.task_type or info.default_task(request.model_name)
        if task_type not in info.tasks:
            raise InvalidInputError(
                "task_type: "
                + unknown_name_message(f"{framework} task type", task_type, list(info.tasks))
            )
        effective_config(
            adapter_cls,
            preset=request.preset,
            advanced_config=request.advanced_config,
            learning_rate=request.learning_rate,
        )
        dataset = self._dataset(request.dataset_path, adapter_cls)
        with self.db.session() as session:
            job = TrainingJob(
                model_name=request.model_name,
                framework=framework,
                task_type=task_type,
                dataset_path=dataset,
                num_epochs=request.num_epochs,
                batch_size=request.batch_size,
                learning_rate=request.learning_rate,
                image_size=request.image_size,
                preset=request.preset,
                advanced_config=request.advanced_config,
                max_stage_seconds=request.max_stage_seconds,
                seed=request.seed,
                status=JobStatus.PENDING.value,
                best_metric_name=info.best_metric(task_type),
            )
            session.add(job)
            session.flush()
            job.output_dir = str(job_dir(self.settings, job.id))
            self._log(session, job, f"Job created: {framework} {request.model_name}")
            return self._out(session, job)

    # --- batch inference jobs --------------------------------------------------------------
    def create_batch(self, request: BatchJobCreate) -> BatchJobOut:
        """Check the request (model, inputs, output inside the roots) and queue a batch job."""
        source = self.get(request.job_id)
        if source.kind != TRAIN:
            raise InvalidJobStateError(request.job_id, source.status, "predict with it")
        best, onnx = self.model_files(request.job_id)
        if request.backend == "onnx" and onnx is None:
            raise InvalidJobStateError(
                request.job_id, source.status, "predict with it on ONNX Runtime (no model.onnx)"
            )
        model = onnx if request.backend == "onnx" and onnx is not None else best
        images = (
            [
                str(self._confined(path, f"input_images[{i}]"))
                for i, path in enumerate(request.input_images)
            ]
            if request.input_images is not None
            else None
        )
        prefix = self._input_prefix(request.input_prefix) if request.input_prefix else None
        with self.db.session() as session:
            job = TrainingJob(
                kind=BATCH_INFERENCE,
                source_job_id=source.id,
                model_name=source.model_name,
                framework=source.framework,
                task_type=source.task_type,
                dataset_path=prefix or f"{len(images or [])} image(s)",
                num_epochs=1,
                batch_size=request.batch_size,
                advanced_config={},
                status=JobStatus.PENDING.value,
                best_metric_name="",
                items_total=len(images) if images is not None else None,
            )
            session.add(job)
            session.flush()
            folder = job_dir(self.settings, job.id)
            output = self._output_path(request.output_path, folder / "results.jsonl")
            job.output_dir = str(folder)
            job.batch_spec = BatchInferenceSpec(
                job_id=str(job.id),
                model_path=str(model),
                backend=request.backend,
                input_images=images,
                input_prefix=prefix,
                output_path=output,
                batch_size=request.batch_size,
                framework=source.framework,
            ).model_dump(mode="json")
            self._log(session, job, f"Batch inference job created with job {source.id}'s model")
            session.flush()
            return _batch_out(job)

    def get_batch(self, batch_id: int) -> BatchJobOut:
        with self.db.session() as session:
            job = self._job(session, batch_id)
            if job.kind != BATCH_INFERENCE:
                raise JobNotFoundError(batch_id)
            return _batch_out(job)

    def _dataset(self, path: str, adapter_cls: type[VisionAdapter]) -> str:
        """A local data set (inside a data root) checked whole now, or an s3:// prefix under the
        storage root that holds files; the trainer downloads and checks that one itself."""
        if is_remote(path):
            return check_remote_dataset(path, self.settings, "dataset_path")
        dataset = check_data_path(path, self.settings)
        adapter_cls.load_dataset(str(dataset), skip_bad_images=False)
        return str(dataset)

    def _confined(self, path: str, field: str) -> Path:
        _no_nul(path, field)
        try:
            return check_readable_path(path, self.settings)
        except PathNotAllowedError as e:
            raise PathNotAllowedError(
                f"{field}: {path!r} is outside the data folders and the artifact storage"
            ) from e

    def _input_prefix(self, prefix: str) -> str:
        if is_remote(prefix):
            return check_storage_uri(prefix, self.settings, "input_prefix")
        folder = self._confined(prefix, "input_prefix")
        if not folder.is_dir():
            raise InvalidInputError(f"input_prefix: {prefix!r} is not a folder")
        return str(folder)

    def _output_path(self, given: str | None, default: Path) -> str:
        """Where results go: inside the jobs folder, the local artifact storage or under the
        storage root's bucket prefix, never over an existing file (the run would take its
        lines for its own and skip those images)."""
        if given is None:
            return str(default)
        _no_nul(given, "output_path")
        if not given.endswith(".jsonl"):
            raise InvalidInputError(f"output_path: {given!r} must end in .jsonl")
        if is_remote(given):
            check_storage_uri(given, self.settings, "output_path")
            store, key = store_for(given, endpoint_url=self.settings.s3_endpoint_url)
            if store.exists(key):
                raise InvalidInputError(f"output_path: {given!r} already exists")
            return given
        resolved = Path(given).expanduser().resolve()
        roots = [(self.settings.home / "jobs").resolve()]
        if not is_remote(self.settings.artifact_root):
            roots.append(Path(self.settings.artifact_root).expanduser().resolve())
        if not any(resolved.is_relative_to(root) for root in roots):
            shown = ", ".join(map(str, roots))
            raise PathNotAllowedError(f"output_path: {given!r} is outside the storage ({shown})")
        if resolved.exists():
            raise InvalidInputError(f"output_path: {given!r} already exists")
        return str(resolved)

    # --- user actions ----------------------------------------------------------------------
    def pause(self, job_id: int) -> JobOut:
        """Pause: a pending job at once; a running one when its trainer has saved and exited."""
        with self.db.session() as session:
            job = self._job(session, job_id, lock=True)
            status = JobStatus(job.status)
            if status is JobStatus.PENDING:
                self._move(session, job, JobStatus.PAUSED, "Paused before it started")
            elif status is JobStatus.RUNNING and job.requested_action in (None, "pause"):
                job.requested_action = StopRequest.PAUSE.value
                self._log(session, job, "Pause requested: the trainer saves and stops")
            else:
                raise InvalidJobStateError(job_id, job.status, "pause")
            return self._out(session, job)

    def resume(self, job_id: int) -> JobOut:
        with self.db.session() as session:
            job = self._job(session, job_id, lock=True)
            if job.status != JobStatus.PAUSED:
                raise InvalidJobStateError(job_id, job.status, "resume")
            self._move(session, job, JobStatus.PENDING, "Resumed: waiting for the scheduler")
            return self._out(session, job)

    def cancel(self, job_id: int) -> JobOut:
        """Cancel: a waiting job at once; a running one when its trainer has been stopped."""
        with self.db.session() as session:
            job = self._job(session, job_id, lock=True)
            status = JobStatus(job.status)
            if status in (JobStatus.PENDING, JobStatus.PAUSED):
                self._move(session, job, JobStatus.CANCELLED, "Cancelled")
                job.finished_at = utcnow()
            elif status is JobStatus.RUNNING:
                job.requested_action = StopRequest.CANCEL.value
                self._log(session, job, "Cancel requested: stopping the trainer")
            else:
                raise InvalidJobStateError(job_id, job.status, "cancel")
            return self._out(session, job)

    # --- the scheduler's side --------------------------------------------------------------
    def claim(self, *, scheduler_id: str, limit: int) -> list[ClaimedJob]:
        """Move up to `limit` pending jobs, oldest first, to running for this scheduler.

        PostgreSQL skips rows another scheduler has locked (FOR UPDATE SKIP LOCKED); on every
        backend the conditional update makes sure no job is claimed twice.
        """
        if limit <= 0:
            return []
        claimed = []
        with self.db.session() as session:
            query = (
                select(TrainingJob.id)
                .where(TrainingJob.status == JobStatus.PENDING.value)
                .order_by(TrainingJob.id)
                .limit(limit)
            )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for job_id in session.scalars(query).all():
                won: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(TrainingJob)
                    .where(
                        TrainingJob.id == job_id,
                        TrainingJob.status == JobStatus.PENDING.value,
                    )
                    .values(status=JobStatus.RUNNING.value, claimed_by=scheduler_id)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount == 1:
                    claimed.append(self._start_attempt(session, job_id))
        return claimed

    def _start_attempt(self, session: Session, job_id: int) -> ClaimedJob:
        job = self._job(session, job_id)
        session.refresh(job)
        last = job.attempts[-1] if job.attempts else None
        reason = {
            None: "start",
            "retry": "retry",
            "stage": "stage",
            "lost": "recover",
            "paused": "resume",
        }.get(last.outcome if last else None, "resume")
        number = job.attempt_count + 1
        token = secrets.token_urlsafe(32)
        job.attempt_count = number
        job.token_hash = _token_hash(token)
        job.requested_action = None
        job.executor_handle = None
        job.started_at = job.started_at or utcnow()
        resume = number > 1
        session.add(
            JobAttempt(
                job_id=job.id,
                number=number,
                stage=job.stage_count + 1,
                reason=reason,
                resume=resume,
            )
        )
        self._log(
            session,
            job,
            f"Attempt {number} ({reason}) starting" + (" with --resume" if resume else ""),
        )
        spec: TrainingSpec | BatchInferenceSpec
        if job.kind == BATCH_INFERENCE:
            spec = BatchInferenceSpec.model_validate(job.batch_spec)
        else:
            spec = self._training_spec(job, resume=resume)
        return ClaimedJob(
            job_id=job.id,
            attempt=number,
            reason=reason,
            spec=spec,
            token=token,
            work_dir=Path(job.output_dir),
        )

    @staticmethod
    def _training_spec(job: TrainingJob, *, resume: bool) -> TrainingSpec:
        return TrainingSpec(
            model_name=job.model_name,
            dataset_path=job.dataset_path,
            framework=job.framework,
            task_type=job.task_type,
            num_epochs=job.num_epochs,
            batch_size=job.batch_size,
            learning_rate=job.learning_rate,
            image_size=job.image_size,
            preset=job.preset,
            advanced_config=dict(job.advanced_config),
            job_id=str(job.id),
            output_dir=job.output_dir,
            resume=resume,
            max_stage_seconds=job.max_stage_seconds,
            seed=job.seed,
            export_onnx=True,  # a completed job serves ONNX Runtime inference too
        )

    def set_handle(self, job_id: int, attempt: int, handle: str) -> None:
        with self.db.session() as session:
            job = self._job(session, job_id)
            job.executor_handle = handle
            current = self._attempt(session, job_id, attempt)
            current.executor_handle = handle

    def running(self, scheduler_id: str) -> list[RunningJob]:
        """The jobs this scheduler has claimed and not yet finished."""
        with self.db.session() as session:
            rows = session.execute(
                select(
                    TrainingJob.id,
                    TrainingJob.attempt_count,
                    TrainingJob.executor_handle,
                    TrainingJob.requested_action,
                ).where(
                    TrainingJob.status == JobStatus.RUNNING.value,
                    TrainingJob.claimed_by == scheduler_id,
                )
            ).all()
            return [
                RunningJob(
                    job_id=r[0],
                    attempt=r[1],
                    handle=r[2],
                    requested=StopRequest(r[3]) if r[3] else None,
                )
                for r in rows
            ]

    def finish_attempt(
        self, job_id: int, attempt: int, *, exit_code: int, log_tail: list[str]
    ) -> ExitDecision:
        """Record how an attempt ended and move the job on by the exit-code policy."""
        with self.db.session() as session:
            job = self._job(session, job_id, lock=True)
            current = self._attempt(session, job_id, attempt)
            requested = StopRequest(job.requested_action) if job.requested_action else None
            decision = decide_exit(
                exit_code=exit_code,
                requested=requested,
                failures_so_far=job.failure_count,
                backoff_limit=self.settings.backoff_limit,
            )
            current.exit_code = exit_code
            current.outcome = decision.outcome
            current.finished_at = utcnow()
            if decision.counts_as_failure:
                job.failure_count += 1
            if decision.outcome == "stage":
                job.stage_count += 1
            self._note_checkpoints(job)
            message = self._exit_message(job, attempt, exit_code, decision)
            if decision.status is JobStatus.FAILED:
                tail = "\n".join(log_tail[-_ERROR_TAIL_LINES:])
                job.error_message = f"{message}\n{tail}".strip()
            self._move(session, job, decision.status, message, level=_level(decision))
            return decision

    def requeue_lost(
        self, job_id: int, attempt: int, why: str, *, exit_code: int | None = None
    ) -> None:
        """Put a running job whose trainer was lost or stopped by a shutdown back in the queue."""
        with self.db.session() as session:
            job = self._job(session, job_id, lock=True)
            if job.status != JobStatus.RUNNING:
                return
            current = self._attempt(session, job_id, attempt)
            current.outcome = "lost"
            current.exit_code = exit_code
            current.finished_at = utcnow()
            self._note_checkpoints(job)
            self._move(
                session,
                job,
                JobStatus.PENDING,
                f"Attempt {attempt} interrupted ({why}); it resumes",
            )

    def _exit_message(
        self, job: TrainingJob, attempt: int, exit_code: int, decision: ExitDecision
    ) -> str:
        head = f"Attempt {attempt} exited with code {exit_code}"
        work = "batch inference" if job.kind == BATCH_INFERENCE else "training"
        return {
            "completed": f"{head}: {work} completed",
            "invalid_input": f"{head}: invalid input, not retried",
            "paused": f"{head}: paused (checkpoint saved)",
            "stage": f"{head}: stage {job.stage_count} ended; next stage resumes",
            "retry": f"{head}: retrying with --resume "
            f"({job.failure_count}/{self.settings.backoff_limit})",
            "failed": f"{head}: failed after {job.failure_count - 1} retries",
            "cancelled": f"{head}: cancelled",
        }[decision.outcome]

    def _note_checkpoints(self, job: TrainingJob) -> None:
        weights = Path(job.output_dir) / "weights"
        if (weights / "last.pt").is_file():
            job.last_checkpoint_uri = str(weights / "last.pt")
        if (weights / "best.pt").is_file():
            job.best_checkpoint_uri = str(weights / "best.pt")

    # --- the trainer's reports -------------------------------------------------------------
    def check_token(self, job_id: int, token: str | None) -> None:
        with self.db.session() as session:
            job = self._job(session, job_id)
            expected = job.token_hash
        if (
            not token
            or expected is None
            or not secrets.compare_digest(_token_hash(token), expected)
        ):
            raise JobTokenError(f"job {job_id}: bad or missing job token")

    def record_report(self, job_id: int, token: str | None, report: TrainerReport) -> ReportAck:
        """Store a trainer's events once each (a retried batch is not stored twice)."""
        self.check_token(job_id, token)
        with self.db.session() as session:
            job = self._job(session, job_id, lock=True)
            current = self._attempt(session, job_id, job.attempt_count)
            accepted = 0
            for event in sorted(report.events, key=lambda e: e.seq):
                if event.seq <= current.last_seq:
                    continue
                self._apply_event(session, job, current.number, event.kind, event.payload)
                current.last_seq = event.seq
                accepted += 1
            return ReportAck(accepted=accepted, last_seq=current.last_seq)

    def _apply_event(
        self, session: Session, job: TrainingJob, attempt: int, kind: str, payload: dict[str, Any]
    ) -> None:
        if kind == "log":
            session.add(
                LogLine(
                    job_id=job.id,
                    attempt=attempt,
                    level=str(payload.get("level", "info"))[:10],
                    source="trainer",
                    message=str(payload.get("message", "")),
                )
            )
        elif kind == "epoch_started":
            line = f"Epoch {payload.get('epoch')}/{payload.get('num_epochs')}"
            session.add(LogLine(job_id=job.id, attempt=attempt, source="trainer", message=line))
        elif kind == "epoch" and isinstance(payload.get("epoch"), int):
            epoch = payload["epoch"]
            # An epoch run again after a crash replaces what the lost run reported.
            session.execute(
                delete(MetricPoint).where(MetricPoint.job_id == job.id, MetricPoint.epoch >= epoch)
            )
            session.add(MetricPoint(job_id=job.id, epoch=epoch, values=payload))
            job.current_epoch = epoch
            value = payload.get(job.best_metric_name)
            if isinstance(value, int | float) and (
                job.best_metric is None or value > job.best_metric
            ):
                job.best_metric = float(value)
        elif kind == "progress" and job.kind == BATCH_INFERENCE:
            done, total = payload.get("done"), payload.get("total")
            if isinstance(done, int) and isinstance(total, int) and 0 <= done <= total:
                job.items_done, job.items_total = done, total
        elif kind == "checkpoint":
            if isinstance(payload.get("last"), str):
                job.last_checkpoint_uri = payload["last"]
            if isinstance(payload.get("best"), str):
                job.best_checkpoint_uri = payload["best"]
        job.updated_at = utcnow()

    # --- helpers ---------------------------------------------------------------------------
    def _out(self, session: Session, job: TrainingJob) -> JobOut:
        session.flush()  # column defaults and onupdate values are filled in by the flush
        return JobOut.model_validate(job)

    def _attempt(self, session: Session, job_id: int, number: int) -> JobAttempt:
        found = session.scalars(
            select(JobAttempt).where(JobAttempt.job_id == job_id, JobAttempt.number == number)
        ).one_or_none()
        if found is None:
            raise JobTokenError(f"job {job_id} has no attempt {number}")
        return found

    def _move(
        self,
        session: Session,
        job: TrainingJob,
        target: JobStatus,
        message: str,
        *,
        level: str = "info",
    ) -> None:
        current = JobStatus(job.status)
        if not can_move(current, target):
            raise InvalidJobStateError(job.id, job.status, f"move it to {target.value}")
        job.status = target.value
        job.updated_at = utcnow()
        if target is not JobStatus.RUNNING:
            job.requested_action = None
            job.claimed_by = None
            job.executor_handle = None
        if target.terminal:
            job.finished_at = utcnow()
        self._log(session, job, message, level=level)

    def _log(
        self, session: Session, job: TrainingJob, message: str, *, level: str = "info"
    ) -> None:
        session.add(
            LogLine(
                job_id=job.id,
                attempt=job.attempt_count,
                level=level,
                source="platform",
                message=message,
            )
        )


def _no_nul(path: str, field: str) -> None:
    if "\x00" in path:
        raise InvalidInputError(f"{field}: a path cannot contain a NUL character")


def _batch_out(job: TrainingJob) -> BatchJobOut:
    spec = BatchInferenceSpec.model_validate(job.batch_spec)
    total = job.items_total
    if job.status == JobStatus.COMPLETED.value:
        progress = 1.0
    else:
        progress = min(1.0, job.items_done / total) if total else 0.0
    return BatchJobOut(
        id=job.id,
        status=JobStatus(job.status),
        source_job_id=job.source_job_id,
        backend=spec.backend,
        batch_size=spec.batch_size,
        input_prefix=spec.input_prefix,
        num_input_images=len(spec.input_images) if spec.input_images is not None else None,
        output_path=spec.output_path,
        done=job.items_done,
        total=total,
        progress=progress,
        error=job.error_message,
        attempt_count=job.attempt_count,
        failure_count=job.failure_count,
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _level(decision: ExitDecision) -> str:
    return (
        "error"
        if decision.status is JobStatus.FAILED
        else ("warning" if decision.outcome == "retry" else "info")
    )
