"""The web UI's serving (built files at `/`, index.html for client routes) and its API types."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from vision_platform.api.frontend import mount_frontend

FRONTEND = Path(__file__).resolve().parents[3] / "frontend"


def built_ui(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><div id=root></div>")
    (root / "assets" / "app.js").write_text("console.log('ui')")
    return root


def app_with_ui(dist: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    assert mount_frontend(app, dist)
    return app


def test_built_files_and_client_routes_are_served(tmp_path: Path) -> None:
    client = TestClient(app_with_ui(built_ui(tmp_path / "dist")))
    assert "id=root" in client.get("/").text
    assert client.get("/assets/app.js").text == "console.log('ui')"
    page = client.get("/jobs/12")
    assert page.status_code == 200 and "id=root" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_api_paths_never_fall_back_to_the_ui(tmp_path: Path) -> None:
    client = TestClient(app_with_ui(built_ui(tmp_path / "dist")))
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    missing = client.get("/api/v1/no-such-route")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
    assert client.post("/api/v1/no-such-route").status_code == 404


def test_nothing_is_mounted_without_a_build(tmp_path: Path) -> None:
    app = FastAPI()
    assert not mount_frontend(app, tmp_path / "missing")
    assert TestClient(app).get("/").status_code == 404


def test_ui_openapi_copy_is_current() -> None:
    """frontend/openapi.json (the source of src/api/schema.d.ts) matches the server's API;
    the Vitest suite checks schema.d.ts against openapi.json."""
    spec = importlib.util.spec_from_file_location(
        "dump_openapi", FRONTEND / "scripts/dump_openapi.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = json.loads(module.openapi_text())
    saved = json.loads((FRONTEND / "openapi.json").read_text(encoding="utf-8"))
    assert saved == current, "the UI's API types are stale: run `make ui-types`"
