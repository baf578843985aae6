"""YOLO data sets (Ultralytics layout): find `data.yaml`, check it and every label file.

A YOLO data set is a `data.yaml` naming the classes and the train/val images; each image
`…/images/…/x.jpg` has its labels in `…/labels/…/x.txt`, one object per line, with coordinates
normalised to [0, 1]. The checks here mirror what Ultralytics' own loader accepts, so that a data
set passing them trains, and report every problem at once (file and line) before training starts,
where Ultralytics would skip bad files with a warning or fail mid-run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vision_platform.datasets.images import YOLO_IMAGE_SUFFIXES as IMAGE_SUFFIXES
from vision_platform.errors import DatasetError

YAML_NAMES = ("data.yaml", "data.yml")
# Ultralytics accepts coordinates up to 1% outside [0, 1] (float noise from converters).
COORD_TOLERANCE = 0.01
MAX_LISTED_PROBLEMS = 20

_Where = Callable[[str], str]  # top-level yaml key → "file:line" for messages

_TASK_ALIASES = {
    "detect": "detect",
    "detection": "detect",
    "segment": "segment",
    "segmentation": "segment",
    "pose": "pose",
    "obb": "obb",
}


@dataclass
class YoloDataset:
    """A checked YOLO data set: where it is, its classes, and what its splits hold."""

    yaml_path: Path
    root: Path
    task_type: str
    class_names: list[str]
    train_sources: list[Path]
    val_sources: list[Path]
    train_images: int
    val_images: int
    images_without_labels: int
    kpt_shape: tuple[int, int] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_data_dict(self) -> dict[str, Any]:
        """The data set as a `data.yaml` mapping with absolute paths, valid from any folder.

        Ultralytics resolves a relative `path` against the working directory or its own
        datasets folder, not against the yaml file; writing this out avoids that surprise.
        """
        data: dict[str, Any] = {
            "path": str(self.root),
            "train": [str(p) for p in self.train_sources],
            "val": [str(p) for p in self.val_sources],
            "names": dict(enumerate(self.class_names)),
        }
        if self.kpt_shape is not None:
            data["kpt_shape"] = list(self.kpt_shape)
        return data


def normalize_task_type(task_type: str) -> str:
    """Ultralytics' task name (detect, segment, pose, obb) for the platform's or its own."""
    try:
        return _TASK_ALIASES[task_type]
    except KeyError:
        valid = ", ".join(sorted(_TASK_ALIASES))
        raise DatasetError(
            f"task type {task_type!r} has no YOLO label format (valid: {valid})"
        ) from None


def format_problems(
    header: str, problems: Sequence[str], *, limit: int = MAX_LISTED_PROBLEMS
) -> str:
    """One error message listing up to `limit` problems and counting the rest."""
    lines = [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  … and {len(problems) - limit} more problem(s)")
    return "\n".join([header, *lines])


def find_yolo_yaml(path: str | Path) -> Path:
    """The data set's yaml: `path` itself, or `data.yaml` (or the only yaml) in folder `path`."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() not in {".yaml", ".yml"}:
            raise DatasetError(f"{path}: not a YOLO data set file (expected a .yaml file)")
        return path
    if not path.is_dir():
        raise DatasetError(f"data set not found: {path}")
    for name in YAML_NAMES:
        if (path / name).is_file():
            return path / name
    candidates = sorted(p for p in path.iterdir() if p.suffix.lower() in {".yaml", ".yml"})
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        listed = ", ".join(p.name for p in candidates)
        raise DatasetError(f"{path}: several yaml files ({listed}); name one, or call it data.yaml")
    raise DatasetError(
        f"{path}: no data.yaml (a YOLO data set needs one naming classes and splits)"
    )


def is_yolo_dataset(path: str | Path) -> bool:
    """Whether `path` looks like a YOLO data set (a yaml file, or a folder holding data.yaml)."""
    path = Path(path)
    if path.is_file():
        return path.suffix.lower() in {".yaml", ".yml"}
    return any((path / name).is_file() for name in YAML_NAMES)


def validate_yolo_dataset(path: str | Path, *, task_type: str = "detect") -> YoloDataset:
    """Check a YOLO data set for a task (detect, segment, pose, obb) and describe it.

    Raises DatasetError naming the file (and line) of every problem found: a missing or
    unreadable yaml, missing `names`, missing image or labels folders, label lines with the
    wrong number of columns, class ids outside `names`, coordinates outside [0, 1].
    Images without a label file are allowed (background images): counted and reported.
    """
    task = normalize_task_type(task_type)
    yaml_path = find_yolo_yaml(path).resolve()
    data, key_lines = _load_yaml(yaml_path)
    where = _yaml_location(yaml_path, key_lines)
    class_names = _class_names(data, where)
    kpt_shape = _kpt_shape(data, where) if task == "pose" else None
    root = _dataset_root(yaml_path, data, where)
    result = YoloDataset(
        yaml_path=yaml_path,
        root=root,
        task_type=task,
        class_names=class_names,
        train_sources=[],
        val_sources=[],
        train_images=0,
        val_images=0,
        images_without_labels=0,
        kpt_shape=kpt_shape,
    )
    checker = _LabelChecker(task=task, num_classes=len(class_names), kpt_shape=kpt_shape)
    for split in ("train", "val"):
        _check_split(result, split, data, root, where, checker)
    if checker.problems:
        header = f"{len(checker.problems)} problem(s) in the labels of {yaml_path}:"
        raise DatasetError(format_problems(header, checker.problems))
    return result


