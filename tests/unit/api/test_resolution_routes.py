"""The resolution in the API: a job shows what its preset became for the run and why; what
the user set against the run is a 422 naming the fields; the form's preview resolves too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.test_routes import body, make_settings
from vision_platform.api.app import create_app


@pytest.fixture
def client(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp")
    with TestClient(create_app(settings, run_scheduler=False)) as test_client:
        yield test_client


def test_a_job_shows_its_preset_resolved_for_the_run(client: TestClient, tiny_digits: Path) -> None:
    created = client.post("/api/v1/jobs", json=body(tiny_digits, preset="medium", num_epochs=4))
    assert created.status_code == 201, created.text
    job = client.get(f"/api/v1/jobs/{created.json()['id']}").json()
    assert job["preset_intent"].startswith("balanced")
    messages = [a["message"] for a in job["adjustments"]]
    assert "warm-up 5 → 0 epochs: the run has 4 epochs; warm-up is kept to 10% of a run" in messages
    assert job["advanced_config"] == {}  # what the user asked for stays as asked
    listed = client.get("/api/v1/jobs").json()["items"][0]
    assert "adjustments" not in listed  # the list rows stay light: the job's page has them


def test_what_the_user_set_against_the_run_is_a_422_naming_the_fields(
    client: TestClient, tiny_digits: Path
) -> None:
    bad = body(tiny_digits, num_epochs=4, advanced_config={"warmup_epochs": 5})
    answer = client.post("/api/v1/jobs", json=bad)
    assert answer.status_code == 422
    assert set(answer.json()["fields"]) == {"warmup_epochs", "num_epochs"}
    locs = [item["loc"] for item in answer.json()["detail"]]
    assert ["body", "num_epochs"] in locs and ["body", "advanced_config", "warmup_epochs"] in locs
    assert client.get("/api/v1/jobs").json()["total"] == 0


def test_the_config_preview_resolves_for_the_run_it_is_given(client: TestClient) -> None:
    request = {"framework": "timm", "preset": "advanced", "num_epochs": 3, "batch_size": 7}
    answer = client.post("/api/v1/configs/validate", json=request).json()
    assert answer["config"]["warmup_epochs"] == 0 and not answer["config"]["mixup"]
    assert answer["preset_intent"].startswith("strongest regularisation")
    assert {a["field"] for a in answer["adjustments"]} >= {"warmup_epochs", "mixup", "cutmix"}
    nominal = client.post(
        "/api/v1/configs/validate", json={"framework": "timm", "preset": "advanced"}
    )
    assert nominal.json()["config"]["warmup_epochs"] == 10 and nominal.json()["adjustments"] == []
