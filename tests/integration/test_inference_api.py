"""Inference routes on a really trained classifier: single, upload, stream, test runs, errors."""

from __future__ import annotations

import io
import json
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.integration.stream_client import BOUNDARY, multipart_body, multipart_part
from vision_platform.adapters.registry import load_for_inference
from vision_platform.api.app import create_app
from vision_platform.settings import Settings

API = "/api/v1"


@pytest.fixture(scope="module")
def onnx_model(trained_classifier: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("onnx") / "model.onnx"
    return load_for_inference(trained_classifier).export_onnx(target)


@pytest.fixture
def app_client(tmp_path: Path, digits_dir: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=f"sqlite:///{tmp_path / 'vp.db'}",
        data_roots=str(digits_dir.parent),
        batch_wait_ms=20,
    )
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        yield client


def create_job(app_client: TestClient, digits_dir: Path) -> int:
    """A new classification job on `digits_dir` (not run: the app has no scheduler)."""
    created = app_client.post(
        f"{API}/jobs",
        json={
            "model_name": "resnet18",
            "dataset_path": str(digits_dir),
            "num_epochs": 1,
            "batch_size": 4,
            "image_size": 32,
        },
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


@pytest.fixture
def job_id(
    app_client: TestClient,
    digits_dir: Path,
    trained_classifier: Path,
    onnx_model: Path,
    tmp_path: Path,
) -> int:
    """A job whose folder holds a trained best.pt and model.onnx, as a completed job has."""
    job = create_job(app_client, digits_dir)
    weights = tmp_path / ".vp" / "jobs" / f"job_{job}" / "weights"
    weights.mkdir(parents=True)
    shutil.copy(trained_classifier, weights / "best.pt")
    shutil.copy(onnx_model, weights.parent / "model.onnx")
    return job


def val_images(digits_dir: Path) -> list[Path]:
    return sorted((digits_dir / "val").rglob("*.png"))


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def test_single_image_by_path_eager_and_onnx(
    app_client: TestClient, job_id: int, digits_dir: Path
) -> None:
    image = str(val_images(digits_dir)[0])
    eager = app_client.post(
        f"{API}/test/inference/single", json={"job_id": job_id, "image_path": image}
    )
    assert eager.status_code == 200, eager.text
    result = eager.json()
    assert result["predicted_label"] in {"0", "1", "2"} and result["image_path"] == image
    assert {"inference_time_ms", "preprocessing_time_ms", "postprocessing_time_ms"} <= set(result)
    onnx = app_client.post(
        f"{API}/test/inference/single",
        json={"job_id": job_id, "image_path": image, "backend": "onnx"},
    )
    assert onnx.status_code == 200, onnx.text
    assert onnx.json()["predicted_label"] == result["predicted_label"]
    assert onnx.json()["confidence"] == pytest.approx(result["confidence"], abs=1e-4)


def test_concurrent_single_requests_share_forward_passes(
    app_client: TestClient, job_id: int, digits_dir: Path
) -> None:
    images = [str(p) for p in val_images(digits_dir)]

    def ask(path: str) -> int:
        return app_client.post(
            f"{API}/test/inference/single", json={"job_id": job_id, "image_path": path}
        ).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(ask, images))
    assert codes == [200] * len(images)
    runtime = app_client.app.state.inference  # type: ignore[attr-defined]
    (batcher,) = runtime._batchers.values()
    assert batcher.batches_run < len(images)


def test_paths_outside_the_roots_are_refused(
    app_client: TestClient, job_id: int, digits_dir: Path, tmp_path: Path
) -> None:
    link = digits_dir / "escape.png"
    link.symlink_to("/etc/hostname")  # inside the data root, pointing out of it
    try:
        for path in ("/etc/hostname", f"{digits_dir}/../../secret.png", str(link)):
            answer = app_client.post(
                f"{API}/test/inference/single", json={"job_id": job_id, "image_path": path}
            )
            assert answer.status_code == 403, path
    finally:
        link.unlink()


def test_uploads_good_bad_too_large_and_bombs(
    app_client: TestClient, job_id: int, digits_dir: Path
) -> None:
    good = val_images(digits_dir)[0].read_bytes()
    ok = app_client.post(f"{API}/jobs/{job_id}/predict", files={"file": ("a.png", good)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["image_path"] == "a.png"
    bad = app_client.post(f"{API}/jobs/{job_id}/predict", files={"file": ("x.png", b"<html>")})
    assert bad.status_code == 415 and "not a readable image" in bad.json()["detail"]
    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, format="PNG")  # 81 Mpx in a few kB
    bomb = app_client.post(
        f"{API}/jobs/{job_id}/predict", files={"file": ("b.png", buf.getvalue())}
    )
    assert bomb.status_code == 415 and "too large" in bomb.json()["detail"]
    app_client.app.state.settings.max_upload_mb = 0.001  # type: ignore[attr-defined]
    big = app_client.post(f"{API}/jobs/{job_id}/predict", files={"file": ("c.png", good * 3)})
    assert big.status_code == 413


def test_no_checkpoint_is_409_and_unknown_job_404(
    app_client: TestClient, digits_dir: Path, trained_classifier: Path, tmp_path: Path
) -> None:
    untrained = create_job(app_client, digits_dir)
    image = str(val_images(digits_dir)[0])

    def single(job: int) -> int:
        answer = app_client.post(
            f"{API}/test/inference/single", json={"job_id": job, "image_path": image}
        )
        return answer.status_code

    assert single(untrained) == 409
    assert single(424242) == 404
    # Its first checkpoint arrives: the earlier 409 is not remembered.
    weights = tmp_path / ".vp" / "jobs" / f"job_{untrained}" / "weights"
    weights.mkdir(parents=True)
    shutil.copy(trained_classifier, weights / "best.pt")
    assert single(untrained) == 200
    assert single(424242) == 404


def stream_rows(app_client: TestClient, parts: list[bytes]) -> list[dict[str, Any]]:
    """POST /inference/stream with the parts in the given order; 200 and the NDJSON rows."""
    with app_client.stream(
        "POST",
        f"{API}/inference/stream",
        content=multipart_body(parts),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) for line in response.iter_lines() if line]


def test_stream_answers_every_file_in_order_and_survives_bad_ones(
    app_client: TestClient, job_id: int
) -> None:
    good = png_bytes()
    app_client.app.state.settings.max_upload_mb = 0.01  # type: ignore[attr-defined]
    files = [multipart_part("files", good, filename=f"img{i:03d}.png") for i in range(200)]
    files.insert(50, multipart_part("files", b"not an image", filename="broken.png"))
    files.insert(120, multipart_part("files", png_bytes((400, 400)) * 20, filename="huge.png"))
    rows = stream_rows(app_client, [multipart_part("job_id", str(job_id).encode()), *files])
    assert len(rows) == 202
    assert rows[50]["image_path"] == "broken.png"
    assert "not a readable image" in rows[50]["error"]  # what a single upload answers with 415
    assert rows[120]["image_path"] == "huge.png"
    assert "VP_MAX_UPLOAD_MB" in rows[120]["error"]  # what a single upload answers with 413
    names = [r["image_path"] for r in rows if "error" not in r]
    assert names == [f"img{i:03d}.png" for i in range(200)]
    assert all(r["predicted_label"] in {"0", "1", "2"} for r in rows if "error" not in r)
    # The files went through the micro-batcher (one thread runs the model; files of concurrent
    # streams and single requests share forward passes), not through the request's thread.
    state = app_client.app.state  # type: ignore[attr-defined]
    best = (state.settings.home / "jobs" / f"job_{job_id}" / "weights" / "best.pt").resolve()
    assert state.inference.batcher(best, "eager").batches_run >= 200


def test_stream_sent_by_an_ordinary_client(app_client: TestClient, job_id: int) -> None:
    """httpx puts the form fields before the files, as curl -F and browsers do."""
    files = [("files", (f"{i}.png", png_bytes())) for i in range(3)]
    with app_client.stream(
        "POST",
        f"{API}/inference/stream",
        data={"job_id": str(job_id), "backend": "onnx", "conf_threshold": "0.5"},
        files=files,
    ) as response:
        assert response.status_code == 200
        rows = [json.loads(line) for line in response.iter_lines() if line]
    assert [r["image_path"] for r in rows] == ["0.png", "1.png", "2.png"]


def test_stream_refuses_before_the_first_line(
    app_client: TestClient, job_id: int, digits_dir: Path
) -> None:
    image = multipart_part("files", png_bytes(), filename="a.png")

    def answer(*parts: bytes) -> tuple[int, Any]:
        response = app_client.post(
            f"{API}/inference/stream",
            content=multipart_body(list(parts)),
            headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        return response.status_code, response.json()

    code, body = answer(image, multipart_part("job_id", str(job_id).encode()))
    assert code == 422
    assert body["detail"][0]["loc"] == ["body", "job_id"]
    assert "before the files" in body["detail"][0]["msg"]
    code, body = answer(multipart_part("job_id", b"seven"), image)
    assert code == 422 and body["detail"][0]["loc"] == ["body", "job_id"]
    code, body = answer(multipart_part("job_id", str(job_id).encode()))
    assert code == 422 and body["detail"][0]["loc"] == ["body", "files"]
    assert answer(multipart_part("job_id", b"424242"), image)[0] == 404
    untrained = create_job(app_client, digits_dir)
    code, body = answer(multipart_part("job_id", str(untrained).encode()), image)
    assert code == 409 and "no checkpoint" in body["detail"]
    not_multipart = app_client.post(f"{API}/inference/stream", json={"job_id": job_id})
    assert not_multipart.status_code == 422


def test_a_late_field_or_a_cut_off_body_gets_an_error_line(
    app_client: TestClient, job_id: int
) -> None:
    fields = multipart_part("job_id", str(job_id).encode())
    image = multipart_part("files", png_bytes(), filename="a.png")
    late = multipart_part("backend", b"onnx")
    rows = stream_rows(app_client, [fields, image, late])
    assert rows[0]["image_path"] == "a.png" and "error" not in rows[0]
    assert rows[1]["image_path"] is None and "'backend' came after the files" in rows[1]["error"]
    body = multipart_body([fields, image, multipart_part("files", png_bytes(), filename="b.png")])
    with app_client.stream(
        "POST",
        f"{API}/inference/stream",
        content=body[:-40],  # the client went silent in the middle of b.png
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    ) as response:
        rows = [json.loads(line) for line in response.iter_lines() if line]
    assert rows[0]["image_path"] == "a.png" and "error" not in rows[0]
    assert rows[1]["image_path"] == "b.png" and "ended before its closing" in rows[1]["error"]


def finished_run(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (run := client.get(f"{API}/test/runs/{run_id}").json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert run["status"] == "completed", run
    return run


def test_a_test_run_reaches_progress_one_with_correct_metrics(
    app_client: TestClient, job_id: int, digits_dir: Path, trained_classifier: Path
) -> None:
    started = app_client.post(
        f"{API}/test/runs", json={"job_id": job_id, "test_dataset_path": str(digits_dir)}
    )
    assert started.status_code == 202, started.text
    run = finished_run(app_client, started.json()["id"])
    assert run["progress"] == 1.0
    model = load_for_inference(trained_classifier)
    direct = model.infer_batch(val_images(digits_dir))
    right = sum(r.predicted_label == Path(r.image_path).parent.name for r in direct)
    assert run["metrics"]["accuracy"] == pytest.approx(right / len(direct))
    assert len(run["metrics"]["confusion_matrix"]) == 3
    assert app_client.get(f"{API}/test/runs/nope").status_code == 404
    sweep = run["metrics"]["confidence_sweep"]
    assert [row["conf"] for row in sweep][:2] == [0.05, 0.1]
    assert sweep[0]["precision"] == pytest.approx(run["metrics"]["accuracy"], abs=1e-5)


def test_mistake_images_come_only_from_the_run_folder(
    app_client: TestClient, job_id: int, digits_dir: Path, tmp_path: Path
) -> None:
    # Every image under every label: whatever the model answers, two thirds are mistakes.
    test_set = tmp_path / "relabelled"
    for label in ("0", "1", "2"):
        (test_set / label).mkdir(parents=True)
        for image in val_images(digits_dir):
            shutil.copy(image, test_set / label / f"{image.parent.name}_{image.name}")
    started = app_client.post(
        f"{API}/test/runs", json={"job_id": job_id, "test_dataset_path": str(test_set)}
    )
    run_id = started.json()["id"]
    mistakes = finished_run(app_client, run_id)["metrics"]["worst_mistakes"]
    assert len(mistakes) == 20
    url = f"{API}/test/runs/{run_id}/mistakes"

    first = app_client.get(f"{url}/0/image")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/png"
    assert first.content == Path(mistakes[0]["image_path"]).read_bytes()

    app_client.app.state.settings.api_token = "s3cret"  # type: ignore[attr-defined]
    assert app_client.get(f"{url}/0/image").status_code == 401  # why the UI fetches blobs
    bearer = {"Authorization": "Bearer s3cret"}
    assert app_client.get(f"{url}/0/image", headers=bearer).status_code == 200
    app_client.app.state.settings.api_token = None  # type: ignore[attr-defined]

    Image.open(mistakes[1]["image_path"]).save(mistakes[1]["image_path"], format="JPEG")
    assert app_client.get(f"{url}/1/image").headers["content-type"] == "image/jpeg"

    for unknown in (f"{url}/20/image", f"{url}/-1/image", f"{API}/test/runs/nope/mistakes/0/image"):
        assert app_client.get(unknown).status_code == 404, unknown

    outside = tmp_path / "outside.png"  # in the data root, but not in the run's folder
    outside.write_bytes(png_bytes())
    for index, target in ((2, outside), (3, Path("/etc/hostname"))):
        listed = Path(mistakes[index]["image_path"])
        listed.unlink()
        listed.symlink_to(target)
        refused = app_client.get(f"{url}/{index}/image")
        assert refused.status_code == 403, refused.text
        assert "outside the data set folder" in refused.json()["detail"]
