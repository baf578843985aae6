"""Fixtures of the fault-injection tests: the integration fixtures, and a server to restart."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.fixtures import database_url, tiny_digits  # noqa: F401
from tests.integration.platform_server import PlatformServer


def restarted(server: PlatformServer) -> PlatformServer:
    """The same server (port, home, database) started again after it stopped or was killed."""
    again = PlatformServer.__new__(PlatformServer)
    again.__dict__.update(server.__dict__)
    again.api = httpx.Client(base_url=f"{server.url}/api/v1", timeout=30, trust_env=False)
    return again.start()


def trainer_epochs(run_dir: Path) -> list[int]:
    """The epochs a run's own metrics.jsonl records."""
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line)["epoch"] for line in path.read_text().splitlines() if line.strip()]
