"""Fixtures of the data set store tests: small real data sets in each format."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.fixtures import database_url, tiny_digits  # noqa: F401


@pytest.fixture(scope="session")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A YOLO detection data set: 8 train and 4 val images of squares, discs and triangles."""
    from vision_platform.datasets.shapes import make_shapes

    out = make_shapes(tmp_path_factory.mktemp("shapes") / "shapes", num_train=8, num_val=4)
    return out.parent if out.is_file() else out
