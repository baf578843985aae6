"""The HTTP API in process (no scheduler): status codes, auth, config routes, reports, SSE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vision_platform.api.app import create_app
from vision_platform.jobs.service import JobService
from vision_platform.settings import Settings

TOKEN = "s3cret-token"


def make_settings(database_url: str, data: Path, home: Path, **extra: Any) -> Settings:
    return Settings(home=home, database_url=database_url, data_roots=str(data.parent), **extra)


@pytest.fixture
def client(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp")
    with TestClient(create_app(settings, run_scheduler=False, event_poll_seconds=0.05)) as c:
        yield c


def body(data: Path, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "model_name": "resnet10t",
        "dataset_path": str(data),
        "num_epochs": 2,
        "batch_size": 4,
        "image_size": 32,
    }
    doc.update(overrides)
    return doc


def test_job_routes_and_their_error_codes(client: TestClient, tiny_digits: Path) -> None:
    created = client.post("/api/v1/jobs", json=body(tiny_digits))
    assert created.status_code == 201
    job_id = created.json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "pending"
    page = client.get("/api/v1/jobs", params={"status": "pending"}).json()
    assert [j["id"] for j in page["items"]] == [job_id] and page["total"] == 1

    assert client.get("/api/v1/jobs/99999").status_code == 404
    assert client.post("/api/v1/jobs/99999/pause").status_code == 404
    assert client.get("/api/v1/jobs/abc").status_code == 422
    assert client.post(f"/api/v1/jobs/{job_id}/resume").status_code == 409
    assert client.post(f"/api/v1/jobs/{job_id}/pause").json()["status"] == "paused"
    assert client.post(f"/api/v1/jobs/{job_id}/resume").json()["status"] == "pending"
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").json()["status"] == "cancelled"
    conflict = client.post(f"/api/v1/jobs/{job_id}/cancel")
    assert conflict.status_code == 409 and "cancelled" in conflict.json()["detail"]

    assert client.get(f"/api/v1/jobs/{job_id}/artifacts/best.pt").status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/artifacts/secrets.txt").status_code == 404
    logs = client.get(f"/api/v1/jobs/{job_id}/logs").json()
    assert [line["message"] for line in logs["items"]][-1] == "Cancelled"
    assert (
        client.get(f"/api/v1/jobs/{job_id}/logs", params={"after": logs["next_after"]}).json()[
            "items"
        ]
        == []
    )
    assert client.get(f"/api/v1/jobs/{job_id}/metrics").json()["points"] == []


@pytest.mark.parametrize(
    ("overrides", "status", "named"),
    [
        ({"advanced_config": {"optimizer_type": "adamx"}}, 422, "optimizer_type"),
        ({"advanced_config": {"learning_rate": 5}}, 422, "learning_rate"),
        ({"advanced_config": {"save_period": -1}}, 422, "save_period"),
        ({"advanced_config": {"save_every_minutes": "hourly"}}, 422, "save_every_minutes"),
        ({"num_epochs": "many"}, 422, "num_epochs"),
        ({"batch_size": 0}, 422, "batch_size"),
        ({"model_name": "resnet-18"}, 422, "resnet18"),
        ({"framework": "keras"}, 422, "keras"),
        ({"task_type": "detection"}, 422, "task_type"),
        ({"preset": "hard"}, 422, "preset"),
        ({"unknown_field": 1}, 422, "unknown_field"),
        ({"dataset_path": "/etc"}, 403, "dataset_path"),
    ],
)
def test_bad_job_requests_get_the_documented_code_naming_the_field(
    client: TestClient, tiny_digits: Path, overrides: dict[str, Any], status: int, named: str
) -> None:
    response = client.post("/api/v1/jobs", json=body(tiny_digits, **overrides))
    assert response.status_code == status, response.text
    assert named in response.text
    assert client.get("/api/v1/jobs").json()["total"] == 0


def test_resume_may_extend_the_run(client: TestClient, tiny_digits: Path) -> None:
    job_id = client.post("/api/v1/jobs", json=body(tiny_digits, num_epochs=2)).json()["id"]
    client.post(f"/api/v1/jobs/{job_id}/pause")
    too_few = client.post(f"/api/v1/jobs/{job_id}/resume", json={"num_epochs": 0})
    assert too_few.status_code == 422 and "num_epochs" in too_few.text
    resumed = client.post(f"/api/v1/jobs/{job_id}/resume", json={"num_epochs": 5}).json()
    assert (resumed["status"], resumed["num_epochs"]) == ("pending", 5)
    logs = client.get(f"/api/v1/jobs/{job_id}/logs").json()["items"]
    assert logs[-1]["message"] == "Resumed: waiting for the scheduler; 2 → 5 epochs"


def test_config_routes(client: TestClient) -> None:
    frameworks = {f["name"]: f for f in client.get("/api/v1/frameworks").json()}
    assert frameworks["timm"]["installed"] and "classification" in frameworks["timm"]["task_types"]
    schema = client.get("/api/v1/frameworks/timm/schema").json()
    assert schema["properties"]["optimizer_type"]["enum"]
    assert {g["name"] for g in schema["x-groups"]} >= {"optimizer", "scheduler"}
    presets = client.get("/api/v1/frameworks/timm/presets").json()
    assert set(presets) == {"easy", "medium", "advanced"}
    assert client.get("/api/v1/frameworks/tensorflow/schema").status_code == 422

    ok = client.post(
        "/api/v1/configs/validate", json={"framework": "timm", "advanced_config": {"momentum": 0.5}}
    )
    assert ok.status_code == 200 and ok.json()["config"]["momentum"] == 0.5
    assert any("momentum" in note for note in ok.json()["notes"])  # adamw ignores momentum
    bad = client.post(
        "/api/v1/configs/validate",
        json={"framework": "timm", "advanced_config": {"weight_decay": -1, "epochz": 3}},
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"weight_decay", "epochz"}


def test_api_token_is_required_when_set(
    database_url: str, tiny_digits: Path, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp", api_token=TOKEN)
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        assert client.get("/api/v1/jobs").status_code == 401
        wrong = client.get("/api/v1/jobs", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        right = client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert client.get("/api/v1/frameworks").status_code == 401
        assert client.get("/api/v1/health").status_code == 200


def test_trainer_reports_use_the_job_token_and_show_up_as_events(
    client: TestClient, tiny_digits: Path
) -> None:
    job_id = client.post("/api/v1/jobs", json=body(tiny_digits)).json()["id"]
    service: JobService = client.app.state.jobs  # type: ignore[attr-defined]
    (claim,) = service.claim(scheduler_id="test", limit=1)
    report = {
        "events": [
            {"seq": 1, "kind": "log", "payload": {"message": "Epoch 1/2"}},
            {"seq": 2, "kind": "epoch", "payload": {"epoch": 1, "val_acc": 0.5}},
        ]
    }
    url = f"/api/v1/jobs/{job_id}/report"
    assert client.post(url, json=report).status_code == 401
    assert client.post(url, json=report, headers={"Authorization": "Bearer x"}).status_code == 401
    auth = {"Authorization": f"Bearer {claim.token}"}
    assert client.post(url, json=report, headers=auth).json() == {"accepted": 2, "last_seq": 2}
    assert client.post(url, json=report, headers=auth).json()["accepted"] == 0
    assert client.post(url, json={"events": [{"seq": 0}]}, headers=auth).status_code == 422

    service.finish_attempt(job_id, claim.attempt, exit_code=0, log_tail=[])
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as stream:
        text = "".join(stream.iter_text())
    assert "event: metric" in text and "event: log" in text and "Epoch 1/2" in text
    assert text.rstrip().splitlines()[-1].startswith("data:")
    assert '"status":"completed"' in text
    assert client.get("/api/v1/jobs/99999/events").status_code == 404


def test_the_database_is_migrated_on_start(
    database_url: str, tiny_digits: Path, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp")
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        client.post("/api/v1/jobs", json=body(tiny_digits))
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        assert client.get("/api/v1/jobs").json()["total"] == 1


def test_ready_only_while_the_schema_is_this_versions(client: TestClient) -> None:
    """The readiness probe: no token, 503 while the schema is not the one this server runs."""
    from sqlalchemy import text

    assert client.get("/api/v1/health/ready").json()["status"] == "ready"
    db = client.app.state.jobs.db  # type: ignore[attr-defined]
    with db.session() as session:
        head = session.scalar(text("SELECT version_num FROM alembic_version"))
        session.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    behind = client.get("/api/v1/health/ready")
    assert (behind.status_code, behind.json()["status"]) == (503, "migrating")
    assert client.get("/api/v1/health").status_code == 200  # alive all the same
    with db.session() as session:
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert client.get("/api/v1/health/ready").status_code == 200
