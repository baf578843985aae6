"""PostgreSQL connections dropped (pg_terminate_backend) while jobs run and the API is used."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import trainer_epochs
from tests.integration.fixtures import POSTGRES_URL, _admin_execute, _postgres_schema_url
from tests.integration.platform_server import PlatformServer

JOBS = 3
EPOCHS = 2


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema; the server's connections carry an application name of their
    own, so that only they are terminated."""
    schema = f"vp_faults_{uuid.uuid4().hex[:12]}"
    try:
        _admin_execute(f'CREATE SCHEMA "{schema}"')
    except Exception as e:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {e}")
    try:
        yield f"{_postgres_schema_url(schema)}&application_name={schema}"
    finally:
        _admin_execute(f'DROP SCHEMA "{schema}" CASCADE')


def terminate_backends(application_name: str) -> int:
    """Terminate every connection the server holds; how many there were."""
    import psycopg

    with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


@pytest.mark.slow
def test_jobs_survive_their_database_connections_being_dropped(
    postgres_url: str, tiny_digits: Path, tmp_path: Path
) -> None:
    application = postgres_url.rsplit("application_name=", 1)[1]
    server = PlatformServer(
        home=tmp_path / ".vp",
        data_root=tiny_digits.parent,
        VP_DATABASE_URL=postgres_url,
        VP_MAX_CONCURRENT_JOBS="2",
    ).start()
    failures: list[str] = []
    stop = threading.Event()

    def use_the_api() -> None:  # a user with the jobs page open
        while not stop.is_set():
            try:
                response = server.api.get("/jobs")
                if response.status_code != 200:
                    failures.append(f"GET /jobs: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as e:
                failures.append(f"GET /jobs: {e}")
            time.sleep(0.05)

    user = threading.Thread(target=use_the_api, daemon=True)
    try:
        ids = [
            server.create(
                model_name="resnet10t",
                dataset_path=str(tiny_digits),
                num_epochs=EPOCHS,
                batch_size=4,
                image_size=32,
                seed=i,
            )["id"]
            for i in range(JOBS)
        ]
        user.start()
        killed = 0
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            killed += terminate_backends(application)
            if all(server.job(i)["status"] in ("completed", "failed") for i in ids):
                break
            time.sleep(0.3)
        stop.set()
        user.join()
        assert killed > 0
        jobs = server.api.get("/jobs").json()["items"]
        assert sorted(job["id"] for job in jobs) == sorted(ids)  # none lost, none duplicated
        for job_id in ids:
            job = server.job(job_id)
            assert job["status"] == "completed", server.log_text(job_id)
            points = server.api.get(f"/jobs/{job_id}/metrics").json()["points"]
            assert [p["epoch"] for p in points] == list(range(1, EPOCHS + 1))
            run_dir = tmp_path / ".vp" / "jobs" / f"job_{job_id}"
            assert trainer_epochs(run_dir) == list(range(1, EPOCHS + 1))  # it ran once
            assert job["attempt_count"] == 1 and job["failure_count"] == 0
        assert failures == [], failures[:5]
    finally:
        stop.set()
        server.stop()
