"""GET /metrics: Prometheus text that prometheus-client's own parser reads, with request counts
and latency per route and the database's gauges (jobs by status, queue, leader, report lag)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.api.test_routes import TOKEN, body, make_settings
from vision_platform.api.app import create_app
from vision_platform.jobs.leader import LeaderLease
from vision_platform.jobs.service import JobService

AUTH = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_per_route_and_read_the_database(
    database_url: str, tiny_digits: Path, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp", api_token=TOKEN)
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        assert client.get("/metrics").status_code == 401
        before = scrape(client)
        first = client.post("/api/v1/jobs", json=body(tiny_digits), headers=AUTH).json()["id"]
        client.post("/api/v1/jobs", json=body(tiny_digits), headers=AUTH)
        for _ in range(3):
            assert client.get(f"/api/v1/jobs/{first}", headers=AUTH).status_code == 200
        assert client.get("/api/v1/jobs/99999", headers=AUTH).status_code == 404
        service: JobService = client.app.state.jobs  # type: ignore[attr-defined]
        (claim,) = service.claim(scheduler_id="test", limit=1)
        lease = LeaderLease(service.db, holder="test:host:1:1", seconds=60)
        assert lease.hold() is not None
        after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    one_job = {"method": "GET", "route": "/api/v1/jobs/{job_id}"}
    assert grew("vp_http_requests_total", **one_job, status="200") == 3
    assert grew("vp_http_requests_total", **one_job, status="404") == 1
    assert grew("vp_http_requests_total", method="POST", route="/api/v1/jobs", status="201") == 2
    assert grew("vp_http_request_duration_seconds_count", **one_job) == 4
    assert grew("vp_http_request_duration_seconds_bucket", **one_job, le="+Inf") == 4
    assert value(after, "vp_jobs", kind="train", status="pending") == 1
    assert value(after, "vp_jobs", kind="train", status="running") == 1
    assert value(after, "vp_queue_length") == 1
    assert value(after, "vp_scheduler_leader", holder="test:host:1:1") == 1
    assert value(after, "vp_scheduler_lease_epoch") == 1
    lag = value(after, "vp_trainer_report_lag_seconds", job_id=str(claim.job_id))
    assert 0 <= lag < 60 and value(after, "vp_trainer_report_lag_max_seconds") == lag
