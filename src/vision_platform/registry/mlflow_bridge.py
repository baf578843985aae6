"""The MLflow bridge: each completed job becomes an MLflow run (its resolved config as params,
its epochs' metrics with the epoch as step, its model files as artifacts), and each registered
version a version of the MLflow registered model of the same name.

Everything runs in one worker thread, in order (a job's run exists before its version is
registered), and every failure is logged and dropped: MLflow being down never holds up the
scheduler, a request or a training run. Needs `mlflow-skinny` (the `mlflow` extra)."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import mlflow
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from vision_platform.db.session import Database
from vision_platform.jobs import rows
from vision_platform.jobs.mapping import TRAIN
from vision_platform.jobs.paths import job_dir
from vision_platform.jobs.runs import RunRecord, flat_config, run_record
from vision_platform.registry.schemas import ModelVersionOut
from vision_platform.settings import Settings

log = logging.getLogger(__name__)
EXPERIMENT = "vision-platform"
JOB_TAG = "vp.job_id"
# The run's artifacts, where the job's folder holds them.
ARTIFACTS = ("weights/best.pt", "model.onnx", "weights/model.onnx", "metrics.jsonl", "run.json")
_BAD_KEY = re.compile(r"[^\w\-. /]")
T = TypeVar("T")


class MlflowTracking:
    """Records jobs and versions in MLflow, from a worker thread of its own."""

    def __init__(self, tracking_uri: str, db: Database, settings: Settings) -> None:
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        # MLflow's file store builds clients of its own on the process's default URIs (reading
        # a model version does): without these it would open ./mlflow.db in the working folder.
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(tracking_uri)
        self.db = db
        self.settings = settings
        self._tasks: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="vp-mlflow", daemon=True)
        self._thread.start()

    # --- what the platform calls (returns at once) -------------------------------------------
    def job_completed(self, job_id: int) -> None:
        self._tasks.put(lambda: self._log_job(job_id))

    def version_registered(self, version: ModelVersionOut) -> None:
        self._tasks.put(lambda: self._register(version))

    def flush(self) -> None:
        """Wait until every task so far is done (tests; a shutdown that can wait)."""
        self._tasks.join()

    def close(self, timeout: float = 5.0) -> None:
        self._tasks.put(None)
        self._thread.join(timeout=timeout)

    def _work(self) -> None:
        while (task := self._tasks.get()) is not None:
            try:
                task()
            except Exception as e:  # MLflow down, a bad value: the platform goes on without it
                log.warning("MLflow: %s: %s", type(e).__name__, e)
            finally:
                self._tasks.task_done()
        self._tasks.task_done()

    # --- the work ------------------------------------------------------------------------
    def _log_job(self, job_id: int) -> str | None:
        """Log a training job as a finished run: its run id (a job's run is logged once);
        None for a batch inference job."""
        existing = self._run_of(job_id)
        if existing is not None:
            return existing
        with self.db.session() as session:
            job = rows.find_job(session, job_id)
            if job.kind != TRAIN:
                return None
            record = run_record(session, job)
            tags = {JOB_TAG: str(job_id), "vp.model_name": job.model_name}
        experiment = self._experiment()
        run = self.client.create_run(experiment, run_name=f"job_{job_id}", tags=tags)
        run_id = str(run.info.run_id)
        for params in _chunks(_params(record), 100):
            self.client.log_batch(run_id, params=params)
        for metrics in _chunks(_metrics(record), 1000):
            self.client.log_batch(run_id, metrics=metrics)
        folder = job_dir(self.settings, job_id)
        for relative in ARTIFACTS:
            path = folder / relative
            if path.is_file():
                parent = str(path.parent.relative_to(folder)) if "/" in relative else None
                self.client.log_artifact(run_id, str(path), artifact_path=parent)
        self.client.set_terminated(run_id, status="FINISHED")
        return run_id

    def _register(self, version: ModelVersionOut) -> None:
        run_id = self._log_job(version.job_id)
        assert run_id is not None  # versions are training jobs
        try:
            self.client.create_registered_model(version.name)
        except MlflowException as e:
            if e.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        source = f"{self.client.get_run(run_id).info.artifact_uri}/weights"
        self.client.create_model_version(
            version.name,
            source,
            run_id=run_id,
            tags=_version_tags(version),
        )

    def _run_of(self, job_id: int) -> str | None:
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return None
        found = self.client.search_runs(
            [experiment.experiment_id], filter_string=f"tags.`{JOB_TAG}` = '{job_id}'"
        )
        return str(found[0].info.run_id) if found else None

    def _experiment(self) -> str:
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        if experiment is not None:
            return str(experiment.experiment_id)
        return str(self.client.create_experiment(EXPERIMENT))


def _version_tags(version: ModelVersionOut) -> dict[str, str]:
    """What MLflow's version says of the platform's: its number, checksum and data set (the
    data set's `name@version` when the job named one, else its path)."""
    return {
        "vp.version": str(version.version),
        "vp.sha256": version.checkpoint_sha256,
        "vp.dataset": version.dataset_ref or version.dataset,
    }


def _params(record: RunRecord) -> list[Param]:
    flat = flat_config(record.config)
    return [Param(_BAD_KEY.sub("_", key), str(value)) for key, value in flat.items()]


def _metrics(record: RunRecord) -> list[Metric]:
    now = int(time.time() * 1000)
    return [
        Metric(_BAD_KEY.sub("_", key), value, now, epoch)
        for epoch, values in record.epochs.items()
        for key, value in values.items()
    ]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
