"""Fixtures of the jobs service's tests: a service on each database, and jobs to act on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.fixtures import database_url, tiny_digits  # noqa: F401
from vision_platform.db.session import Database
from vision_platform.jobs.attempts import ClaimedJob
from vision_platform.jobs.schemas import JobCreate, JobOut, TrainerEvent, TrainerReport
from vision_platform.jobs.service import JobService
from vision_platform.settings import Settings

NewJob = Callable[..., JobOut]


@pytest.fixture
def service(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[JobService]:  # noqa: F811
    """A migrated database (SQLite, PostgreSQL) whose data root holds `tiny_digits`."""
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=database_url,
        data_roots=str(tiny_digits.parent),
        backoff_limit=2,
    )
    db = Database(database_url)
    db.migrate()
    yield JobService(db, settings)
    db.dispose()


def job_request(data: Path, **overrides: object) -> JobCreate:
    """A small training request on `data`, with `overrides`."""
    doc: dict[str, object] = {
        "model_name": "resnet10t",
        "dataset_path": str(data),
        "num_epochs": 2,
        "batch_size": 4,
        "image_size": 32,
    }
    doc.update(overrides)
    return JobCreate.model_validate(doc)


@pytest.fixture
def new_job(service: JobService, tiny_digits: Path) -> NewJob:  # noqa: F811
    """Creates a pending training job on `tiny_digits` (keyword arguments: request fields)."""
    return lambda **overrides: service.create(job_request(tiny_digits, **overrides))


def claim_one(service: JobService) -> ClaimedJob:
    (claim,) = service.claim(scheduler_id="s", limit=1)
    return claim


@pytest.fixture
def trained_job(service: JobService, new_job: NewJob) -> int:
    """A training job run to completion: its folder holds best.pt and model.onnx."""
    job = new_job(num_epochs=1)
    claim = claim_one(service)
    weights = claim.work_dir / "weights"
    weights.mkdir(parents=True)
    (weights / "best.pt").write_bytes(b"weights")
    (claim.work_dir / "model.onnx").write_bytes(b"onnx")
    service.finish_attempt(job.id, claim.attempt, exit_code=0, log_tail=[])
    return job.id


def events(*items: tuple[int, str, dict[str, object]]) -> TrainerReport:
    """A trainer's report of (seq, kind, payload) events."""
    return TrainerReport(
        events=[TrainerEvent(seq=s, kind=k, payload=p) for s, k, p in items]  # type: ignore[arg-type]
    )
