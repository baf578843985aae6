"""Batch inference jobs through a real `vp serve`: the executor runs `vp infer-batch`."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.integration.platform_server import PlatformServer, trainer_pids, wait_for

NUM_IMAGES = 60


@pytest.fixture(scope="module")
def inputs(tiny_digits: Path) -> Path:
    """NUM_IMAGES small digit images (inside the server's data root) and one broken file."""
    folder = tiny_digits.parent / "batch_inputs"
    folder.mkdir(exist_ok=True)
    sources = sorted((tiny_digits / "train").rglob("*.png"))
    for i in range(NUM_IMAGES):
        with Image.open(sources[i % len(sources)]) as img:
            img.save(folder / f"img_{i:03d}.png")
    (folder / "img_999_broken.png").write_bytes(b"this is no png")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_digits: Path) -> Iterator[PlatformServer]:
    home = tmp_path_factory.mktemp("batch") / ".vp"
    # Slow each image down a little, so that a test can kill a run midway.
    platform = PlatformServer(
        home=home, data_root=tiny_digits.parent, VP_BATCH_ITEM_DELAY_SECONDS="0.05"
    ).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def trained_job(server: PlatformServer, tiny_digits: Path) -> int:
    """A training job the server ran to completion: its folder holds best.pt."""
    return server.train_tiny_classifier(tiny_digits)


def start_batch(server: PlatformServer, **body: Any) -> dict[str, Any]:
    response = server.api.post("/inference/batch", json=body)
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    return created


def batch_status(server: PlatformServer, batch_id: int) -> dict[str, Any]:
    response = server.api.get(f"/inference/batch/{batch_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def wait_batch(server: PlatformServer, batch_id: int) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def ended() -> bool:
        found.update(batch_status(server, batch_id))
        return found["status"] in ("completed", "failed", "cancelled")

    wait_for(ended, what=f"batch job {batch_id} to end", server=server)
    return found


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def expected_inputs(inputs: Path) -> list[str]:
    return sorted(str(p) for p in inputs.iterdir())


def test_a_batch_job_writes_one_line_per_image_and_reports_progress(
    server: PlatformServer, trained_job: int, inputs: Path
) -> None:
    created = start_batch(server, job_id=trained_job, input_prefix=str(inputs), batch_size=8)
    assert created["status"] == "pending" and created["progress"] == 0
    done = wait_batch(server, created["id"])
    assert done["status"] == "completed", server.log_text(created["id"])
    assert (done["done"], done["total"], done["progress"]) == (NUM_IMAGES + 1,) * 2 + (1.0,)
    lines = read_lines(Path(done["output_path"]))
    assert [line["image_path"] for line in lines] == expected_inputs(inputs)
    broken = [line for line in lines if "error" in line]
    assert [Path(line["image_path"]).name for line in broken] == ["img_999_broken.png"]
    assert all(line["predicted_label"] in ("0", "1") for line in lines if "error" not in line)
    assert "batch inference completed" in server.log_text(created["id"])


def test_a_killed_batch_run_is_retried_and_writes_each_image_once(
    server: PlatformServer, trained_job: int, inputs: Path
) -> None:
    images = expected_inputs(inputs)[:NUM_IMAGES]
    created = start_batch(server, job_id=trained_job, input_images=images, batch_size=4)
    output = Path(created["output_path"])
    job_dir = output.parent
    wait_for(
        lambda: output.is_file() and output.read_text().count("\n") >= 8,
        what="the first batches",
        server=server,
    )
    (pid,) = trainer_pids(job_dir, "infer-batch")
    os.kill(pid, signal.SIGKILL)
    done = wait_batch(server, created["id"])
    assert done["status"] == "completed", server.log_text(created["id"])
    assert (done["attempt_count"], done["failure_count"]) == (2, 1)
    logs = server.log_text(created["id"])
    assert "exited with code 137: retrying with --resume" in logs
    assert "Resuming batch inference at image" in logs
    assert [line["image_path"] for line in read_lines(output)] == images


def test_batch_requests_are_refused_with_the_reason(
    server: PlatformServer, trained_job: int, inputs: Path, tmp_path: Path
) -> None:
    post = server.api.post
    outside = post("/inference/batch", json={"job_id": trained_job, "input_prefix": "/etc"})
    assert outside.status_code == 403 and "input_prefix" in outside.json()["detail"]
    escape = post(
        "/inference/batch",
        json={
            "job_id": trained_job,
            "input_prefix": str(inputs),
            "output_path": str(tmp_path / "results.jsonl"),
        },
    )
    assert escape.status_code == 403 and "output_path" in escape.json()["detail"]
    # This server has no bucket for its storage: an s3:// output is outside it.
    bucket = post(
        "/inference/batch",
        json={
            "job_id": trained_job,
            "input_prefix": str(inputs),
            "output_path": "s3://elsewhere/results.jsonl",
        },
    )
    assert bucket.status_code == 403 and "storage root" in bucket.json()["detail"]
    assert (
        post("/inference/batch", json={"job_id": 999, "input_prefix": str(inputs)}).status_code
        == 404
    )
    both = post("/inference/batch", json={"job_id": trained_job})
    assert both.status_code == 422
    assert server.api.get("/inference/batch/999").status_code == 404
    assert server.api.get(f"/inference/batch/{trained_job}").status_code == 404
