"""`vp data …`: the demo data sets, and COCO → YOLO conversion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vision_platform.cli.common import fail
from vision_platform.errors import InvalidInputError

data_app = typer.Typer(no_args_is_help=True, help="Demo data sets and format conversion.")


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
        raise fail(f"--task: {task!r} is not one of: detect, segment")
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
        raise fail(str(e)) from e
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
        raise fail(str(e)) from e
    for note in result.warnings:
        print(f"WARNING: {note}")
    print(
        f"Wrote {result.images} {split} image(s), {result.labels} label(s) "
        f"({result.task}) to {result.yaml_path}"
    )
