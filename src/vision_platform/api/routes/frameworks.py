"""Config routes: frameworks, their JSON Schemas and presets, and config validation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from vision_platform.adapters.registry import registry
from vision_platform.api.deps import Jobs
from vision_platform.configs import merge_config
from vision_platform.errors import UnknownNameError
from vision_platform.jobs.schemas import ConfigValidateRequest, ConfigValidateResponse

router = APIRouter(tags=["config"])


@router.get("/frameworks", response_model=list[dict[str, Any]])
def list_frameworks() -> list[dict[str, Any]]:
    """The registered frameworks, whether each is installed, and its task types."""
    found = []
    for name in registry.list():
        try:
            registry.get(name)
        except UnknownNameError:
            found.append({"name": name, "installed": False, "task_types": []})
            continue
        found.append(
            {"name": name, "installed": True, "task_types": list(registry.info(name).tasks)}
        )
    return found


@router.get("/frameworks/{framework}/schema", response_model=dict[str, Any])
def framework_schema(framework: str) -> dict[str, Any]:
    """The framework's advanced config as JSON Schema, with `x-groups` and `x-presets`."""
    return registry.get(framework).json_schema()


@router.get("/frameworks/{framework}/presets", response_model=dict[str, dict[str, Any]])
def framework_presets(framework: str) -> dict[str, dict[str, Any]]:
    """Each preset's full config (defaults with the preset's values on top)."""
    cls = registry.get(framework)
    schema = cls.config_schema()
    return {
        name: merge_config(schema=schema, presets=cls.presets(), preset=name, overrides=None)
        for name in cls.presets()
    }


@router.post("/configs/validate", response_model=ConfigValidateResponse)
def validate_config(body: ConfigValidateRequest, jobs: Jobs) -> ConfigValidateResponse:
    """200 with the effective config, or 422 naming every bad field."""
    return jobs.validate_config(body)