# --- data.yaml -----------------------------------------------------------------------------


def _load_yaml(yaml_path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The parsed yaml and the 1-based line of each top-level key (for error messages)."""
    try:
        text = yaml_path.read_text(encoding="utf-8-sig")
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except UnicodeDecodeError as e:
        raise DatasetError(f"{yaml_path}: not UTF-8 text ({e})") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise DatasetError(f"{yaml_path}{line}: invalid YAML: {problem}") from e
    if not isinstance(data, dict):
        raise DatasetError(f"{yaml_path}: expected a mapping with names, train and val")
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return data, lines


def _yaml_location(yaml_path: Path, key_lines: dict[str, int]) -> _Where:
    """A function giving `file:line` for a top-level key of the yaml (just `file` if absent)."""

    def where(key: str) -> str:
        line = key_lines.get(key)
        return f"{yaml_path}:{line}" if line else str(yaml_path)

    return where


def _class_names(data: dict[str, Any], where: _Where) -> list[str]:
    names = data.get("names")
    if names is None:
        if isinstance(data.get("nc"), int) and data["nc"] > 0:
            return [f"class_{i}" for i in range(data["nc"])]
        raise DatasetError(f"{where('names')}: missing 'names' (the list of class names)")
    if isinstance(names, list):
        result = [str(n) for n in names]
    elif isinstance(names, dict):
        result = _names_from_dict(names, where)
    else:
        raise DatasetError(f"{where('names')}: 'names' must be a list or an id → name mapping")
    if not result:
        raise DatasetError(f"{where('names')}: 'names' is empty; at least one class is needed")
    nc = data.get("nc")
    if nc is not None and nc != len(result):
        raise DatasetError(f"{where('nc')}: 'nc' is {nc} but 'names' has {len(result)} entries")
    return result


def _names_from_dict(names: dict[Any, Any], where: _Where) -> list[str]:
    try:
        by_id = {int(k): str(v) for k, v in names.items()}
    except (TypeError, ValueError):
        raise DatasetError(f"{where('names')}: 'names' keys must be class ids 0, 1, …") from None
    if sorted(by_id) != list(range(len(by_id))):
        raise DatasetError(
            f"{where('names')}: 'names' ids must be 0-{len(by_id) - 1} without gaps, "
            f"got {sorted(by_id)}"
        )
    return [by_id[i] for i in range(len(by_id))]


def _kpt_shape(data: dict[str, Any], where: _Where) -> tuple[int, int]:
    shape = data.get("kpt_shape")
    if not (
        isinstance(shape, list)
        and len(shape) == 2
        and all(isinstance(v, int) for v in shape)
        and shape[0] > 0
        and shape[1] in (2, 3)
    ):
        raise DatasetError(
            f"{where('kpt_shape')}: pose data needs 'kpt_shape: [keypoints, 2 or 3]', got {shape!r}"
        )
    return int(shape[0]), int(shape[1])


def _dataset_root(yaml_path: Path, data: dict[str, Any], where: _Where) -> Path:
    """The folder that `train`/`val` are relative to: `path`, taken relative to the yaml file."""
    raw = data.get("path")
    if raw in (None, ""):
        return yaml_path.parent
    root = Path(str(raw)).expanduser()
    if not root.is_absolute():
        root = (yaml_path.parent / root).resolve()
    if not root.is_dir():
        raise DatasetError(f"{where('path')}: data set folder 'path' not found: {root}")
    return root


# --- splits and images ---------------------------------------------------------------------


def _check_split(
    result: YoloDataset,
    split: str,
    data: dict[str, Any],
    root: Path,
    where: _Where,
    checker: _LabelChecker,
) -> None:
    """Resolve one split's image sources, count its images, and check their label files."""
    key = split if split in data or split != "val" else "validation"
    raw = data.get(key)
    if raw in (None, "", []):
        raise DatasetError(f"{where(key)}: missing '{split}' (the {split} images folder)")
    entries = raw if isinstance(raw, list) else [raw]
    sources = [_resolve_source(root, str(e), where(key), split) for e in entries]
    images = sorted({img for src in sources for img in _list_images(src, where(key))})
    if not images:
        listed = ", ".join(str(s) for s in sources)
        raise DatasetError(f"{where(key)}: no images in the {split} split ({listed})")
    for src in sources:
        _require_labels_folder(src, where(key), split)
    unlabelled = 0
    for image in images:
        label = label_path_for(image)
        if label.is_file():
            checker.check_file(label)
        else:
            unlabelled += 1
    if split == "train":
        result.train_sources, result.train_images = sources, len(images)
        if unlabelled == len(images):
            raise DatasetError(
                f"{where(key)}: none of the {len(images)} train images has a label file "
                f"(expected e.g. {label_path_for(images[0])})"
            )
    else:
        result.val_sources, result.val_images = sources, len(images)
    if unlabelled:
        result.images_without_labels += unlabelled
        result.warnings.append(
            f"{unlabelled} of {len(images)} {split} image(s) have no label file "
            "(used as background images)"
        )


def _resolve_source(root: Path, entry: str, where: str, split: str) -> Path:
    source = Path(entry).expanduser()
    if not source.is_absolute():
        source = (root / source).resolve()
    if not source.exists():
        raise DatasetError(f"{where}: {split} images folder not found: {source}")
    return source


def _list_images(source: Path, where: str) -> list[Path]:
    """Images in a folder (recursively) or listed in a text file, as Ultralytics finds them."""
    if source.is_dir():
        return [p for p in source.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    images: list[Path] = []
    missing: list[str] = []
    for number, line in enumerate(_read_lines(source), start=1):
        entry = line.strip()
        if not entry:
            continue
        image = Path(entry)
        if not image.is_absolute():
            image = (source.parent / image).resolve()
        if image.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if image.is_file():
            images.append(image)
        else:
            missing.append(f"{source}:{number}: image not found: {image}")
    if missing:
        header = f"{len(missing)} listed image(s) missing ({where}):"
        raise DatasetError(format_problems(header, missing))
    return images


def _require_labels_folder(source: Path, where: str, split: str) -> None:
    """A source inside an `images` folder needs the matching `labels` folder."""
    folder = source if source.is_dir() else None
    if folder is None or "images" not in folder.parts:
        return  # text lists and folders outside `images/`: checked per image instead
    labels = label_path_for(folder / "x.jpg").parent
    if not labels.is_dir():
        raise DatasetError(
            f"{where}: labels folder not found: {labels} (the {split} images in {folder} "
            "need their .txt labels there)"
        )


def label_path_for(image: Path) -> Path:
    """Where Ultralytics looks for an image's labels: the last `images` part → `labels`, .txt."""
    text = os.fspath(image)
    marker = f"{os.sep}images{os.sep}"
    if marker in text:
        head, tail = text.rsplit(marker, 1)
        text = f"{head}{os.sep}labels{os.sep}{tail}"
    return Path(text).with_suffix(".txt")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not UTF-8 text ({e})") from e


# --- label lines ---------------------------------------------------------------------------


@dataclass
class _LabelChecker:
    """Checks label lines for one task and collects every problem as `file:line: problem`."""

    task: str
    num_classes: int
    kpt_shape: tuple[int, int] | None = None
    problems: list[str] = field(default_factory=list)

    def check_file(self, label: Path) -> None:
        for number, line in enumerate(_read_lines(label), start=1):
            if line.strip():
                problem = self.check_line(line.split())
                if problem:
                    self.problems.append(f"{label}:{number}: {problem}")

    def check_line(self, columns: list[str]) -> str | None:
        """The problem with one label line, or None when it is valid."""
        shape_problem = self._column_problem(len(columns))
        if shape_problem:
            return shape_problem
        try:
            values = [float(c) for c in columns]
        except ValueError:
            return f"not a number in {' '.join(columns)!r}"
        if not all(math.isfinite(v) for v in values):
            return f"not a finite number in {' '.join(columns)!r}"
        class_id = values[0]
        if class_id != int(class_id) or not 0 <= class_id < self.num_classes:
            return (
                f"class id {columns[0]} out of range: 'names' has {self.num_classes} class(es), "
                f"ids 0-{self.num_classes - 1}"
            )
        outside = [v for v in self._coordinates(values) if not _in_unit_range(v)]
        if outside:
            return f"coordinates outside [0, 1]: {', '.join(f'{v:g}' for v in outside[:4])}"
        return None

    def _column_problem(self, count: int) -> str | None:
        if self.task == "detect" and count != 5:
            return f"expected 5 columns (class x_center y_center width height), got {count}"
        if self.task == "obb" and count != 9:
            return f"expected 9 columns (class x1 y1 x2 y2 x3 y3 x4 y4), got {count}"
        if self.task == "segment" and (count < 7 or count % 2 == 0):
            return (
                f"expected class then at least 3 x y points (an odd count, 7 or more), got {count}"
            )
        if self.task == "pose":
            assert self.kpt_shape is not None
            expected = 5 + self.kpt_shape[0] * self.kpt_shape[1]
            if count != expected:
                nkpt, ndim = self.kpt_shape
                return (
                    f"expected {expected} columns (class, box, {nkpt} keypoints × {ndim}), "
                    f"got {count}"
                )
        return None

    def _coordinates(self, values: list[float]) -> Iterable[float]:
        """The values that must lie in [0, 1]: all but the class, and keypoint visibilities."""
        if self.task != "pose":
            return values[1:]
        assert self.kpt_shape is not None
        ndim = self.kpt_shape[1]
        keypoints = values[5:]
        xy = [v for i, v in enumerate(keypoints) if i % ndim < 2]
        return [*values[1:5], *xy]


def _in_unit_range(value: float) -> bool:
    return -COORD_TOLERANCE <= value <= 1 + COORD_TOLERANCE
