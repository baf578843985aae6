"""FastAPI's own errors, as the API documents them: an unreadable body is a 422, a 405 names
every method of its path (both found by schemathesis)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.test_routes import make_settings
from vision_platform.api.app import create_app


@pytest.fixture
def client(tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(f"sqlite:///{tmp_path / 'vp.db'}", tiny_digits, tmp_path / ".vp")
    with TestClient(create_app(settings, run_scheduler=False)) as c:
        yield c


def test_a_body_that_is_not_utf8_is_an_invalid_body(client: TestClient) -> None:
    sent = client.post(
        "/api/v1/test/runs", content=b"kV\xff\xfes", headers={"Content-Type": "application/json"}
    )
    assert sent.status_code == 422
    assert sent.json()["detail"][0]["loc"] == ["body"]


def test_a_method_not_allowed_lists_every_method_of_the_path(client: TestClient) -> None:
    sent = client.request("PATCH", "/api/v1/jobs")
    assert sent.status_code == 405
    assert sent.headers["Allow"] == "GET, POST"
