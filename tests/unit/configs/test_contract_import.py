"""The contract's import line for config validation works as written."""

from __future__ import annotations

import pytest


def test_validate_config_raises_the_contracts_validation_error() -> None:
    from vision_platform.configs import ConfigField, ValidationError, validate_config

    schema = [ConfigField(name="lr", type="float", default=0.1, description="", group="g", max=1)]
    with pytest.raises(ValidationError) as caught:
        validate_config({"lr": 5.0}, schema)
    assert "lr" in caught.value.errors
