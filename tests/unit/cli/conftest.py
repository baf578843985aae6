"""Fixtures of the CLI tests: a platform served over real HTTP for the `vp jobs` and `vp chat`
clients, and `vp` invoked in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.integration.fixtures import tiny_digits  # noqa: F401
from tests.unit.api.conftest import serve
from vision_platform.api.app import create_app
from vision_platform.cli import app
from vision_platform.settings import Settings


def vp(*args: str, input: str | None = None) -> Result:
    """`vp ARGS…` run in this process, its stdout and stderr apart."""
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def platform(tmp_path: Path, tiny_digits: Path) -> Iterator[str]:  # noqa: F811
    """The API (no scheduler: jobs stay pending) on a free port, reading data sets from the
    folder of `tiny_digits`; yields its URL."""
    settings = Settings(
        home=tmp_path / ".vp",
        database_url=f"sqlite:///{tmp_path / 'vp.db'}",
        data_roots=str(tiny_digits.parent),
    )
    with serve(create_app(settings, run_scheduler=False)) as url:
        yield url
