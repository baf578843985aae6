"""Schemathesis against /openapi.json: generated requests to every route never get a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from vision_platform.api.app import create_app

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
    with TestClient(app):
        yield


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_route_answers_500(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[schemathesis.checks.not_a_server_error, response_schema_conformance]
    )
