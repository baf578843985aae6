"""Fixtures of the API tests, and the app served over real HTTP for streaming clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


def insert_jobs(db: Any, count: int, *, status: str = "completed") -> list[int]:
    """`count` training jobs written straight to the database (faster than POST /jobs, and
    from another connection, as another server would); their ids, oldest first."""
    from vision_platform.db.models import TrainingJob

    rows = [
        TrainingJob(
            model_name="resnet18",
            framework="timm",
            task_type="classification",
            dataset_path="/data/digits",
            num_epochs=10,
            batch_size=32,
            advanced_config={"mixup": True},
            status=status,
            best_metric_name="val_acc",
        )
        for _ in range(count)
    ]
    with db.session() as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]
