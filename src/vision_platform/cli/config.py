"""`vp config …`: a framework's advanced-config schema and presets, as JSON."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from vision_platform.cli.common import fail
from vision_platform.errors import InvalidInputError

config_app = typer.Typer(no_args_is_help=True, help="Framework config schemas and presets.")


@config_app.command("schema")
def config_schema(framework: Annotated[str, typer.Argument(help="timm | ultralytics")]) -> None:
    """Print the framework's advanced-config JSON Schema (with groups and presets)."""
    from vision_platform.adapters.registry import registry

    try:
        print(json.dumps(registry.get(framework).json_schema(), indent=2))
    except InvalidInputError as e:
        raise fail(str(e)) from e


@config_app.command("presets")
def config_presets(framework: Annotated[str, typer.Argument(help="timm | ultralytics")]) -> None:
    """Print each preset's full config for the framework."""
    from vision_platform.adapters.registry import registry
    from vision_platform.configs import merge_config

    try:
        cls = registry.get(framework)
    except InvalidInputError as e:
        raise fail(str(e)) from e
    schema = cls.config_schema()
    out = {
        name: merge_config(schema=schema, presets=cls.presets(), preset=name, overrides=None)
        for name in cls.presets()
    }
    print(json.dumps(out, indent=2))
