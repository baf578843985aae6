"""`vp models …`: the model registry of a running platform server, a thin client of its API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vision_platform.cli.common import DEFAULT_SERVER, ServerOpt, call_api, fail, print_json

models_app = typer.Typer(no_args_is_help=True, help="Registered models, versions and aliases.")


@models_app.command("register")
def models_register(
    name: Annotated[str, typer.Argument(help="The model's name (created on first use).")],
    job: Annotated[int, typer.Option("--job", help="The completed training job to register.")],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Register a completed job as the model's next version; prints the version as JSON."""
    print_json(call_api(server, "POST", f"/models/{name}/versions", json={"job_id": job}))


@models_app.command("list")
def models_list(
    server: ServerOpt = DEFAULT_SERVER,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the registered models with their aliases and newest version."""
    page = call_api(server, "GET", "/models")
    if as_json:
        print_json(page)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "versions", "latest", "aliases")
    for model in page["items"]:
        aliases = ", ".join(f"{alias}=v{v}" for alias, v in sorted(model["aliases"].items()))
        latest = model["latest_version"]
        table.add_row(
            model["name"], str(model["num_versions"]), f"v{latest}" if latest else "", aliases
        )
    Console().print(table)


@models_app.command("show")
def models_show(name: str, server: ServerOpt = DEFAULT_SERVER) -> None:
    """Print one model with its versions and their metrics as JSON."""
    print_json(call_api(server, "GET", f"/models/{name}"))


@models_app.command("alias")
def models_alias(
    name: Annotated[str, typer.Argument(help="The model's name.")],
    alias: Annotated[str, typer.Argument(help="The alias, e.g. production or staging.")],
    version: Annotated[str, typer.Argument(help="The version it points at: 3 or v3.")],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Point an alias at a version (moving it if it pointed elsewhere)."""
    number = version[1:] if version.startswith("v") else version
    if not number.isdigit():
        raise fail(f"version {version!r}: give a number (3) or v3")
    body = {"version": int(number)}
    print_json(call_api(server, "PUT", f"/models/{name}/aliases/{alias}", json=body))


@models_app.command("predict")
def models_predict(
    ref: Annotated[str, typer.Argument(help="NAME (its production alias), NAME@ALIAS or NAME@vN.")],
    images: Annotated[list[Path], typer.Argument(help="Image files.")],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Predict images with a registered model: one JSON result per line, naming its version."""
    for image in images:
        if not image.is_file():
            raise fail(f"image {str(image)!r} is not a file")
        files = {"file": (image.name, image.read_bytes())}
        result = call_api(server, "POST", f"/models/{ref}/predict", files=files)
        print(json.dumps(result), flush=True)
