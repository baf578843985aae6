"""A YOLO classification job through the whole platform: `vp serve`, its scheduler, a `vp train`
trainer reporting over HTTP. The job's best metric is the one its trainer reports (top1_acc),
not detection's map50 (which a yolo11n-cls run never writes, so the best stayed null)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.fixtures import tiny_digits  # noqa: F401
from tests.integration.platform_server import PlatformServer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, tiny_digits: Path) -> Iterator[PlatformServer]:  # noqa: F811
    platform = PlatformServer(
        home=tmp_path / "home", data_root=tiny_digits.parent, OMP_NUM_THREADS="1"
    ).start()
    yield platform
    platform.stop()


def test_a_yolo11n_cls_job_completes_with_its_best_metric(
    server: PlatformServer,
    tiny_digits: Path,  # noqa: F811
) -> None:
    job = server.create(
        model_name="yolo11n-cls",
        dataset_path=str(tiny_digits),
        num_epochs=2,
        batch_size=4,
        image_size=32,
        seed=0,
    )
    assert job["task_type"] == "classification"
    assert job["best_metric_name"] == "top1_acc"
    done = server.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", server.log_text(job["id"])
    assert done["best_metric"] is not None and 0.0 <= done["best_metric"] <= 1.0
    metrics = server.api.get(f"/jobs/{job['id']}/metrics").json()
    assert metrics["best_metric_name"] == "top1_acc"
    points = metrics["points"]
    assert [p["epoch"] for p in points] == [1, 2]
    assert metrics["best_metric"] == max(p["values"]["top1_acc"] for p in points)
