"""The built web UI (frontend/ → api/static/), served at `/` with client-side routing."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Where `npm run build` in frontend/ writes the UI (git-ignored; `make install` builds it).
STATIC_DIR = Path(__file__).resolve().parent / "static"


class SinglePageApp(StaticFiles):
    """Static files, with index.html for any other GET so that the UI's own routes load."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404:
                raise
        return await super().get_response("index.html", scope)


def mount_frontend(app: FastAPI, dist_dir: Path = STATIC_DIR) -> bool:
    """Serve the UI at `/` when it has been built; mount it after every API route."""
    if not (dist_dir / "index.html").is_file():
        return False
    app.router.routes.append(_UiMount("/", SinglePageApp(directory=dist_dir, html=True), name="ui"))
    return True


class _UiMount(Mount):
    """The UI at `/`, for GET and HEAD of any path but `/api/...`: an unknown API path stays
    the router's 404, and a known path asked with another method its 405 naming the route's
    methods (a mount that matched every request would win over the route's partial match)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path == "/api" or path.startswith("/api/"):
            return Match.NONE, {}
        if scope.get("type") == "http" and scope.get("method") not in ("GET", "HEAD"):
            return Match.NONE, {}
        return super().matches(scope)
