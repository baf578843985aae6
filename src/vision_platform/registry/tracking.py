"""Where finished jobs and registered versions are also recorded: nowhere by default, MLflow
when VP_MLFLOW_TRACKING_URI is set (see mlflow_bridge.py)."""

from __future__ import annotations

import logging
import os
from typing import Protocol

from vision_platform.db.session import Database
from vision_platform.registry.schemas import ModelVersionOut
from vision_platform.settings import Settings

log = logging.getLogger(__name__)


class Tracking(Protocol):
    """An outside tracking server. Its methods return at once and never raise: a tracking
    server that is slow or unreachable must not hold up the scheduler or a request."""

    def job_completed(self, job_id: int) -> None: ...

    def version_registered(self, version: ModelVersionOut) -> None: ...

    def close(self) -> None: ...


class NoTracking:
    """The default: nothing is recorded anywhere else."""

    def job_completed(self, job_id: int) -> None:
        pass

    def version_registered(self, version: ModelVersionOut) -> None:
        pass

    def close(self) -> None:
        pass


def tracking_for(settings: Settings, db: Database) -> Tracking:
    """The tracking the settings ask for (MLflow's client is imported only then; without it
    the platform runs on, untracked, and says so)."""
    if not settings.mlflow_tracking_uri:
        return NoTracking()
    # The platform sends no telemetry, and neither may the client it brings in: MLflow 3
    # reports usage from `import mlflow` on unless told not to (a user may set it to false).
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        from vision_platform.registry.mlflow_bridge import MlflowTracking
    except ImportError as e:
        log.error(
            "VP_MLFLOW_TRACKING_URI is set but MLflow's client is missing (%s): "
            "pip install 'vision-platform[mlflow]'; jobs are not tracked in MLflow",
            e,
        )
        return NoTracking()

    return MlflowTracking(settings.mlflow_tracking_uri, db, settings)
