"""`vp predict`, `vp infer-batch` and `vp export`: what a trained checkpoint is used for."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vision_platform.cli.common import fail, invalid_spec, opt, read_spec_file
from vision_platform.errors import InvalidInputError


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
        raise fail("--format: only json is supported")
    missing = [str(p) for p in images if not p.is_file()]
    if missing:
        raise fail(f"image(s) not found: {', '.join(missing)}")
    try:
        adapter = load_for_inference(checkpoint, conf_threshold=conf)
        results = adapter.infer_batch(images, batch_size=batch_size)
    except InvalidInputError as e:
        raise fail(str(e)) from e
    for result in results:
        print(result.model_dump_json(), flush=True)


def infer_batch(
    spec_file: Annotated[str, opt("--spec", help="BatchInferenceSpec as JSON (file or -).")],
) -> None:
    """Batch inference to a JSONL file; exit 0 done, 2 invalid input, 75 stopped (resumable)."""
    from pydantic import ValidationError

    from vision_platform.inference.batch import BatchInferenceSpec, run_spec

    try:
        doc = read_spec_file(spec_file)
    except OSError as e:
        raise fail(f"--spec: cannot read {spec_file}: {e}") from e
    try:
        spec = BatchInferenceSpec.model_validate(doc)
    except ValidationError as e:
        raise invalid_spec("batch inference spec", e) from e
    try:
        code = run_spec(spec)
    except InvalidInputError as e:
        raise fail(str(e)) from e
    raise typer.Exit(code)


def export(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A best.pt or last.pt.")],
    export_format: Annotated[str, typer.Option("--format", help="onnx")] = "onnx",
    output: Annotated[Path | None, typer.Option("--output", help="Target file.")] = None,
) -> None:
    """Export a trained checkpoint (ONNX, with class names and preprocessing in its metadata)."""
    from vision_platform.adapters.registry import load_for_inference

    if export_format != "onnx":
        raise fail("--format: only onnx is supported")
    target = output or checkpoint.parent.parent / "model.onnx"
    try:
        written = load_for_inference(checkpoint).export_onnx(target)
    except InvalidInputError as e:
        raise fail(str(e)) from e
    print(f"Exported {checkpoint} to {written}")
