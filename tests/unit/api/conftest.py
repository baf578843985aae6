"""Fixtures of the API tests, and the app served over real HTTP for streaming clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from tests.integration.fixtures import database_url, tiny_digits  # noqa: F401


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """`app` on a free port in a thread (TestClient reads a response only once it has ended,
    so an endless stream needs a real server); yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
