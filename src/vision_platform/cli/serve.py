"""`vp serve`: the HTTP API, the web UI and the job scheduler, in one process or several."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Annotated

import typer

# prometheus-client's multiprocess mode: each worker writes its samples under this folder.
_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# asyncio's own event loop, even where uvloop is installed: under 50 connections uvloop served
# some of them seconds late (p99 0.4-1.0 s at p50 40 ms; asyncio's loop: p99 60-75 ms).
_LOOP = "asyncio"


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="API processes (uvicorn workers). Of all the processes and servers on one "
            "database, one schedules at a time.",
        ),
    ] = 1,
) -> None:
    """Run the platform: HTTP API and job scheduler (Ctrl+C stops it cleanly)."""
    import uvicorn

    from vision_platform.api.app import create_app
    from vision_platform.settings import get_settings

    settings = get_settings()
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    callback = settings.callback_url or f"http://{local_host}:{port}/api/v1"
    print(f"Vision Platform on http://{local_host}:{port} (API docs at /docs)", flush=True)
    if workers == 1:
        app = create_app(settings, callback_url=callback, settle_heap=True)
        uvicorn.run(app, host=host, port=port, log_level=log_level, loop=_LOOP, http="httptools")
        return
    _serve_workers(workers, callback=callback, host=host, port=port, log_level=log_level)


def _serve_workers(workers: int, *, callback: str, host: str, port: int, log_level: str) -> None:
    """uvicorn workers: each builds the app from the environment, which is set here for them."""
    import uvicorn

    from vision_platform.db.session import Database
    from vision_platform.settings import get_settings

    os.environ.setdefault("VP_CALLBACK_URL", callback)
    own_metrics_dir = _METRICS_DIR not in os.environ
    if own_metrics_dir:  # a fresh folder: samples of an earlier run must not count
        os.environ[_METRICS_DIR] = tempfile.mkdtemp(prefix="vp-metrics-")
    db = Database(get_settings().sqlalchemy_url)
    db.migrate()  # once here, so that the workers find the schema current
    db.dispose()
    try:
        uvicorn.run(
            "vision_platform.api.app:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            log_level=log_level,
            workers=workers,
            http="vision_platform.cli.serving:NoDelayHTTPProtocol",
            loop=_LOOP,
        )
    finally:
        if own_metrics_dir:
            shutil.rmtree(os.environ.pop(_METRICS_DIR), ignore_errors=True)
