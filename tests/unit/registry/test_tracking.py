"""Which tracking the settings give: none by default, none (said loudly) without MLflow."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from vision_platform.db.session import Database
from vision_platform.registry.tracking import NoTracking, tracking_for
from vision_platform.settings import Settings


def test_no_uri_no_tracking(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert isinstance(tracking_for(settings, Database(settings.sqlalchemy_url)), NoTracking)


def test_a_uri_without_the_mlflow_client_runs_on_untracked_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The bridge cannot be imported, as where mlflow-skinny is not installed.
    monkeypatch.setitem(sys.modules, "vision_platform.registry.mlflow_bridge", None)
    settings = Settings(home=tmp_path, mlflow_tracking_uri="http://127.0.0.1:5000")
    with caplog.at_level(logging.ERROR):
        tracking = tracking_for(settings, Database(settings.sqlalchemy_url))
    assert isinstance(tracking, NoTracking)
    assert "pip install 'vision-platform[mlflow]'" in caplog.text
