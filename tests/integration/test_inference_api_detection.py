"""Detection test runs and single inference through the API, on a YOLO model trained here."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import vp_command, vp_env
from vision_platform.api.app import create_app
from vision_platform.settings import Settings

API = "/api/v1"
IMAGE_SIZE = 64


@pytest.fixture(scope="module")
def shapes_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vision_platform.datasets.shapes import make_shapes

    root = tmp_path_factory.mktemp("data")
    return make_shapes(root / "shapes", num_train=16, num_val=8, image_size=IMAGE_SIZE)


@pytest.fixture(scope="module")
def yolo_best(shapes_yaml: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """best.pt (with its manifest) of a yolo11n trained for 2 epochs by a real `vp train`."""
    out = tmp_path_factory.mktemp("yolo_run")
    result = subprocess.run(
        vp_command(
            "train",
            *("--model-name", "yolo11n", "--dataset-path", str(shapes_yaml.parent)),
            *("--num-epochs", "2", "--batch-size", "8", "--image-size", str(IMAGE_SIZE)),
            *("--workers", "0", "--output-dir", str(out), "--seed", "3"),
        ),
        env=vp_env(OMP_NUM_THREADS="1", VP_HOME=str(out / ".vp")),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for cache in shapes_yaml.parent.rglob("*.cache"):  # left by training, not by test runs
        cache.unlink()
    return out / "weights" / "best.pt"


@pytest.fixture
def app_client(tmp_path: Path, shapes_yaml: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=f"sqlite:///{tmp_path / 'vp.db'}",
        data_roots=str(shapes_yaml.parent.parent),
        batch_wait_ms=5,
    )
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        yield client


@pytest.fixture
def job_id(app_client: TestClient, shapes_yaml: Path, yolo_best: Path, tmp_path: Path) -> int:
    """A job whose folder holds the trained best.pt and its manifest, as a finished job has."""
    created = app_client.post(
        f"{API}/jobs",
        json={
            "model_name": "yolo11n",
            "dataset_path": str(shapes_yaml.parent),
            "num_epochs": 2,
            "batch_size": 8,
            "image_size": IMAGE_SIZE,
        },
    )
    assert created.status_code == 201, created.text
    job = int(created.json()["id"])
    weights = tmp_path / ".vp" / "jobs" / f"job_{job}" / "weights"
    weights.mkdir(parents=True)
    shutil.copy(yolo_best, weights / "best.pt")
    shutil.copy(yolo_best.with_name("best.pt.json"), weights / "best.pt.json")
    return job


def wait_for_run(client: TestClient, run_id: str) -> tuple[dict[str, Any], list[float]]:
    seen: list[float] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        run = client.get(f"{API}/test/runs/{run_id}").json()
        seen.append(run["progress"])
        if run["status"] != "running":
            return run, seen
        time.sleep(0.05)
    raise AssertionError(f"test run {run_id} still running after 300 s")


def direct_val(best: Path, data_yaml: Path, project: Path) -> Any:
    """Ultralytics' own `model.val()` with the settings a test run uses."""
    from vision_platform.adapters.ultralytics.shim import import_ultralytics, restore_threads

    import_ultralytics()
    from ultralytics import YOLO

    try:
        return YOLO(str(best)).val(
            data=str(data_yaml),
            conf=0.001,
            iou=0.7,
            imgsz=IMAGE_SIZE,
            batch=16,
            device="cpu",
            plots=False,
            verbose=False,
            project=str(project),
            name="val",
        )
    finally:
        restore_threads()


