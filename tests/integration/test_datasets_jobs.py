"""Training, test runs and batch jobs from a stored data set version through a real `vp serve`
(its trainers are real `vp train` processes): on SQLite with local storage, and on PostgreSQL
with the version in an S3 bucket (moto), which the trainer reads as any s3:// data set."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.archives import zip_folder
from tests.integration.fixtures import postgres_database, s3_storage_env
from tests.integration.platform_server import PlatformServer, wait_for

BUCKET = "vp-datasets"


@pytest.fixture(params=["sqlite+local", "postgresql+s3"])
def server(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tiny_digits: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[PlatformServer]:
    database, storage = request.param.split("+")
    with ExitStack() as stack:
        env = {"VP_DATABASE_URL": f"sqlite:///{tmp_path / 'vp.db'}"}
        if database == "postgresql":
            env["VP_DATABASE_URL"] = stack.enter_context(postgres_database())
        if storage == "s3":
            endpoint = request.getfixturevalue("s3_endpoint")
            prefix = f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}"
            env.update(s3_storage_env(endpoint, prefix, monkeypatch))
        platform = PlatformServer(home=tmp_path / ".vp", data_root=tiny_digits.parent, **env)
        stack.callback(platform.stop)
        yield platform.start()


def test_a_job_trains_from_a_version_and_shows_it(
    server: PlatformServer, tiny_digits: Path, tmp_path: Path
) -> None:
    version = server.upload_dataset("digits", zip_folder(tiny_digits, tmp_path / "digits.zip"))
    ref = version["ref"]
    assert version["report"]["task_type"] == "classification"

    job = server.create(
        model_name="resnet10t", dataset="digits", num_epochs=1, batch_size=4, image_size=32
    )
    assert (job["dataset"], job["dataset_path"]) == (ref, version["uri"])
    busy = server.api.delete(f"/datasets/digits/versions/{version['version']}")
    assert busy.status_code == 409 and f"job(s) {job['id']}" in busy.text
    done = server.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", server.log_text(job["id"])
    assert server.job(job["id"])["dataset"] == ref

    run = server.api.post("/test/runs", json={"job_id": job["id"], "dataset": ref})
    assert run.status_code == 202, run.text
    found: dict[str, Any] = {}

    def run_ended() -> bool:
        found.update(server.api.get(f"/test/runs/{run.json()['id']}").json())
        return found["status"] != "running"

    wait_for(run_ended, what="the test run", server=server)
    assert found["status"] == "completed", found["error"]
    assert found["dataset"] == ref and found["metrics"]["num_images"] > 0

    batch = server.api.post("/inference/batch", json={"job_id": job["id"], "dataset": ref})
    assert batch.status_code == 202, batch.text
    assert batch.json()["dataset"] == ref

    def batch_ended() -> bool:
        found.update(server.api.get(f"/inference/batch/{batch.json()['id']}").json())
        return found["status"] in ("completed", "failed", "cancelled")

    wait_for(batch_ended, what="the batch job", server=server)
    assert found["status"] == "completed", server.log_text(batch.json()["id"])
    assert found["total"] == len(list(tiny_digits.rglob("*.png")))
    gone = server.api.delete(f"/datasets/digits/versions/{version['version']}")
    assert gone.status_code == 204
