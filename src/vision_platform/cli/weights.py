"""`vp weights …`: pretrained weights in the weights store (artifact storage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vision_platform.cli.common import fail, opt
from vision_platform.errors import InvalidInputError

weights_app = typer.Typer(no_args_is_help=True, help="Pretrained weights a run can start from.")


@weights_app.command("import")
def import_weights(
    file: Annotated[Path, typer.Argument(help=".safetensors, .pth/.pt state dict or checkpoint")],
    model: Annotated[str, opt("--model", help="The model the weights are for (resnet18).")],
    framework: Annotated[str | None, opt("--framework", help="Inferred when absent.")] = None,
) -> None:
    """Check FILE as weights of --model and keep it in the store; exit 2 when it is not."""
    from vision_platform.adapters.registry import registry
    from vision_platform.settings import get_settings
    from vision_platform.weights.importing import import_weights as take_in
    from vision_platform.weights.store import WeightsStore

    settings = get_settings()
    if not file.is_file():
        raise fail(f"{file} is not a file")
    try:
        adapter_cls = registry.get(framework or registry.framework_for_model(model))
        record = take_in(
            WeightsStore.from_settings(settings),
            adapter_cls,
            model_name=model,
            file=file,
            source_name=file.name,
            max_mb=settings.max_weights_mb,
            trusted=True,  # this machine's own user names the file
        )
    except InvalidInputError as e:
        raise fail(str(e)) from e
    head = f", a head of {record.num_classes} classes" if record.num_classes else ""
    print(
        f"Imported {file.name} as {record.framework} {record.model_name} weights {record.id} "
        f"({record.source_kind}, {record.tensors} tensors{head}): {record.uri}"
    )


@weights_app.command("list")
def list_weights(
    model: Annotated[str | None, opt("--model", help="Only this model's weights.")] = None,
    as_json: Annotated[bool, opt("--json", help="One JSON record per line.")] = False,
) -> None:
    """The imported weights, newest first."""
    from vision_platform.settings import get_settings
    from vision_platform.weights.store import WeightsStore

    records = WeightsStore.from_settings(get_settings()).records()
    for record in records:
        if model is not None and record.model_name != model:
            continue
        if as_json:
            print(json.dumps(record.model_dump(mode="json")))
        else:
            print(
                f"{record.id}  {record.framework:<12} {record.model_name:<24} "
                f"{record.size / 2**20:7.1f} MB  {record.imported_at:%Y-%m-%d %H:%M}  "
                f"{record.source_name}"
            )
