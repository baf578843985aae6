"""Fixtures shared by the unit tests of several rooms."""

from __future__ import annotations

from tests.unit.adapters.fake_framework import boxnet, boxnet_package  # noqa: F401
from tests.unit.weights.fixtures import resnet_weights  # noqa: F401
