"""`vp serve --workers 2`: two API processes, one scheduler among them, and /metrics that adds
up both workers' counts whichever worker answers the scrape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.platform_server import PlatformServer


@pytest.fixture
def server(tmp_path: Path, tiny_digits: Path) -> Iterator[PlatformServer]:
    platform = PlatformServer(
        home=tmp_path / ".vp", data_root=tiny_digits.parent, serve_args=("--workers", "2")
    ).start()
    yield platform
    platform.stop()


def fresh_get(url: str, **params: int) -> httpx.Response:
    """A request on a new connection: the workers take turns accepting connections."""
    return httpx.get(url, params=params, headers={"Connection": "close"}, trust_env=False)


def samples(server: PlatformServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = fresh_get(f"{server.url}/metrics").text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_two_workers_serve_one_scheduler_runs_and_metrics_add_up(
    server: PlatformServer, tiny_digits: Path
) -> None:
    job_id = server.train_tiny_classifier(tiny_digits)  # the one scheduler ran it
    assert server.job(job_id)["attempt_count"] == 1
    for _ in range(40):
        assert fresh_get(f"{server.url}/api/v1/jobs", limit=5).status_code == 200
    route = frozenset({"method": "GET", "route": "/api/v1/jobs", "status": "200"}.items())
    for _ in range(8):  # whichever worker answers a scrape, it counts both workers' requests
        found = samples(server)
        assert found[("vp_http_requests_total", route)] == 40
        leaders = [labels for name, labels in found if name == "vp_scheduler_leader"]
        assert len(leaders) == 1
    assert found[("vp_jobs", frozenset({"kind": "train", "status": "completed"}.items()))] == 1
    # Each worker settled its heap for serving, and counts its collections' pauses.
    assert ("vp_gc_pause_seconds_count", frozenset({("generation", "2")})) in found


def fresh_predict(server: PlatformServer, ref: str, image: Path) -> int:
    """The version that answered a prediction by name sent on a new connection."""
    answer = httpx.post(
        f"{server.url}/api/v1/models/{ref}/predict",
        files={"file": (image.name, image.read_bytes())},
        headers={"Connection": "close"},
        trust_env=False,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["model_version"])


def test_an_alias_moved_through_one_worker_is_used_by_the_next_prediction_on_both(
    server: PlatformServer, tiny_digits: Path
) -> None:
    """Each worker keeps what refs resolve to until the registry changes: the alias moved by
    whichever worker answers the PUT is what the very next prediction uses, on either."""
    image = sorted((tiny_digits / "val").rglob("*.png"))[0]
    for job_id in (server.train_tiny_classifier(tiny_digits) for _ in range(2)):
        registered = server.api.post("/models/swap/versions", json={"job_id": job_id})
        assert registered.status_code == 201, registered.text
    moved = server.api.put("/models/swap/aliases/production", json={"version": 1})
    assert moved.status_code == 200, moved.text
    # Both workers answer (and so cache the ref) before the alias moves again.
    assert [fresh_predict(server, "swap", image) for _ in range(12)] == [1] * 12
    for version in (2, 1):
        with httpx.Client(trust_env=False, headers={"Connection": "close"}, timeout=60) as one_off:
            moved = one_off.put(
                f"{server.url}/api/v1/models/swap/aliases/production", json={"version": version}
            )
        assert moved.status_code == 200, moved.text
        answered = [fresh_predict(server, "swap", image) for _ in range(12)]
        assert answered == [version] * 12
