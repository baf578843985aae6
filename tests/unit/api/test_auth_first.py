"""Authentication comes before everything: without a valid token every route answers 401,
whatever the body (FastAPI would otherwise parse and reject a bad body with 422 first)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.test_routes import TOKEN, body, make_settings
from vision_platform.api.app import create_app
from vision_platform.jobs.service import JobService

OPEN = {"/api/v1/health", "/api/v1/health/ready", "/api/v1/openapi.json"}


@pytest.fixture
def guarded(database_url: str, tiny_digits: Path, tmp_path: Path) -> TestClient:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp", api_token=TOKEN)
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        yield client


def test_every_route_answers_401_first_to_a_caller_without_the_token(guarded: TestClient) -> None:
    paths = guarded.get("/api/v1/openapi.json").json()["paths"]
    assert len(paths) > 15
    answers = {}
    for template, operations in paths.items():
        if template in OPEN:
            continue
        path = re.sub(r"\{[^}]+\}", "1", template)
        for method in operations:
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                sent = guarded.request(
                    method,
                    path,
                    content=b"{not json",
                    headers={"Content-Type": "application/json", **headers},
                )
                answers[f"{method.upper()} {template} {headers}"] = sent.status_code
    assert set(answers.values()) == {401}, {k: v for k, v in answers.items() if v != 401}
    assert guarded.get("/api/v1/health").status_code == 200


def test_a_report_needs_its_jobs_token_before_its_body_is_read(
    guarded: TestClient, tiny_digits: Path
) -> None:
    api = {"Authorization": f"Bearer {TOKEN}"}
    job_id = guarded.post("/api/v1/jobs", json=body(tiny_digits), headers=api).json()["id"]
    service: JobService = guarded.app.state.jobs  # type: ignore[attr-defined]
    (claim,) = service.claim(scheduler_id="test", limit=1)
    url = f"/api/v1/jobs/{job_id}/report"
    bad_json = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
    # The API token is not a job token; an unknown job is refused like a wrong token.
    for headers in ({}, api, {"Authorization": "Bearer wrong"}):
        sent = guarded.post(
            url, content=bad_json["content"], headers={**bad_json["headers"], **headers}
        )
        assert sent.status_code == 401
    wrong_job = guarded.post(
        "/api/v1/jobs/99999/report",
        json={"events": []},
        headers={"Authorization": f"Bearer {claim.token}"},
    )
    assert wrong_job.status_code == 401
    # With its token, the body is read and checked as before.
    auth = {"Authorization": f"Bearer {claim.token}", "Content-Type": "application/json"}
    assert guarded.post(url, content=b"{not json", headers=auth).status_code == 422
    assert guarded.post(url, json={"events": []}, headers=auth).json()["accepted"] == 0


def test_a_report_to_a_job_id_no_database_holds_is_refused_like_a_wrong_token(
    guarded: TestClient,
) -> None:
    sent = guarded.post(
        f"/api/v1/jobs/{2**63}/report", json={"events": []}, headers={"Authorization": "Bearer x"}
    )
    assert sent.status_code == 401  # found by schemathesis: a 500 (an int SQLite cannot hold)
