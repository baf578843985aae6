"""`vp serve`: the HTTP API, the web UI and the job scheduler in one process."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Run the platform: HTTP API and job scheduler in one process (Ctrl+C stops it cleanly)."""
    import uvicorn

    from vision_platform.api.app import create_app
    from vision_platform.settings import get_settings

    settings = get_settings()
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    callback = settings.callback_url or f"http://{local_host}:{port}/api/v1"
    app = create_app(settings, callback_url=callback)
    print(f"Vision Platform on http://{local_host}:{port} (API docs at /docs)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
