"""Checkpoints and data sets in S3 for real over HTTP (moto's S3 server on loopback)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import run_vp
from tests.integration.fixtures import s3_storage_env
from tests.integration.test_inference_api import job_id, onnx_model
from vision_platform.api.app import create_app
from vision_platform.inference.batch import BatchInferenceSpec, BatchRunner
from vision_platform.settings import Settings
from vision_platform.storage import ArtifactStore

BUCKET = "vp-test"
__all__ = ["job_id", "onnx_model"]  # fixtures shared with the inference API tests


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return s3_storage_env(s3_endpoint, f"s3://{BUCKET}/artifacts", monkeypatch)


def train(data: str, out: Path, epochs: int, *extra: str) -> str:
    result = run_vp(
        "train",
        "--model-name",
        "resnet18",
        "--dataset-path",
        data,
        "--job-id",
        "5",
        "--num-epochs",
        str(epochs),
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--output-dir",
        str(out),
        "--seed",
        "3",
        *extra,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_checkpoints_live_in_the_bucket_and_resume_from_it(
    s3_env: dict[str, str], digits_dir: Path, tmp_path: Path
) -> None:
    store = ArtifactStore(f"s3://{BUCKET}", endpoint_url=s3_env["VP_S3_ENDPOINT_URL"])
    for path in sorted(digits_dir.rglob("*.png")):
        store.put_file(path, f"data/digits/{path.relative_to(digits_dir)}")
    data_uri = f"s3://{BUCKET}/data/digits"
    out = tmp_path / "job_5"

    first = train(data_uri, out, 2)
    assert "downloaded" in first
    weights = "artifacts/job_5/weights"
    for name in ("last.pt", "last.pt.json", "best.pt", "best.pt.json", "last.prev.pt"):
        assert store.exists(f"{weights}/{name}"), name
    manifest = store.read_json(f"{weights}/last.pt.json")
    assert manifest["epoch"] == 2 and manifest["framework"] == "timm"
    assert len(manifest["config_digest"]) == 64 and len(manifest["sha256"]) == 64

    shutil.rmtree(out)  # a new pod on another node: nothing local
    second = train(data_uri, out, 3, "--resume")
    assert f"Loading checkpoint from: s3://{BUCKET}/{weights}/last.pt" in second
    assert "Resuming training from epoch 3" in second
    assert "using the cached copy" in second

    shutil.rmtree(out)
    store.fs.pipe_file(f"{BUCKET}/{weights}/last.pt", b"damaged in transit")
    third = train(data_uri, out, 4, "--resume")
    assert "WARNING" in third and "truncated" in third
    assert "Checkpoint loaded: epoch=2" in third
    assert "Resuming training from epoch 3" in third

    # Transfer learning from a checkpoint in the bucket: weights only, a new run from epoch 1.
    best_uri = f"s3://{BUCKET}/{weights}/best.pt"
    fourth = train(data_uri, tmp_path / "transfer", 1, "--checkpoint-path", best_uri)
    assert "Resuming" not in fourth
    assert (tmp_path / "transfer" / "source" / "best.pt").is_file()


def test_batch_results_go_to_the_bucket_and_a_new_pod_resumes_from_the_partial_file(
    s3_env: dict[str, str], trained_classifier: Path, digits_dir: Path, tmp_path: Path
) -> None:
    endpoint = s3_env["VP_S3_ENDPOINT_URL"]
    store = ArtifactStore(f"s3://{BUCKET}", endpoint_url=endpoint)
    images = sorted(str(p) for p in (digits_dir / "val").rglob("*.png"))[:10]
    output = f"s3://{BUCKET}/artifacts/batch/results.jsonl"
    spec = BatchInferenceSpec(
        model_path=str(trained_classifier), input_images=images, output_path=output, batch_size=4
    )
    stops = iter([None, None, "SIGTERM"])
    first = BatchRunner(
        spec,
        endpoint_url=endpoint,
        work_dir=tmp_path / "pod-1",
        stop_reason=lambda: next(stops, "SIGTERM"),
        upload_every_s=3600,  # only the stop uploads
    )
    assert first.run() == 75
    assert not store.exists("artifacts/batch/results.jsonl")
    partial = store.fs.cat_file(f"{BUCKET}/artifacts/batch/results.jsonl.partial").decode()
    assert len(partial.splitlines()) == 8

    second = BatchRunner(spec, endpoint_url=endpoint, work_dir=tmp_path / "pod-2")
    assert second.run() == 0
    lines = store.fs.cat_file(f"{BUCKET}/artifacts/batch/results.jsonl").decode().splitlines()
    assert [json.loads(line)["image_path"] for line in lines] == images
    assert not store.exists("artifacts/batch/results.jsonl.partial")


@pytest.fixture
def app_client(s3_env: dict[str, str], tmp_path: Path, digits_dir: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=f"sqlite:///{tmp_path / 'vp.db'}",
        data_roots=str(digits_dir.parent),
        storage_uri=s3_env["VP_STORAGE_URI"],
        s3_endpoint_url=s3_env["VP_S3_ENDPOINT_URL"],
    )
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        yield client


def test_single_inference_reads_images_under_the_storage_root_only(
    app_client: TestClient, job_id: int, s3_env: dict[str, str], digits_dir: Path
) -> None:
    store = ArtifactStore(f"s3://{BUCKET}", endpoint_url=s3_env["VP_S3_ENDPOINT_URL"])
    image = sorted((digits_dir / "val").rglob("*.png"))[0]
    store.put_file(image, "artifacts/uploads/three.png")
    store.put_file(image, "outside/three.png")

    def single(uri: str) -> Response:
        return app_client.post(
            "/api/v1/test/inference/single", json={"job_id": job_id, "image_path": uri}
        )

    uri = f"s3://{BUCKET}/artifacts/uploads/three.png"
    answer = single(uri)
    assert answer.status_code == 200, answer.text
    local = single(str(image)).json()
    assert answer.json()["image_path"] == uri
    assert answer.json()["top5_predictions"] == local["top5_predictions"]
    for refused in (
        f"s3://{BUCKET}/outside/three.png",
        f"s3://{BUCKET}/artifacts/../outside/three.png",
        "s3://another-bucket/artifacts/uploads/three.png",
    ):
        assert single(refused).status_code == 403, refused
    missing = single(f"s3://{BUCKET}/artifacts/uploads/nothing.png")
    assert missing.status_code == 422 and "does not exist" in missing.text


def test_a_job_may_train_on_a_data_set_under_the_storage_root(
    app_client: TestClient, s3_env: dict[str, str], digits_dir: Path
) -> None:
    store = ArtifactStore(f"s3://{BUCKET}", endpoint_url=s3_env["VP_S3_ENDPOINT_URL"])
    for path in sorted(digits_dir.rglob("*.png"))[:8]:
        store.put_file(path, f"artifacts/data/digits/{path.relative_to(digits_dir)}")
    store.put_file(next(digits_dir.rglob("*.png")), "outside/digits/a/x.png")

    def create(dataset: str) -> Response:
        body = {"model_name": "resnet18", "dataset_path": dataset, "num_epochs": 1}
        return app_client.post("/api/v1/jobs", json=body)

    created = create(f"s3://{BUCKET}/artifacts/data/digits/")
    assert created.status_code == 201, created.text
    assert created.json()["dataset_path"] == f"s3://{BUCKET}/artifacts/data/digits"
    assert create(f"s3://{BUCKET}/outside/digits").status_code == 403
    empty = create(f"s3://{BUCKET}/artifacts/data/nothing")
    assert empty.status_code == 422 and "holds no files" in empty.text


def test_a_test_run_may_evaluate_a_data_set_under_the_storage_root(
    app_client: TestClient, job_id: int, s3_env: dict[str, str], digits_dir: Path, tmp_path: Path
) -> None:
    from tests.integration.test_inference_api import finished_run

    # Every image under every label: whatever the model answers, two thirds are mistakes.
    test_set = tmp_path / "relabelled"
    store = ArtifactStore(f"s3://{BUCKET}", endpoint_url=s3_env["VP_S3_ENDPOINT_URL"])
    for label in ("0", "1", "2"):
        (test_set / label).mkdir(parents=True)
        for image in sorted((digits_dir / "val").rglob("*.png")):
            copy = test_set / label / f"{image.parent.name}_{image.name}"
            shutil.copy(image, copy)
            store.put_file(copy, f"artifacts/data/test-set/{label}/{copy.name}")
    store.put_file(next(digits_dir.rglob("*.png")), "outside/test-set/0/x.png")

    def start(dataset: str) -> Response:
        body = {"job_id": job_id, "test_dataset_path": dataset}
        return app_client.post("/api/v1/test/runs", json=body)

    uri = f"s3://{BUCKET}/artifacts/data/test-set"
    remote = start(uri)
    assert remote.status_code == 202, remote.text
    local = start(str(test_set))
    remote_run = finished_run(app_client, remote.json()["id"])
    local_run = finished_run(app_client, local.json()["id"])
    assert remote_run["test_dataset_path"] == uri
    for key in ("accuracy", "confusion_matrix", "per_class"):
        assert remote_run["metrics"][key] == local_run["metrics"][key], key

    # The worst mistakes are served from the platform's local copy of the bucket's files.
    mistakes = remote_run["metrics"]["worst_mistakes"]
    assert len(mistakes) == 20
    image = app_client.get(f"/api/v1/test/runs/{remote.json()['id']}/mistakes/0/image")
    assert image.status_code == 200, image.text
    name = Path(mistakes[0]["image_path"])
    assert image.content == (test_set / name.parent.name / name.name).read_bytes()

    assert start(f"s3://{BUCKET}/outside/test-set").status_code == 403
    assert start(f"s3://{BUCKET}/artifacts/../outside/test-set").status_code == 403
    empty = start(f"s3://{BUCKET}/artifacts/data/nothing")
    assert empty.status_code == 422 and "holds no files" in empty.text
    other = start("gs://elsewhere/test-set")
    assert other.status_code == 403 and "test_dataset_path" in other.text
