"""Limits a user can count on: every body has a cap (413), and so do chat messages (422)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.test_routes import body, make_settings
from vision_platform.api.app import create_app

CAP_MB = 0.01  # 10 KiB


@pytest.fixture
def capped(tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'vp.db'}", tiny_digits, tmp_path / ".vp", max_body_mb=CAP_MB
    )
    with TestClient(create_app(settings, run_scheduler=False)) as client:
        yield client


def test_a_body_over_the_cap_is_refused_with_413_whether_it_says_its_length_or_not(
    capped: TestClient, tiny_digits: Path
) -> None:
    big = json.dumps(body(tiny_digits, advanced_config={"note": "x" * 20_000})).encode()
    declared = capped.post(
        "/api/v1/jobs", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json() == {"detail": "request body over 0.01 MB (VP_MAX_BODY_MB)"}

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    chunked = capped.post(
        "/api/v1/configs/validate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413

    small = json.dumps(body(tiny_digits)).encode()
    small_chunked = capped.post(
        "/api/v1/jobs",
        content=iter([small[:10], small[10:]]),
        headers={"Content-Type": "application/json"},
    )
    assert small_chunked.status_code == 201, small_chunked.text


def test_uploads_have_their_own_cap(capped: TestClient) -> None:
    image = io.BytesIO(b"\x89PNG" + b"0" * 20_000)  # over the JSON cap, under VP_MAX_UPLOAD_MB
    sent = capped.post("/api/v1/jobs/99/predict", files={"file": ("a.png", image, "image/png")})
    assert sent.status_code == 404  # it reached the route


def test_a_chat_message_has_a_length_limit(capped: TestClient) -> None:
    sent = capped.post("/api/v1/chat", json={"message": "a" * 4001})
    assert sent.status_code == 422
    assert sent.json()["detail"][0]["loc"] == ["body", "message"]


def test_uploads_beyond_the_concurrent_cap_get_429_with_retry_after() -> None:
    """At most VP_MAX_CONCURRENT_UPLOADS multipart requests run at once in a process; the next
    one is refused at once (429, Retry-After), and is taken again once one has ended."""
    import asyncio
    from types import SimpleNamespace

    import httpx
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from vision_platform.api.limits import BodyLimit

    release = asyncio.Event()

    async def upload(request: Request) -> PlainTextResponse:
        await request.body()
        if request.headers["content-type"].startswith("multipart/"):
            await release.wait()  # an upload in progress until the test lets it end
        return PlainTextResponse("kept")

    app = Starlette(
        routes=[Route("/up", upload, methods=["POST"])], middleware=[Middleware(BodyLimit)]
    )
    app.state.settings = SimpleNamespace(max_concurrent_uploads=2, max_body_mb=1)
    files = {"file": ("a.png", b"\x89PNG", "image/png")}

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.post("/up", files=files)) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await asyncio.wait_for(client.post("/up", files=files), timeout=5)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "1"
            assert "VP_MAX_CONCURRENT_UPLOADS" in refused.json()["detail"]
            json_meanwhile = await client.post("/up", json={"a": 1})  # not an upload: no cap
            assert json_meanwhile.status_code == 200
            release.set()
            assert [(await t).status_code for t in held] == [200, 200]
            assert (await client.post("/up", files=files)).status_code == 200

    asyncio.run(scenario())
