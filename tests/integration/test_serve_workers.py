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
