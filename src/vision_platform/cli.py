"""The `vp` command: training, prediction, demo data and config schemas.

Only light modules are imported here; each command imports what it needs when it runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vision_platform.api import cli_jobs as _jobs_cli
from vision_platform.errors import EXIT_INVALID_INPUT, InvalidInputError
from vision_platform.jobs.executors.k8s_cli import k8s_app as _k8s_app

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Vision Platform: train and serve vision models as resumable jobs.",
)
data_app = typer.Typer(no_args_is_help=True, help="Demo data sets and format conversion.")
config_app = typer.Typer(no_args_is_help=True, help="Framework config schemas and presets.")
app.add_typer(data_app, name="data")
app.add_typer(config_app, name="config")
app.command("serve")(_jobs_cli.serve)
app.command("chat")(_jobs_cli.chat)
app.add_typer(_jobs_cli.jobs_app, name="jobs")
app.add_typer(_k8s_app, name="k8s")


def _opt(*names: str, help: str) -> Any:
    """An option under its dash spelling and its underscore spelling."""
    spellings = [
        n for name in names for n in dict.fromkeys((name, "--" + name[2:].replace("-", "_")))
    ]
    return typer.Option(*spellings, help=help)


def _fail(message: str) -> typer.Exit:
    print(f"ERROR: {message}", file=sys.stderr, flush=True)
    return typer.Exit(EXIT_INVALID_INPUT)


def _read_json_arg(text: str, what: str) -> Any:
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        return json.loads(raw)
    except ValueError as e:
        raise _fail(f"{what} is not valid JSON: {e}") from e


@app.command()
def train(
    model_name: Annotated[str | None, _opt("--model-name", help="timm or YOLO model name.")] = None,
    dataset_path: Annotated[
        str | None, _opt("--dataset-path", help="Data set folder or yaml.")
    ] = None,
    num_epochs: Annotated[int | None, _opt("--num-epochs", help="Epochs in total.")] = None,
    batch_size: Annotated[int | None, _opt("--batch-size", help="Images per step.")] = None,
    learning_rate: Annotated[float | None, _opt("--learning-rate", help="Initial LR.")] = None,
    image_size: Annotated[int | None, _opt("--image-size", help="Input size in pixels.")] = None,
    framework: Annotated[str | None, _opt("--framework", help="timm | ultralytics.")] = None,
    task_type: Annotated[str | None, _opt("--task-type", help="Inferred when absent.")] = None,
    preset: Annotated[str | None, _opt("--preset", help="easy | medium | advanced.")] = None,
    config: Annotated[str | None, _opt("--config", help="Advanced config: JSON or @file.")] = None,
    job_id: Annotated[str | None, _opt("--job-id", help="Platform job id.")] = None,
    output_dir: Annotated[str | None, _opt("--output-dir", help="Run folder.")] = None,
    checkpoint_path: Annotated[
        str | None, _opt("--checkpoint-path", help="Checkpoint file.")
    ] = None,
    resume: Annotated[bool, _opt("--resume", help="Continue from the last checkpoint.")] = False,
    max_stage_seconds: Annotated[
        float | None, _opt("--max-stage-seconds", help="Stop (exit 75) before this.")
    ] = None,
    seed: Annotated[int | None, _opt("--seed", help="Seed for an exactly repeatable run.")] = None,
    device: Annotated[str | None, _opt("--device", help="auto | cpu | cuda | 0,1.")] = None,
    workers: Annotated[int | None, _opt("--workers", help="Data loader processes.")] = None,
    skip_bad_images: Annotated[
        bool, _opt("--skip-bad-images", help="Skip corrupt images instead of failing.")
    ] = False,
    spec_file: Annotated[str | None, _opt("--spec", help="Whole run as JSON (file or -).")] = None,
    export_onnx: Annotated[
        bool, _opt("--export-onnx", help="Write model.onnx when training completes.")
    ] = False,
) -> None:
    """Train one model; exit 0 done, 2 invalid input, 75 stopped early (resumable), 1 error."""
    from pydantic import ValidationError

    from vision_platform.configs import TrainingSpec
    from vision_platform.training.runner import TrainingRunner

    doc: dict[str, Any] = {}
    if spec_file is not None:
        doc = _read_json_arg("@/dev/stdin" if spec_file == "-" else f"@{spec_file}", "--spec")
    flags: dict[str, Any] = {
        "model_name": model_name,
        "dataset_path": dataset_path,
        "num_epochs": num_epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "image_size": image_size,
        "framework": framework,
        "task_type": task_type,
        "preset": preset,
        "job_id": job_id,
        "output_dir": output_dir,
        "checkpoint_path": checkpoint_path,
        "max_stage_seconds": max_stage_seconds,
        "seed": seed,
        "device": device,
        "workers": workers,
        "advanced_config": _read_json_arg(config, "--config") if config is not None else None,
        "resume": resume or None,
        "export_onnx": export_onnx or None,
        "skip_bad_images": skip_bad_images or None,
    }
    doc.update({k: v for k, v in flags.items() if v is not None})
    try:
        spec = TrainingSpec.model_validate(doc)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()
        )
        raise _fail(f"invalid training spec: {problems}") from e
    raise typer.Exit(TrainingRunner(spec).run())


@app.command()
def predict(
    images: Annotated[list[Path], typer.Argument(help="Image files.")],
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A best.pt or last.pt.")],
    conf: Annotated[float, typer.Option("--conf", help="Detection confidence threshold.")] = 0.25,
    output_format: Annotated[str, typer.Option("--format", help="json (one per line).")] = "json",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Images per forward.")] = 16,
) -> None:
    """Predict images with a trained checkpoint; prints one InferenceResult JSON per line."""
    from vision_platform.adapters.registry import load_for_inference

    if output_format != "json":
        raise _fail("--format: only json is supported")
    missing = [str(p) for p in images if not p.is_file()]
    if missing:
        raise _fail(f"image(s) not found: {', '.join(missing)}")
    try:
        adapter = load_for_inference(checkpoint, conf_threshold=conf)
        results = adapter.infer_batch(images, batch_size=batch_size)
    except InvalidInputError as e:
        raise _fail(str(e)) from e
    for result in results:
        print(result.model_dump_json(), flush=True)


@app.command("infer-batch")
def infer_batch(
    spec_file: Annotated[str, _opt("--spec", help="BatchInferenceSpec as JSON (file or -).")],
) -> None:
    """Batch inference to a JSONL file; exit 0 done, 2 invalid input, 75 stopped (resumable)."""
    from pydantic import ValidationError

    from vision_platform.inference.batch import BatchInferenceSpec, run_spec

    try:
        doc = _read_json_arg("@/dev/stdin" if spec_file == "-" else f"@{spec_file}", "--spec")
    except OSError as e:
        raise _fail(f"--spec: cannot read {spec_file}: {e}") from e
    try:
        spec = BatchInferenceSpec.model_validate(doc)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc'])) or 'spec'}: {err['msg']}" for err in e.errors()
        )
        raise _fail(f"invalid batch inference spec: {problems}") from e
    try:
        code = run_spec(spec)
    except InvalidInputError as e:
        raise _fail(str(e)) from e
    raise typer.Exit(code)


@app.command("export")
def export(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A best.pt or last.pt.")],
    export_format: Annotated[str, typer.Option("--format", help="onnx")] = "onnx",
    output: Annotated[Path | None, typer.Option("--output", help="Target file.")] = None,
) -> None:
    """Export a trained checkpoint (ONNX, with class names and preprocessing in its metadata)."""
    from vision_platform.adapters.registry import load_for_inference

    if export_format != "onnx":
        raise _fail("--format: only onnx is supported")
    target = output or checkpoint.parent.parent / "model.onnx"
    try:
        written = load_for_inference(checkpoint).export_onnx(target)
    except InvalidInputError as e:
        raise _fail(str(e)) from e
    print(f"Exported {checkpoint} to {written}")


@app.command()
def parse(
    request: Annotated[str, typer.Argument(help="A training request in Korean or English.")],
) -> None:
    """Print the TrainingIntent JSON the request stands for (VP_LLM_PROVIDER picks the parser)."""
    from vision_platform.intent.providers import parser_from_settings
    from vision_platform.settings import get_settings

    intent = parser_from_settings(get_settings()).parse(request).intent
    print(json.dumps(intent.model_dump(mode="json"), ensure_ascii=False, indent=2))


@data_app.command("digits")
def data_digits(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the ImageFolder into.")],
    size: Annotated[int, typer.Option("--size", help="Image side in pixels.")] = 32,
    classes: Annotated[int, typer.Option("--classes", help="Use digits 0..N-1.")] = 10,
    per_class: Annotated[int | None, typer.Option("--per-class", help="Images per class.")] = None,
) -> None:
    """Write scikit-learn's handwritten digits as an ImageFolder (train/ and val/)."""
    from vision_platform.datasets.digits import make_digits

    make_digits(out_dir, size=size, num_classes=classes, per_class=per_class)
    print(f"Wrote digits data set to {out_dir}")


