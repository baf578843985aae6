"""A request whose database connection is dropped under it: a read runs again, a write is 503."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from vision_platform.api.limits import BodyLimit
from vision_platform.api.reconnect import RetryOnDisconnect
from vision_platform.settings import Settings


def dropped() -> OperationalError:
    return OperationalError(
        "SELECT 1",
        {},
        Exception("terminating connection due to administrator command"),
        connection_invalidated=True,
    )


def app_failing(times: int) -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    calls: list[str] = []

    @app.api_route("/thing", methods=["GET", "POST"])
    def thing() -> dict[str, int]:
        calls.append("call")
        if len(calls) <= times:
            raise dropped()
        return {"calls": len(calls)}

    @app.get("/bug")
    def bug() -> None:
        raise OperationalError("SELECT 1", {}, Exception("syntax error"))

    app.add_middleware(RetryOnDisconnect)
    return app, calls


def test_a_read_runs_again_on_a_fresh_connection() -> None:
    app, _ = app_failing(2)
    response = TestClient(app).get("/thing")
    assert response.status_code == 200 and response.json() == {"calls": 3}


def test_a_write_or_a_read_that_keeps_failing_is_answered_503() -> None:
    app, calls = app_failing(10)
    client = TestClient(app, raise_server_exceptions=False)
    written = client.post("/thing")
    assert written.status_code == 503 and written.headers["Retry-After"] == "1"
    assert "send the request again" in written.json()["detail"] and len(calls) == 1
    assert client.get("/thing").status_code == 503 and len(calls) == 4


def test_other_database_errors_are_not_hidden() -> None:
    app, _ = app_failing(0)
    assert TestClient(app, raise_server_exceptions=False).get("/bug").status_code == 500


@pytest.mark.timeout(30)
def test_the_next_try_reads_the_same_body(tmp_path: Path) -> None:
    """The body limit reads a body without a length itself: a retried read must find it again
    (the first version waited for the client to disconnect)."""
    app = FastAPI()
    calls: list[bytes] = []

    @app.get("/thing")
    async def thing(request: Request) -> dict[str, int]:
        calls.append(await request.body())
        if len(calls) == 1:
            raise dropped()
        return {"calls": len(calls)}

    app.add_middleware(BodyLimit)
    app.add_middleware(RetryOnDisconnect)
    app.state.settings = Settings(home=tmp_path)
    response = TestClient(app).get("/thing")
    assert response.status_code == 200 and calls == [b"", b""]


def test_an_upload_body_is_not_kept_in_memory() -> None:
    """A write is never tried again, so its body is not kept for a replay: a 64 MB body read
    a megabyte at a time peaks at a few megabytes (it held all of it before)."""
    import tracemalloc

    import anyio

    chunks = 64
    read = 0

    async def inner(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def]
        nonlocal read
        while True:
            message = await receive()
            read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = 0

    async def receive() -> dict:  # type: ignore[type-arg]
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": bytes(1 << 20), "more_body": sent < chunks}

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        pass

    tracemalloc.start()
    try:
        scope = {"type": "http", "method": "POST"}
        anyio.run(RetryOnDisconnect(inner), scope, receive, send)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == chunks << 20
    assert peak < 8 << 20, f"peak {peak / 2**20:.0f} MB while a 64 MB body went through"
