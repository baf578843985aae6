"""`vp train`: one training run, from flags and/or a whole `--spec` document.

`vp k8s manifest` takes the same flags: `parse_train_flags` and `training_spec` are the one
place both turn them into a TrainingSpec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from vision_platform.cli.common import invalid_spec, opt, read_json_arg, read_spec_file

if TYPE_CHECKING:
    from vision_platform.configs import TrainingSpec


def train(
    ctx: typer.Context,
    model_name: Annotated[str | None, opt("--model-name", help="timm or YOLO model name.")] = None,
    dataset_path: Annotated[
        str | None, opt("--dataset-path", help="Data set folder or yaml.")
    ] = None,
    num_epochs: Annotated[int | None, opt("--num-epochs", help="Epochs in total.")] = None,
    batch_size: Annotated[int | None, opt("--batch-size", help="Images per step.")] = None,
    learning_rate: Annotated[float | None, opt("--learning-rate", help="Initial LR.")] = None,
    image_size: Annotated[int | None, opt("--image-size", help="Input size in pixels.")] = None,
    framework: Annotated[str | None, opt("--framework", help="timm | ultralytics.")] = None,
    task_type: Annotated[str | None, opt("--task-type", help="Inferred when absent.")] = None,
    preset: Annotated[str | None, opt("--preset", help="easy | medium | advanced.")] = None,
    config: Annotated[str | None, opt("--config", help="Advanced config: JSON or @file.")] = None,
    job_id: Annotated[str | None, opt("--job-id", help="Platform job id.")] = None,
    output_dir: Annotated[str | None, opt("--output-dir", help="Run folder.")] = None,
    checkpoint_path: Annotated[
        str | None, opt("--checkpoint-path", help="Checkpoint file.")
    ] = None,
    resume: Annotated[bool, opt("--resume", help="Continue from the last checkpoint.")] = False,
    max_stage_seconds: Annotated[
        float | None, opt("--max-stage-seconds", help="Stop (exit 75) before this.")
    ] = None,
    seed: Annotated[int | None, opt("--seed", help="Seed for an exactly repeatable run.")] = None,
    device: Annotated[str | None, opt("--device", help="auto | cpu | cuda | 0,1.")] = None,
    workers: Annotated[int | None, opt("--workers", help="Data loader processes.")] = None,
    skip_bad_images: Annotated[
        bool, opt("--skip-bad-images", help="Skip corrupt images instead of failing.")
    ] = False,
    spec_file: Annotated[str | None, opt("--spec", help="Whole run as JSON (file or -).")] = None,
    export_onnx: Annotated[
        bool, opt("--export-onnx", help="Write model.onnx when training completes.")
    ] = False,
) -> None:
    """Train one model; exit 0 done, 2 invalid input, 75 stopped early (resumable), 1 error."""
    # Every flag reaches the spec through ctx.params, the same way `vp k8s manifest` reads them.
    spec = training_spec(ctx.params)
    from vision_platform.training.runner import TrainingRunner

    raise typer.Exit(TrainingRunner(spec).run())


def training_spec(params: dict[str, Any]) -> TrainingSpec:
    """The TrainingSpec `vp train` runs for its parsed flags: the `--spec` document, with the
    flags given overriding its fields; an invalid one exits 2 naming each bad field."""
    from pydantic import ValidationError

    from vision_platform.configs import TrainingSpec

    flags = dict(params)
    spec_file = flags.pop("spec_file", None)
    doc: dict[str, Any] = read_spec_file(spec_file) if spec_file is not None else {}
    config = flags.pop("config", None)
    if config is not None:
        flags["advanced_config"] = read_json_arg(config, "--config")
    # Unset flags are None and unset switches False: neither overrides the --spec document.
    doc.update({k: v for k, v in flags.items() if v is not None and v is not False})
    try:
        return TrainingSpec.model_validate(doc)
    except ValidationError as e:
        raise invalid_spec("training spec", e) from e


def parse_train_flags(args: list[str], *, prog: str) -> dict[str, Any]:
    """`args` parsed exactly as `vp train` parses them (same flags, spellings and types);
    a usage error names `prog`."""
    alone = typer.Typer(add_completion=False)
    alone.command()(train)
    command = typer.main.get_command(alone)
    with command.make_context(prog, list(args)) as ctx:
        return dict(ctx.params)
