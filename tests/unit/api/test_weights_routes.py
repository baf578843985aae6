"""POST/GET /api/v1/weights: uploads checked as tensors only, with their sha256 recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.weights.fixtures import MODEL
from vision_platform.api.app import create_app
from vision_platform.settings import Settings
from vision_platform.storage import file_sha256


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / ".vp", database_url=f"sqlite:///{tmp_path / 'vp.db'}", max_weights_mb=2
    )
    with TestClient(create_app(settings, run_scheduler=False)) as test_client:
        yield test_client


def upload(client: TestClient, path: Path, model: str = MODEL) -> object:
    with open(path, "rb") as f:
        return client.post(
            "/api/v1/weights", data={"model_name": model}, files={"file": (path.name, f)}
        )


def test_an_upload_is_stored_and_listed(
    client: TestClient, resnet_weights: dict[str, Path]
) -> None:
    path = resnet_weights["test_resnet.safetensors"]
    created = upload(client, path)
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    record = created.json()  # type: ignore[attr-defined]
    assert record["source_sha256"] == file_sha256(path) and record["num_classes"] == 7
    assert client.get("/api/v1/weights").json() == [record]
    assert client.get("/api/v1/weights", params={"model_name": "resnet18"}).json() == []


@pytest.mark.parametrize(
    ("name", "model", "status", "words"),
    [
        ("garbage.pth", MODEL, 422, "is not a readable weights file"),
        ("module.pt", MODEL, 422, "a pickle of more than tensors"),
        ("test_resnet.pth", "resnet_nope", 422, "unknown timm model"),
        ("resnet10t.pth", MODEL, 413, "over the 2 MB limit"),
        ("test_resnet.pth", "yolo11n", 422, "Ultralytics weights are pickles"),
    ],
)
def test_bad_uploads_are_refused_naming_the_file(
    client: TestClient,
    resnet_weights: dict[str, Path],
    name: str,
    model: str,
    status: int,
    words: str,
) -> None:
    answer = upload(client, resnet_weights[name], model)
    assert answer.status_code == status  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert words in (body["message"] if status == 422 else body["detail"])
    if status == 422:
        assert body["message"].startswith(name) or "unknown" in body["message"]
    assert client.get("/api/v1/weights").json() == []
