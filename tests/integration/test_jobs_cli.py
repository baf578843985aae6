"""`vp jobs …` as a thin client of a live `vp serve`: create, list, show, logs, pause, cancel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_vp
from tests.integration.platform_server import PlatformServer, wait_for


@pytest.fixture
def server(tmp_path: Path, tiny_digits: Path) -> Iterator[PlatformServer]:
    platform = PlatformServer(home=tmp_path / ".vp", data_root=tiny_digits.parent).start()
    try:
        yield platform
    finally:
        platform.stop()


def vp_jobs(server: PlatformServer, *args: str) -> str:
    result = run_vp("jobs", *args, "--server", server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_jobs_commands_drive_a_running_server(
    server: PlatformServer, tiny_digits: Path
) -> None:
    created = json.loads(
        vp_jobs(
            server,
            "create",
            "--model-name",
            "resnet10t",
            "--dataset-path",
            str(tiny_digits),
            "--num-epochs",
            "30",
            "--batch-size",
            "4",
            "--image-size",
            "32",
            "--seed",
            "1",
            "--priority",
            "low",
        )
    )
    job_id = str(created["id"])
    assert created["status"] in {"pending", "running"} and created["priority"] == "low"
    assert json.loads(vp_jobs(server, "priority", job_id, "high"))["priority"] == "high"
    queue = json.loads(vp_jobs(server, "queue"))
    assert int(job_id) in [j["id"] for j in queue["running"] + queue["waiting"]]
    refused = run_vp("jobs", "priority", job_id, "urgent", "--server", server.url)
    assert refused.returncode == 2 and "priority" in refused.stderr
    assert job_id in vp_jobs(server, "list")
    assert json.loads(vp_jobs(server, "show", job_id))["model_name"] == "resnet10t"

    wait_for(
        lambda: server.api.get(f"/jobs/{job_id}").json()["current_epoch"] >= 1,
        what="the first epoch",
        server=server,
    )
    assert "Epoch 1/30" in vp_jobs(server, "logs", job_id)
    vp_jobs(server, "pause", job_id)
    wait_for(
        lambda: server.api.get(f"/jobs/{job_id}").json()["status"] == "paused",
        what="the pause",
        server=server,
    )
    vp_jobs(server, "cancel", job_id)
    assert json.loads(vp_jobs(server, "show", job_id))["status"] == "cancelled"

    unknown = run_vp("jobs", "show", "98765", "--server", server.url)
    assert unknown.returncode != 0 and "not found" in unknown.stderr + unknown.stdout
