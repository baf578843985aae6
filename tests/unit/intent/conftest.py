"""Shared helpers of the intent tests: whether the Ultralytics adapter can be loaded here."""

from __future__ import annotations

import pytest

from vision_platform.adapters.registry import registry
from vision_platform.errors import UnknownNameError


def _ultralytics_problem() -> str | None:
    try:
        registry.get("ultralytics")
    except UnknownNameError as e:
        return str(e)
    return None


ULTRALYTICS_PROBLEM = _ultralytics_problem()
needs_ultralytics = pytest.mark.skipif(
    ULTRALYTICS_PROBLEM is not None,
    reason=f"the Ultralytics adapter cannot be loaded: {ULTRALYTICS_PROBLEM}",
)
