"""The queue over HTTP: priority and queue on POST /jobs (422 naming the allowed values),
PATCH /jobs/{id} (409 once finished), a waiting job's standing, GET /queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.test_routes import body, make_settings
from vision_platform.api.app import create_app


@pytest.fixture
def client(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp", queues="research=1")
    with TestClient(create_app(settings, run_scheduler=False)) as c:
        yield c


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_priorities_and_queues_over_http(client: TestClient, tiny_digits: Path) -> None:
    bad = client.post("/api/v1/jobs", json=body(tiny_digits, priority="urgent"))
    assert bad.status_code == 422
    assert "priority" in bad.text and "'low', 'normal' or 'high'" in bad.text
    bad = client.post("/api/v1/jobs", json=body(tiny_digits, queue="prod"))
    assert bad.status_code == 422 and "queue" in bad.text and "research" in bad.text

    first = client.post("/api/v1/jobs", json=body(tiny_digits, queue="research")).json()
    assert (first["priority"], first["queue"]) == ("normal", "research")
    second = client.post("/api/v1/jobs", json=body(tiny_digits, priority="low")).json()
    shown = client.get(f"/api/v1/jobs/{second['id']}").json()
    assert shown["queue_position"] == 2 and shown["waiting_reason"] == "1 job ahead"

    raised = client.patch(f"/api/v1/jobs/{second['id']}", json={"priority": "high"})
    assert raised.status_code == 200 and raised.json()["priority"] == "high"
    assert client.patch(f"/api/v1/jobs/{second['id']}", json={"priority": "top"}).status_code == 422
    queue = client.get("/api/v1/queue").json()
    assert [j["id"] for j in queue["waiting"]] == [second["id"], first["id"]]
    assert queue["waiting"][0]["position"] == 1 and queue["running"] == []
    assert queue["queues"] == [{"name": "research", "limit": 1, "running": 0, "waiting": 1}]

    client.post(f"/api/v1/jobs/{first['id']}/cancel")
    done = client.patch(f"/api/v1/jobs/{first['id']}", json={"priority": "low"})
    assert done.status_code == 409 and "cancelled" in done.text
    assert client.patch("/api/v1/jobs/99999", json={"priority": "low"}).status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_urgent_chat_request_makes_a_high_priority_job(
    client: TestClient, tiny_digits: Path
) -> None:
    message = f"resnet10t classification on {tiny_digits}, 1 epoch, batch 4, 급하게"
    reply = client.post("/api/v1/chat", json={"message": message}).json()
    assert reply["intent"]["priority"] == "high"
    assert reply["settings"]["priority"]["value"] == "high"
    job = client.post(f"/api/v1/chat/{reply['session_id']}/confirm").json()
    assert job["priority"] == "high"
