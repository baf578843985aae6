"""Fixtures of the registry's tests: the jobs service's (a service on each database), a
registry over it, and completed jobs with metrics and files to register."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.unit.jobs.conftest import (  # noqa: F401
    NewJob,
    claim_one,
    database_url,
    events,
    new_job,
    service,
    tiny_digits,
)
from vision_platform.db.session import Database
from vision_platform.jobs.service import JobService
from vision_platform.registry.service import ModelRegistry

# Makes a training job, reports `val_accs` as its epochs and completes it: its id.
CompletedJob = Callable[..., int]


@pytest.fixture
def registry(service: JobService) -> Iterator[ModelRegistry]:  # noqa: F811
    """The registry, listening to the service for completed jobs (as the server's does)."""
    models = ModelRegistry(service.db, service)
    service.completion_listeners.append(models.register_completed)
    yield models
    models.close()


@pytest.fixture
def other_registry(service: JobService, database_url: str) -> Iterator[ModelRegistry]:  # noqa: F811
    """A registry on the same database through an engine of its own (another process's)."""
    db = Database(database_url)
    models = ModelRegistry(db, JobService(db, service.settings))
    yield models
    models.close()
    db.dispose()


@pytest.fixture
def completed_job(service: JobService, new_job: NewJob, registry: ModelRegistry) -> CompletedJob:  # noqa: F811
    def make(
        val_accs: tuple[float, ...] = (0.5, 0.75),
        *,
        weights: bytes = b"weights",
        onnx: bool = True,
        **overrides: object,
    ) -> int:
        job = new_job(num_epochs=len(val_accs), **overrides)
        claim = claim_one(service)
        if weights:
            (claim.work_dir / "weights").mkdir(parents=True)
            (claim.work_dir / "weights" / "best.pt").write_bytes(weights)
        if onnx:
            (claim.work_dir / "model.onnx").write_bytes(b"onnx of " + weights)
        report = events(
            *(
                (i, "epoch", {"epoch": i, "train_loss": 1.0 / i, "val_acc": acc})
                for i, acc in enumerate(val_accs, start=1)
            )
        )
        service.record_report(job.id, claim.token, report)
        service.finish_attempt(job.id, claim.attempt, exit_code=0, log_tail=[])
        return job.id

    return make