@data_app.command("shapes")
def data_shapes(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the YOLO data set into.")],
    task: Annotated[str, typer.Option("--task", help="detect | segment.")] = "detect",
    num_train: Annotated[int, typer.Option("--num-train", help="Training images.")] = 160,
    num_val: Annotated[int, typer.Option("--num-val", help="Validation images.")] = 40,
    image_size: Annotated[int, typer.Option("--image-size", help="Image side in pixels.")] = 96,
) -> None:
    """Write the shapes detection data set (YOLO layout; polygons with --task segment)."""
    from vision_platform.datasets.shapes import ShapesTask, make_shapes

    if task not in ("detect", "segment"):
        raise _fail(f"--task: {task!r} is not one of: detect, segment")
    shapes_task: ShapesTask = "segment" if task == "segment" else "detect"
    try:
        written = make_shapes(
            out_dir,
            num_train=num_train,
            num_val=num_val,
            image_size=image_size,
            task=shapes_task,
        )
    except ValueError as e:
        raise _fail(str(e)) from e
    print(f"Wrote shapes data set to {written}")


@data_app.command("from-coco")
def data_from_coco(
    coco_json: Annotated[Path, typer.Argument(help="COCO annotations JSON file.")],
    images_dir: Annotated[Path, typer.Argument(help="Folder holding the images it names.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the YOLO data set into.")],
    split: Annotated[str, typer.Option("--split", help="train | val | test.")] = "train",
) -> None:
    """Convert one split of a COCO data set to YOLO layout (boxes, or polygons when present)."""
    from vision_platform.datasets.coco import coco_to_yolo

    try:
        result = coco_to_yolo(coco_json, images_dir, out_dir, split=split)
    except InvalidInputError as e:
        raise _fail(str(e)) from e
    for note in result.warnings:
        print(f"WARNING: {note}")
    print(
        f"Wrote {result.images} {split} image(s), {result.labels} label(s) "
        f"({result.task}) to {result.yaml_path}"
    )


@config_app.command("schema")
def config_schema(framework: Annotated[str, typer.Argument(help="timm | ultralytics")]) -> None:
    """Print the framework's advanced-config JSON Schema (with groups and presets)."""
    from vision_platform.adapters.registry import registry

    try:
        print(json.dumps(registry.get(framework).json_schema(), indent=2))
    except InvalidInputError as e:
        raise _fail(str(e)) from e


@config_app.command("presets")
def config_presets(framework: Annotated[str, typer.Argument(help="timm | ultralytics")]) -> None:
    """Print each preset's full config for the framework."""
    from vision_platform.adapters.registry import registry

    try:
        cls = registry.get(framework)
    except InvalidInputError as e:
        raise _fail(str(e)) from e
    schema = cls.config_schema()
    from vision_platform.configs import merge_config

    out = {
        name: merge_config(schema=schema, presets=cls.presets(), preset=name, overrides=None)
        for name in cls.presets()
    }
    print(json.dumps(out, indent=2))


def main() -> None:
    app()
