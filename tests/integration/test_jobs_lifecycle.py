"""Jobs through the real API and real `vp train` subprocesses on tiny data."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.platform_server import PlatformServer, trainer_pids, wait_for

LONG_RUN = 30  # epochs of a run that a test kills midway


@pytest.fixture
def server(tmp_path: Path, tiny_digits: Path) -> Iterator[PlatformServer]:
    platform = PlatformServer(home=tmp_path / ".vp", data_root=tiny_digits.parent).start()
    yield platform
    platform.stop()


def job_body(data: Path, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_name": "resnet10t",
        "dataset_path": str(data),
        "num_epochs": 2,
        "batch_size": 4,
        "image_size": 32,
        "seed": 3,
    }
    body.update(overrides)
    return body


def metric_epochs(server: PlatformServer, job_id: int) -> list[int]:
    points = server.api.get(f"/jobs/{job_id}/metrics").json()["points"]
    return [p["epoch"] for p in points]


def read_events(server: PlatformServer, job_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Every SSE event of the job until the server ends the stream (the job ended)."""
    events = []
    kind = "message"
    with server.api.stream("GET", f"/jobs/{job_id}/events", timeout=300) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((kind, json.loads(line.split(":", 1)[1])))
    return events


def test_a_job_runs_to_completion_with_metrics_events_and_weights(
    server: PlatformServer, tiny_digits: Path, tmp_path: Path
) -> None:
    job = server.create(**job_body(tiny_digits))
    assert job["status"] == "pending"
    events = read_events(server, job["id"])

    statuses = [e["status"] for kind, e in events if kind == "status"]
    assert statuses[-1] == "completed"
    assert "running" in statuses
    assert [e["epoch"] for kind, e in events if kind == "metric"] == [1, 2]
    logs = [e["message"] for kind, e in events if kind == "log"]
    assert "Training completed" in logs and "Epoch 1/2" in logs

    done = server.job(job["id"])
    assert (done["current_epoch"], done["attempt_count"]) == (2, 1)
    assert done["best_metric"] is not None
    assert metric_epochs(server, job["id"]) == [1, 2]
    points = server.api.get(f"/jobs/{job['id']}/metrics").json()["points"]
    assert {"train_loss", "val_acc", "lr", "epoch_seconds"} <= set(points[0]["values"])

    best = server.api.get(f"/jobs/{job['id']}/artifacts/best.pt")
    assert best.status_code == 200
    saved = tmp_path / "best.pt"
    saved.write_bytes(best.content)
    from vision_platform.adapters import TimmAdapter

    adapter = TimmAdapter(model_name="resnet10t", num_classes=2)
    adapter.load_checkpoint(saved)
    image = next((tiny_digits / "val" / "1").glob("*.png"))
    assert adapter.infer_single(image).predicted_label in {"0", "1"}


def test_pause_saves_and_resume_continues_the_epochs(
    server: PlatformServer, tiny_digits: Path
) -> None:
    job_id = server.create(**job_body(tiny_digits, num_epochs=LONG_RUN))["id"]
    server.wait_epoch(job_id, 1)
    assert server.api.post(f"/jobs/{job_id}/pause").status_code == 200
    paused = server.wait_status(job_id, "paused", "completed")
    assert paused["status"] == "paused", "the run finished before the pause reached it"
    assert paused["last_checkpoint_uri"] and Path(paused["last_checkpoint_uri"]).is_file()
    assert server.api.post(f"/jobs/{job_id}/resume").json()["status"] == "pending"

    done = server.wait_status(job_id, "completed", "failed")
    assert done["status"] == "completed", server.log_text(job_id)
    logs = server.log_text(job_id)
    resumed_at = int(re.findall(r"Resuming training from epoch (\d+)", logs)[-1])
    assert 2 <= resumed_at <= LONG_RUN, logs  # continued after epoch 1, not from the start
    assert metric_epochs(server, job_id) == list(range(1, LONG_RUN + 1))
    assert done["attempt_count"] == 2 and done["failure_count"] == 0


def test_a_killed_trainer_is_retried_and_resumes_from_last_pt(
    server: PlatformServer, tiny_digits: Path
) -> None:
    # Long enough that the kill always lands while it runs (tiny epochs take well under 1 s).
    job_id = server.create(**job_body(tiny_digits, num_epochs=LONG_RUN))["id"]
    server.wait_epoch(job_id, 1)
    job_dir = Path(server.job(job_id)["last_checkpoint_uri"]).parent.parent
    (pid,) = trainer_pids(job_dir)
    os.kill(pid, signal.SIGKILL)

    done = server.wait_status(job_id, "completed", "failed")
    assert done["status"] == "completed", server.log_text(job_id)
    assert (done["attempt_count"], done["failure_count"]) == (2, 1)
    logs = server.log_text(job_id)
    assert "exited with code 137: retrying with --resume (1/3)" in logs
    loaded = int(re.findall(r"Checkpoint loaded: epoch=(\d+)", logs)[-1])
    assert 1 <= loaded < LONG_RUN, logs
    assert metric_epochs(server, job_id) == list(range(1, LONG_RUN + 1))


def test_a_job_with_a_stage_deadline_runs_in_stages_and_completes(
    server: PlatformServer, tiny_digits: Path
) -> None:
    job_id = server.create(**job_body(tiny_digits, max_stage_seconds=1.5))["id"]
    done = server.wait_status(job_id, "completed", "failed")
    assert done["status"] == "completed", server.log_text(job_id)
    assert done["stage_count"] >= 1 and done["failure_count"] == 0
    assert "next stage resumes" in server.log_text(job_id)
    assert metric_epochs(server, job_id) == [1, 2]


def test_cancel_stops_the_trainer(server: PlatformServer, tiny_digits: Path) -> None:
    job_id = server.create(**job_body(tiny_digits, num_epochs=500))["id"]
    server.wait_epoch(job_id, 1)
    job_dir = Path(server.job(job_id)["last_checkpoint_uri"]).parent.parent
    assert trainer_pids(job_dir)
    assert server.api.post(f"/jobs/{job_id}/cancel").json()["requested_action"] == "cancel"
    done = server.wait_status(job_id, "cancelled", "failed", "completed")
    assert done["status"] == "cancelled"
    assert trainer_pids(job_dir) == []
    assert server.api.post(f"/jobs/{job_id}/resume").status_code == 409


def test_a_server_crash_while_a_job_runs_is_recovered(
    server: PlatformServer, tiny_digits: Path
) -> None:
    job_id = server.create(**job_body(tiny_digits, num_epochs=LONG_RUN))["id"]
    server.wait_epoch(job_id, 1)
    server.kill()
    restarted = PlatformServer.__new__(PlatformServer)
    restarted.__dict__.update(server.__dict__)
    restarted.start()  # same port, home and database
    try:
        done = restarted.wait_status(job_id, "completed", "failed")
        assert done["status"] == "completed", restarted.log_text(job_id)
        logs = restarted.log_text(job_id)
        assert "interrupted (the server restarted)" in logs
        resumed_at = int(re.findall(r"Resuming training from epoch (\d+)", logs)[-1])
        assert 2 <= resumed_at <= LONG_RUN, logs
        assert done["failure_count"] == 0
        assert metric_epochs(restarted, job_id) == list(range(1, LONG_RUN + 1))
        job_folder = Path(done["last_checkpoint_uri"]).parent.parent
        wait_for(lambda: not trainer_pids(job_folder), what="the trainers to exit")
    finally:
        restarted.stop()  # the fixture stops only the server it started (killed above)
