"""The MLflow bridge with the real client on a local file store: completed jobs become runs,
registered versions MLflow model versions; an unreachable server holds nothing up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.registry.conftest import CompletedJob
from vision_platform.jobs.service import JobService
from vision_platform.registry.service import ModelRegistry

pytest.importorskip("mlflow")

from mlflow.tracking import MlflowClient

from vision_platform.registry.mlflow_bridge import EXPERIMENT, JOB_TAG, MlflowTracking


def tracked_registry(service: JobService, uri: str) -> tuple[ModelRegistry, MlflowTracking]:
    """A registry and a bridge wired to the service the way the server wires them."""
    tracking = MlflowTracking(uri, service.db, service.settings)
    models = ModelRegistry(service.db, service, tracking=tracking)
    service.completion_listeners[:] = [tracking.job_completed, models.register_completed]
    return models, tracking


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A file-store tracking URI (MLflow 3 asks for its opt-in to the file store)."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


@pytest.fixture
def tracked(service: JobService, store: str) -> Iterator[tuple[ModelRegistry, MlflowTracking]]:
    models, tracking = tracked_registry(service, store)
    yield models, tracking
    tracking.close()


def test_a_completed_job_is_logged_as_a_run_and_its_version_registered(
    tracked: tuple[ModelRegistry, MlflowTracking],
    completed_job: CompletedJob,
    store: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    models, tracking = tracked
    monkeypatch.chdir(tmp_path)  # MLflow's own defaults would write ./mlflow.db
    job = completed_job((0.5, 0.75), register_as="digits", learning_rate=0.01)
    models.register("other", job)  # the same run, a second registered model
    tracking.flush()

    client = MlflowClient(tracking_uri=store, registry_uri=store)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags[JOB_TAG] == str(job) and run.info.status == "FINISHED"
    assert run.data.params["model_name"] == "resnet10t"
    assert run.data.params["config.learning_rate"] == "0.01"
    history = client.get_metric_history(run.info.run_id, "val_acc")
    assert [(m.step, m.value) for m in history] == [(1, 0.5), (2, 0.75)]
    logged = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"weights", "model.onnx"} <= logged
    assert [a.path for a in client.list_artifacts(run.info.run_id, "weights")] == [
        "weights/best.pt"
    ]
    for name in ("digits", "other"):
        (version,) = client.search_model_versions(f"name='{name}'")
        assert version.run_id == run.info.run_id and version.tags["vp.version"] == "1"
        ours = models.get_version(name, 1)
        assert version.tags["vp.sha256"] == ours.checkpoint_sha256
        assert version.tags["vp.dataset"] == ours.dataset
    assert not (tmp_path / "mlflow.db").exists()


def test_an_unreachable_tracking_server_holds_nothing_up(
    service: JobService,
    completed_job: CompletedJob,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    models, tracking = tracked_registry(service, "http://127.0.0.1:9")  # nothing listens
    try:
        with caplog.at_level(logging.WARNING, logger="vision_platform.registry.mlflow_bridge"):
            job = completed_job(register_as="digits")
            assert service.get(job).status == "completed"
            assert models.get_model("digits").versions[0].job_id == job
            tracking.flush()
        assert any("MLflow" in record.message for record in caplog.records)
    finally:
        tracking.close()