def test_detection_test_run_agrees_with_ultralytics_val(
    app_client: TestClient, job_id: int, shapes_yaml: Path, yolo_best: Path, tmp_path: Path
) -> None:
    started = app_client.post(
        f"{API}/test/runs",
        json={"job_id": job_id, "test_dataset_path": str(shapes_yaml), "conf_threshold": 0.01},
    )
    assert started.status_code == 202, started.text
    run, seen = wait_for_run(app_client, started.json()["id"])
    assert run["status"] == "completed", run["error"]
    assert run["progress"] == 1.0 and seen == sorted(seen)
    metrics = run["metrics"]
    assert metrics["split"] == "val" and metrics["num_images"] == 8
    assert metrics["conf_threshold"] == 0.01
    assert [c["label"] for c in metrics["per_class"]] == ["square", "disc", "triangle"]
    assert [row["conf"] for row in metrics["confidence_sweep"]][:2] == [0.05, 0.1]
    assert all(len(c["precision"]) == 101 for c in metrics["pr_curves"])
    worst = metrics["worst_mistakes"]
    assert 0 < len(worst) <= 8
    counts = [w["num_mistakes"] for w in worst]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    assert all(Path(w["image_path"]).is_file() for w in worst)
    # The run was given data.yaml: its images are served from the folder that holds it.
    image = app_client.get(f"{API}/test/runs/{run['id']}/mistakes/0/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == Path(worst[0]["image_path"]).read_bytes()
    assert not list(shapes_yaml.parent.rglob("*.cache")), "a test run wrote into the data set"

    direct = direct_val(yolo_best, shapes_yaml, tmp_path / "direct")
    assert metrics["map50"] == pytest.approx(direct.box.map50, abs=1e-9)
    assert metrics["map50_95"] == pytest.approx(direct.box.map, abs=1e-9)
    assert metrics["precision"] == pytest.approx(direct.box.mp, abs=1e-9)
    assert metrics["recall"] == pytest.approx(direct.box.mr, abs=1e-9)
    assert metrics["num_boxes"] == int(direct.nt_per_class.sum()) > 0
    assert [c["ap50"] for c in metrics["per_class"]] == pytest.approx(
        [round(float(v), 5) for v in direct.box.ap50], abs=1e-9
    )


def test_a_folder_without_data_yaml_fails_the_run_with_the_reason(
    app_client: TestClient, job_id: int, shapes_yaml: Path
) -> None:
    images = shapes_yaml.parent / "images"
    started = app_client.post(
        f"{API}/test/runs", json={"job_id": job_id, "test_dataset_path": str(images)}
    )
    assert started.status_code == 202, started.text
    run, _ = wait_for_run(app_client, started.json()["id"])
    assert run["status"] == "failed" and "data.yaml" in run["error"]


def test_single_inference_returns_pixel_boxes(
    app_client: TestClient, job_id: int, shapes_yaml: Path
) -> None:
    image = sorted((shapes_yaml.parent / "images" / "val").glob("*.png"))[0]

    def boxes(**thresholds: float) -> list[dict[str, Any]]:
        answer = app_client.post(
            f"{API}/test/inference/single",
            json={"job_id": job_id, "image_path": str(image), **thresholds},
        )
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["detections"]
        return found

    # Two epochs from scratch score below the model's default 0.25: a request's own, lower
    # threshold reaches below it, and its NMS IoU changes how many overlapping boxes survive.
    low = boxes(conf_threshold=0.001)
    assert low and min(b["confidence"] for b in low) >= 0.001
    assert len(boxes(conf_threshold=0.001, iou_threshold=0.05)) < len(
        boxes(conf_threshold=0.001, iou_threshold=0.95)
    )
    confidences = sorted({b["confidence"] for b in low})
    assert len(confidences) >= 2
    middle = len(confidences) // 2  # a cut between two boxes' scores: no float ties at the edge
    cut = (confidences[middle - 1] + confidences[middle]) / 2
    assert [b for b in low if b["confidence"] >= cut] == boxes(conf_threshold=cut)
    answer = app_client.post(
        f"{API}/test/inference/single",
        json={"job_id": job_id, "image_path": str(image), "conf_threshold": 0.001},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["task_type"] == "detection" and result["image_path"] == str(image)
    assert result["detections"], result
    corners = [v for box in result["detections"] for v in box["bbox"]]
    assert max(corners) > 1  # pixels, not normalized coordinates
    for box in result["detections"]:
        x1, y1, x2, y2 = box["bbox"]
        assert 0 <= x1 <= x2 <= IMAGE_SIZE and 0 <= y1 <= y2 <= IMAGE_SIZE
        assert box["class_name"] in {"square", "disc", "triangle"}


def test_onnx_backend_finds_the_same_boxes_as_pytorch(
    app_client: TestClient, job_id: int, shapes_yaml: Path, yolo_best: Path, tmp_path: Path
) -> None:
    from vision_platform.adapters.registry import load_for_inference

    onnx_file = tmp_path / ".vp" / "jobs" / f"job_{job_id}" / "model.onnx"
    load_for_inference(yolo_best).export_onnx(onnx_file)
    images = sorted((shapes_yaml.parent / "images" / "val").glob("*.png"))
    image = images[0]
    # Several images in one call (the micro-batcher's and batch jobs' way): one result each.
    predictor = app_client.app.state.inference.predictor  # type: ignore[attr-defined]
    several = predictor.predict(onnx_file, images[:5], backend="onnx", batch_size=4)
    assert [r.image_path for r in several] == [str(p) for p in images[:5]]

    def boxes(backend: str) -> list[dict[str, Any]]:
        answer = app_client.post(
            f"{API}/test/inference/single",
            json={
                "job_id": job_id,
                "image_path": str(image),
                "backend": backend,
                "conf_threshold": 0.001,
            },
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["task_type"] == "detection"
        found: list[dict[str, Any]] = answer.json()["detections"]
        return sorted(found, key=lambda b: -b["confidence"])[:5]

    # Two epochs from scratch score barely above 0.001: a box right at the threshold may be
    # kept by one backend and not the other, so the strongest three are compared.
    eager, onnx = boxes("eager"), boxes("onnx")
    assert len(eager) >= 3 and len(onnx) >= 3
    for a, b in zip(eager[:3], onnx[:3], strict=True):
        assert a["class_name"] == b["class_name"]
        assert abs(a["confidence"] - b["confidence"]) < 1e-3
        assert max(abs(x - y) for x, y in zip(a["bbox"], b["bbox"], strict=True)) < 0.5  # px
