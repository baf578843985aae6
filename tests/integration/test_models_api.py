"""The model registry on a real `vp serve` with really trained jobs: register, alias, predict
by name (also while the alias moves), compare runs, the `vp models` commands, bad input."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.integration.platform_server import PlatformServer
from vision_platform.cli import app as vp_app


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vision_platform.datasets.digits import make_digits

    root = tmp_path_factory.mktemp("data")
    return make_digits(root / "digits", num_classes=2, per_class=8, size=32)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Iterator[PlatformServer]:
    home = tmp_path_factory.mktemp("platform") / ".vp"
    platform = PlatformServer(home=home, data_root=data.parent).start()
    yield platform
    platform.stop()


def train(server: PlatformServer, data: Path, **overrides: Any) -> int:
    body: dict[str, Any] = {
        "model_name": "resnet10t",
        "dataset_path": str(data),
        "num_epochs": 1,
        "batch_size": 4,
        "image_size": 32,
        "seed": 0,
    }
    body.update(overrides)
    job = server.create(**body)
    done = server.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", server.log_text(job["id"])
    return int(job["id"])


@pytest.fixture(scope="module")
def jobs(server: PlatformServer, data: Path) -> tuple[int, int]:
    """Two completed real runs that differ in epochs, learning rate and seed; the first was
    created with `register_as: "digits"`."""
    first = train(server, data, register_as="digits")
    second = train(server, data, num_epochs=2, learning_rate=0.003, seed=1)
    return first, second


def image_bytes(data: Path, index: int = 0) -> bytes:
    return sorted((data / "val").rglob("*.png"))[index].read_bytes()


def predict(api: httpx.Client, ref: str, data: Path) -> httpx.Response:
    return api.post(f"/models/{ref}/predict", files={"file": ("x.png", image_bytes(data))})


def test_register_alias_and_predict_by_name(
    server: PlatformServer, jobs: tuple[int, int], data: Path
) -> None:
    first, second = jobs
    api = server.api
    model = api.get("/models/digits").json()
    assert [(v["version"], v["job_id"]) for v in model["versions"]] == [(1, first)]  # register_as
    assert "Registered as version 1 of model 'digits'" in server.log_text(first)
    created = api.post("/models/digits/versions", json={"job_id": second})
    assert created.status_code == 201, created.text
    v2 = created.json()
    assert (v2["version"], v2["best_metric_name"], v2["dataset"]) == (2, "val_acc", str(data))
    assert v2["config"]["num_epochs"] == 2 and v2["config"]["config"]["learning_rate"] == 0.003
    assert set(v2["final_metrics"]) >= {"train_loss", "val_acc"} and "onnx" in v2["exports"]

    no_alias = predict(api, "digits", data)
    assert no_alias.status_code == 404 and "has no aliases" in no_alias.json()["detail"]
    assert api.put("/models/digits/aliases/production", json={"version": 1}).status_code == 200
    assert api.put("/models/digits/aliases/staging", json={"version": 2}).status_code == 200

    by_name = predict(api, "digits", data)
    assert by_name.status_code == 200, by_name.text
    result = by_name.json()
    assert (by_name.headers["x-model-version"], result["model_version"]) == ("1", 1)
    assert result["model"] == "digits" and result["predicted_label"] in {"0", "1"}
    assert {"confidence", "top5_predictions", "inference_time_ms"} <= set(result)
    # The same model as the job's own route answers.
    by_job = api.post(f"/jobs/{first}/predict", files={"file": ("x.png", image_bytes(data))})
    assert by_job.json()["confidence"] == pytest.approx(result["confidence"])
    assert predict(api, "digits@staging", data).json()["model_version"] == 2
    assert predict(api, "digits@v2", data).headers["x-model-version"] == "2"
    onnx = api.post(
        "/models/digits@v2/predict",
        files={"file": ("x.png", image_bytes(data))},
        data={"backend": "onnx"},
    )
    assert onnx.status_code == 200 and onnx.json()["model_version"] == 2

    listed = api.get("/models").json()["items"]
    assert listed[0]["aliases"] == {"production": 1, "staging": 2}


def test_stream_and_download_by_name(
    server: PlatformServer, jobs: tuple[int, int], data: Path
) -> None:
    api = server.api
    api.put("/models/digits/aliases/production", json={"version": 1})
    files = [("files", (f"{i}.png", image_bytes(data, i))) for i in range(3)]
    streamed = api.post("/models/digits/predict/stream", files=files)
    assert streamed.status_code == 200, streamed.text
    assert streamed.headers["x-model-version"] == "1"
    lines = [json.loads(line) for line in streamed.text.splitlines()]
    assert [(line["image_path"], line["model_version"]) for line in lines] == [
        ("0.png", 1),
        ("1.png", 1),
        ("2.png", 1),
    ]

    version = api.get("/models/digits/versions/v1").json()
    for fmt, digest in (("pt", version["checkpoint_sha256"]), ("onnx", None)):
        download = api.get("/models/digits/versions/1/download", params={"format": fmt})
        assert download.status_code == 200, download.text
        expected = digest or version["exports"]["onnx"]["sha256"]
        assert hashlib.sha256(download.content).hexdigest() == expected
    assert api.get("/models/digits/versions/1/download?format=zip").status_code == 422


def test_moving_the_alias_drops_no_request(
    server: PlatformServer, jobs: tuple[int, int], data: Path
) -> None:
    """Clients keep predicting by name while production moves from v1 to v2: every request is
    answered, each by the old or the new version, and once one has seen v2 it sees no v1."""
    api = server.api
    for job in jobs:
        api.post("/models/swap/versions", json={"job_id": job})
    api.put("/models/swap/aliases/production", json={"version": 1})
    answers: list[list[tuple[int, int]]] = [[], []]
    stop = threading.Event()

    def client(seen: list[tuple[int, int]]) -> None:
        with httpx.Client(base_url=server.api.base_url, timeout=60, trust_env=False) as own:
            while not stop.is_set():
                response = predict(own, "swap", data)
                version = response.json().get("model_version") if response.is_success else -1
                seen.append((response.status_code, version))

    threads = [threading.Thread(target=client, args=(seen,)) for seen in answers]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: all(len(seen) >= 5 for seen in answers))
        moved = api.put("/models/swap/aliases/production", json={"version": 2})
        assert moved.status_code == 200
        counts = [len(seen) for seen in answers]
        wait_until(lambda: all(len(s) >= c + 10 for s, c in zip(answers, counts, strict=True)))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    for seen in answers:
        assert {code for code, _ in seen} == {200}, seen
        versions = [version for _, version in seen]
        assert versions[0] == 1 and versions[-1] == 2, versions
        assert versions == sorted(versions), versions  # no v1 after the first v2


def wait_until(condition: Any, timeout: float = 240) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_compare_two_real_jobs(server: PlatformServer, jobs: tuple[int, int]) -> None:
    first, second = jobs
    compared = server.api.get("/jobs/compare", params={"ids": f"{first},{second}"})
    assert compared.status_code == 200, compared.text
    doc = compared.json()
    assert doc["job_ids"] == [first, second] and doc["epochs"] == [1, 2]
    assert doc["differences"]["num_epochs"] == [1, 2]
    assert doc["differences"]["seed"] == [0, 1]
    assert doc["differences"]["config.learning_rate"][1] == 0.003
    assert "model_name" not in doc["differences"]
    one, two = doc["jobs"]
    assert len(one["curves"]["val_acc"]) == 2 and one["curves"]["val_acc"][1] is None
    assert None not in two["curves"]["train_loss"]
    assert one["final_metrics"]["val_acc"] == one["curves"]["val_acc"][0]
    best = max(doc["jobs"], key=lambda j: j["best_metric"])
    assert doc["best_metric_name"] == "val_acc" and doc["best_job_id"] == best["job_id"]
    for ids, code in ((f"{first}", 422), (f"{first},999", 404), ("x,y", 422)):
        assert server.api.get("/jobs/compare", params={"ids": ids}).status_code == code, ids


def test_bad_input_gets_the_documented_codes(
    server: PlatformServer, jobs: tuple[int, int], data: Path
) -> None:
    first, _ = jobs
    api = server.api
    assert api.post("/models/bad/versions", json={"job_id": first}).status_code == 201
    waiting = server.create(
        model_name="resnet10t", dataset_path=str(data), num_epochs=1, batch_size=4, image_size=32
    )
    api.post(f"/jobs/{waiting['id']}/pause")
    not_done = api.post("/models/bad/versions", json={"job_id": waiting["id"]})
    assert not_done.status_code == 409 and "completed" in not_done.json()["detail"]
    api.post(f"/jobs/{waiting['id']}/cancel")
    assert api.post("/models/bad/versions", json={"job_id": 99999}).status_code == 404
    assert api.post("/models/Bad!/versions", json={"job_id": first}).status_code == 422
    assert api.get("/models/nothing").status_code == 404
    assert api.get("/models/bad/versions/7").status_code == 404
    assert api.put("/models/bad/aliases/production", json={"version": 7}).status_code == 404
    assert api.delete("/models/bad/aliases/production").status_code == 404
    for alias in ("Prod", "v3", "a.b"):
        answer = api.put(f"/models/bad/aliases/{alias}", json={"version": 1})
        assert answer.status_code == 422, alias

    api.put("/models/bad/aliases/staging", json={"version": 1})
    no_production = predict(api, "bad", data)
    assert no_production.status_code == 404
    assert "its aliases: staging (v1)" in no_production.json()["detail"]
    assert predict(api, "bad@v9", data).status_code == 404
    assert predict(api, "bad@Nope", data).status_code == 422
    not_image = api.post("/models/bad@v1/predict", files={"file": ("x.png", b"not an image")})
    assert not_image.status_code == 415

    pinned = api.delete("/models/bad/versions/1")
    assert pinned.status_code == 409 and "staging" in pinned.json()["detail"]
    assert api.delete("/models/bad/aliases/staging").status_code == 204
    assert api.delete("/models/bad/versions/1").status_code == 204
    assert api.get("/models/bad").json()["versions"] == []


def test_the_vp_models_commands(server: PlatformServer, jobs: tuple[int, int], data: Path) -> None:
    first, _ = jobs

    def vp(*args: str) -> Any:
        result = CliRunner().invoke(vp_app, [*args, "--server", server.url])
        assert result.exit_code == 0, result.output
        return result

    vp("models", "register", "cli", "--job", str(first))
    vp("models", "alias", "cli", "production", "1")
    assert "cli" in vp("models", "list").stdout
    listed = json.loads(vp("models", "list", "--json").stdout)["items"]
    assert next(m for m in listed if m["name"] == "cli")["aliases"] == {"production": 1}
    images = sorted((data / "val").rglob("*.png"))[:2]
    out = vp("models", "predict", "cli", *map(str, images)).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["model_version"] for line in lines] == [1, 1]
    assert [line["image_path"] for line in lines] == [image.name for image in images]
    missing = CliRunner().invoke(
        vp_app, ["models", "predict", "cli@staging", str(images[0]), "--server", server.url]
    )
    assert missing.exit_code == 2 and "no alias 'staging'" in missing.output
