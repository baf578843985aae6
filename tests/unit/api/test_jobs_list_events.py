"""GET /jobs/events over real HTTP: the jobs list as a snapshot, then one event per change."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.unit.api.conftest import serve
from tests.unit.api.test_routes import TOKEN, body, make_settings
from vision_platform.api.app import create_app
from vision_platform.jobs.service import JobService

AUTH = {"Authorization": f"Bearer {TOKEN}"}
Event = tuple[str, dict[str, Any]]
POLL_SECONDS = 0.05


@pytest.fixture
def served(
    database_url: str, tiny_digits: Path, tmp_path: Path
) -> Iterator[tuple[httpx.Client, Any]]:
    """A client of the served app (with the API token) and the app."""
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp", api_token=TOKEN)
    app = create_app(settings, run_scheduler=False, event_poll_seconds=POLL_SECONDS)
    # A read timeout fails a test where an event never comes, instead of hanging it.
    with (
        serve(app) as url,
        httpx.Client(base_url=f"{url}/api/v1", headers=AUTH, timeout=10, trust_env=False) as http,
    ):
        yield http, app


def read_events(response: httpx.Response) -> Iterator[Event]:
    """The stream's events as (name, parsed data); comments (pings) skipped."""
    name, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            yield name, json.loads("\n".join(data))
            name, data = "message", []


def test_every_change_of_a_listed_job_is_one_event(
    served: tuple[httpx.Client, Any], tiny_digits: Path
) -> None:
    http, app = served
    first = http.post("/jobs", json=body(tiny_digits)).json()["id"]
    assert http.get("/jobs/events", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with http.stream("GET", "/jobs/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
        name, page = next(events)
        assert name == "snapshot" and [j["id"] for j in page["items"]] == [first]

        second = http.post("/jobs", json=body(tiny_digits, num_epochs=3)).json()["id"]
        name, job = next(events)
        assert (name, job["id"], job["status"]) == ("job", second, "pending")
        assert job["num_epochs"] == 3

        service: JobService = app.state.jobs
        (claim,) = service.claim(scheduler_id="test", limit=1)
        name, job = next(events)
        assert (name, job["id"], job["status"]) == ("job", claim.job_id, "running")

        report = f"/jobs/{claim.job_id}/report"
        trainer = {"Authorization": f"Bearer {claim.token}"}
        epoch = {"seq": 1, "kind": "epoch", "payload": {"epoch": 1, "val_acc": 0.75}}
        assert http.post(report, json={"events": [epoch]}, headers=trainer).status_code == 200
        name, job = next(events)
        assert (name, job["current_epoch"], job["best_metric"]) == ("job", 1, 0.75)

        # A log line writes the row (updated_at) but changes nothing shown: no event in the
        # polls that follow, so the next one is the pause request's.
        line = {"seq": 2, "kind": "log", "payload": {"message": "Epoch 2/2"}}
        assert http.post(report, json={"events": [line]}, headers=trainer).status_code == 200
        time.sleep(10 * POLL_SECONDS)
        http.post(f"/jobs/{claim.job_id}/pause")
        name, job = next(events)
        assert (name, job["id"], job["requested_action"]) == ("job", claim.job_id, "pause")


def test_a_job_leaving_the_status_filter_is_removed(
    served: tuple[httpx.Client, Any], tiny_digits: Path
) -> None:
    http, _ = served
    first = http.post("/jobs", json=body(tiny_digits)).json()["id"]
    with http.stream("GET", "/jobs/events", params={"status": "paused"}) as response:
        events = read_events(response)
        empty = {"items": [], "total": 0, "limit": 50, "offset": 0, "next_cursor": None}
        assert next(events) == ("snapshot", empty)
        http.post(f"/jobs/{first}/pause")
        name, job = next(events)
        assert (name, job["id"], job["status"]) == ("job", first, "paused")
        http.post(f"/jobs/{first}/resume")
        assert next(events) == ("removed", {"id": first})
        second = http.post("/jobs", json=body(tiny_digits)).json()["id"]
        http.post(f"/jobs/{second}/pause")
        name, job = next(events)  # the pending job created in between never showed
        assert (name, job["id"], job["status"]) == ("job", second, "paused")
    assert http.get("/jobs/events", params={"status": "nope"}).status_code == 422


def test_a_full_page_keeps_older_jobs_hidden_when_they_change(
    served: tuple[httpx.Client, Any], tiny_digits: Path
) -> None:
    http, _ = served
    older, newer = (http.post("/jobs", json=body(tiny_digits)).json()["id"] for _ in range(2))
    with http.stream("GET", "/jobs/events", params={"limit": 1}) as response:
        events = read_events(response)
        name, page = next(events)
        assert [j["id"] for j in page["items"]] == [newer] and page["total"] == 2
        http.post(f"/jobs/{older}/pause")
        time.sleep(10 * POLL_SECONDS)
        http.post(f"/jobs/{newer}/pause")
        name, job = next(events)
        assert (name, job["id"], job["status"]) == ("job", newer, "paused")
