"""Schemathesis against /openapi.json, every route with its checks: no 5xx, responses and their
status codes, content types and headers as documented, 401 without the API token, 405 with
`Allow` for an undocumented method."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from vision_platform.api.app import create_app

TOKEN = "fuzz-token"
# Creating the app builds nothing; its lifespan (below, per test) opens the database.
app = create_app(run_scheduler=False)
# The jobs list's event stream never ends by itself (tests/unit/api/test_jobs_list_events.py
# reads it over real HTTP).
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).exclude(
    path="/api/v1/jobs/events"
)


@pytest.fixture(autouse=True)
def _running_app(monkeypatch: pytest.MonkeyPatch, tiny_digits: Path) -> Iterator[None]:
    monkeypatch.setenv("VP_DATA_ROOTS", str(tiny_digits.parent))
    monkeypatch.setenv("VP_API_TOKEN", TOKEN)  # so that a call without it must get 401
    with TestClient(app):
        yield


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_500(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"},
        # Left out: acceptance of any schema-valid body (a valid-looking body can still name an
        # unknown framework or model: 422 by design), and rejection of unknown query
        # parameters (ignored, as browsers' cache busters are).
        excluded_checks=[
            schemathesis.checks.positive_data_acceptance,
            schemathesis.checks.negative_data_rejection,
        ],
    )
