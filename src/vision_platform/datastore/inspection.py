"""A data set folder inspected: its format found, checked with the loaders training uses
(ImageFolder, YOLO; COCO converted to YOLO first), and described in a report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vision_platform.datasets.coco import coco_to_yolo
from vision_platform.datasets.imagefolder import load_image_folder
from vision_platform.datastore.layout import SourceFormat, coco_files, detect_format
from vision_platform.datastore.report import (
    class_stats,
    image_size,
    image_sizes,
    relative,
    relative_errors,
    split_counts,
)
from vision_platform.datastore.schemas import DatasetReport, Layout, Problem, Sample
from vision_platform.datastore.yolo_inspect import PLATFORM_TASKS, load_yolo, yolo_samples
from vision_platform.errors import DatasetError

_IMAGE_FOLDERS = ("images", "")  # where COCO images may lie, below the data set's root


@dataclass
class Inspection:
    """The folder whose files become the version, what they hold, and the files left out."""

    root: Path
    report: DatasetReport
    samples: list[Sample]
    exclude: frozenset[str]


def inspect_dataset(
    root: Path, workdir: Path, *, skip_bad_images: bool = False, task_type: str | None = None
) -> Inspection:
    """Find the format of the data set at `root` and check it; COCO is converted into
    `workdir` and the converted data set inspected. DatasetError names the file at fault."""
    root = root.resolve()
    fmt = detect_format(root)
    if task_type == "classification" and fmt != "imagefolder":
        raise DatasetError(f"task_type classification needs an ImageFolder, found {fmt}")
    if fmt == "imagefolder":
        if task_type not in (None, "classification"):
            raise DatasetError(f"task_type {task_type}: an ImageFolder is for classification")
        return _inspect_imagefolder(root, skip_bad_images=skip_bad_images)
    warnings: list[str] = []
    if fmt == "coco":
        root, warnings = convert_coco(root, workdir / "converted")
    return _inspect_yolo(root, fmt, warnings, skip_bad_images=skip_bad_images, task=task_type)


def _report(
    fmt: SourceFormat,
    layout: Layout,
    task_type: str,
    names: list[str],
    samples: list[Sample],
    problems: list[Problem],
    warnings: list[str],
) -> DatasetReport:
    return DatasetReport(
        format=fmt,
        layout=layout,
        task_type=task_type,
        class_names=names,
        classes=class_stats(samples, names),
        splits=split_counts(samples),
        image_sizes=image_sizes(samples),
        problems=problems,
        warnings=warnings,
    )


def _inspect_imagefolder(root: Path, *, skip_bad_images: bool) -> Inspection:
    with relative_errors(root):
        split = load_image_folder(root, skip_bad_images=skip_bad_images)
    samples: list[Sample] = []
    for name, items in (("train", split.train), ("val", split.val)):
        for path, label in items:
            width, height = image_size(Path(path))
            file = Path(path).relative_to(root).as_posix()
            samples.append(
                Sample(
                    index=len(samples),
                    split=name,
                    file=file,
                    width=width,
                    height=height,
                    class_ids=[label],
                )
            )
    problems = [
        Problem(file=Path(p).relative_to(root).as_posix(), problem=relative(why, root))
        for p, why in split.bad_images
    ]
    # The skip warning lists the same files as the problems.
    warnings = [relative(w, root) for w in split.warnings if not w.startswith("skipping ")]
    report = _report(
        "imagefolder", "imagefolder", "classification", split.class_names, samples, problems,
        warnings,
    )  # fmt: skip
    report.auto_split = split.auto_split
    return Inspection(root, report, samples, frozenset(p.file for p in problems))


def _inspect_yolo(
    root: Path,
    fmt: SourceFormat,
    warnings: list[str],
    *,
    skip_bad_images: bool,
    task: str | None,
) -> Inspection:
    dataset, yolo_task, yaml_warnings = load_yolo(root, task_type=task)
    samples, problems = yolo_samples(dataset, yolo_task, root, skip_bad_images=skip_bad_images)
    warnings = [*warnings, *yaml_warnings, *(relative(w, root) for w in dataset.warnings)]
    report = _report(
        fmt, "yolo", PLATFORM_TASKS[yolo_task], dataset.class_names, samples, problems, warnings
    )
    report.images_without_labels = dataset.images_without_labels
    return Inspection(root, report, samples, frozenset(p.file for p in problems))


# --- COCO ------------------------------------------------------------------------------------


def _coco_split(path: Path) -> str:
    """train, val or test, from the file's name or its folder's (Roboflow: valid/)."""
    words = f"{path.parent.name} {path.stem}".lower()
    if re.search(r"val", words):
        return "val"
    if re.search(r"test", words):
        return "test"
    return "train"


def _coco_images_dir(coco_json: Path, root: Path, split: str) -> Path:
    """The folder the JSON's `file_name`s are relative to: beside it (Roboflow), a folder
    named after it (`instances_val2017.json` → `val2017/`), the split's, or `images/`."""
    import json

    data = json.loads(coco_json.read_text(encoding="utf-8-sig"))
    first = next((i.get("file_name") for i in data["images"] if isinstance(i, dict)), None)
    tag = coco_json.stem.split("_", 1)[-1]
    candidates = [coco_json.parent]
    for base in _IMAGE_FOLDERS:
        candidates += [root / base / tag, root / base / split, root / base]
    for folder in candidates:
        if folder.is_dir() and (first is None or (folder / str(first)).is_file()):
            return folder
    where = relative(str(coco_json), root)
    raise DatasetError(f"{where}: cannot find the images it lists (e.g. {first!r})")


def convert_coco(root: Path, out: Path) -> tuple[Path, list[str]]:
    """Convert every COCO file of the data set (one per split) into a YOLO data set at `out`
    with the converter `vp data from-coco` uses; the warnings name files inside it."""
    by_split: dict[str, Path] = {}
    for path in coco_files(root):
        split = _coco_split(path)
        if split in by_split:
            first, second = (relative(str(p), root) for p in (by_split[split], path))
            raise DatasetError(f"two COCO files for the {split} split: {first} and {second}")
        by_split[split] = path
    warnings: list[str] = []
    for split in sorted(by_split, key=("train", "val", "test").index):
        images = _coco_images_dir(by_split[split], root, split)
        with relative_errors(root):
            result = coco_to_yolo(by_split[split], images, out, split=split)
        warnings += [relative(relative(w, out), root) for w in result.warnings]
    if "train" not in by_split:
        raise DatasetError("COCO: no annotations for a train split (e.g. instances_train.json)")
    if "val" in by_split:  # said while converting train, before val was there
        warnings = [w for w in warnings if "no val split yet" not in w]
    return out.resolve(), warnings
