"""YOLO data sets (Ultralytics layout): find `data.yaml`, check it and every label file.

A YOLO data set is a `data.yaml` naming the classes and the train/val images; each image
`…/images/…/x.jpg` has its labels in `…/labels/…/x.txt`, one object per line, with coordinates
normalised to [0, 1]. The checks here mirror what Ultralytics' own loader accepts, so that a data
set passing them trains, and report every problem at once (file and line) before training starts,
where Ultralytics would skip bad files with a warning or fail mid-run. This module reads
`data.yaml` and walks the splits; `yolo_labels` checks the image and label files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vision_platform.datasets.yolo_labels import (
    LabelChecker,
    format_problems,
    label_path_for,
    list_images,
    require_labels_folder,
    resolve_source,
)
from vision_platform.errors import DatasetError

YAML_NAMES = ("data.yaml", "data.yml")

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


def guess_task(yaml_path: Path) -> str:
    """The task of a YOLO data set's labels: pose when data.yaml has kpt_shape; else segment
    when the first label line is a polygon; else detect."""
    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "detect"  # validation reports the problem with file and line
    if not isinstance(data, dict):
        return "detect"
    if "kpt_shape" in data:
        return "pose"
    root = Path(str(data.get("path") or yaml_path.parent)).expanduser()
    root = root if root.is_absolute() else yaml_path.parent / root
    labels_root = label_path_for(root / "images" / "x.jpg").parent
    for label in sorted(labels_root.rglob("*.txt"))[:50] if labels_root.is_dir() else []:
        for line in label.read_text(errors="replace").splitlines():
            if line.strip():
                return "segment" if len(line.split()) > 5 else "detect"
    return "detect"


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
    checker = LabelChecker(task=task, num_classes=len(class_names), kpt_shape=kpt_shape)
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


# --- splits ----------------------------------------------------------------------------------


def _check_split(
    result: YoloDataset,
    split: str,
    data: dict[str, Any],
    root: Path,
    where: _Where,
    checker: LabelChecker,
) -> None:
    """Resolve one split's image sources, count its images, and check their label files."""
    key = split if split in data or split != "val" else "validation"
    raw = data.get(key)
    if raw in (None, "", []):
        raise DatasetError(f"{where(key)}: missing '{split}' (the {split} images folder)")
    entries = raw if isinstance(raw, list) else [raw]
    sources = [resolve_source(root, str(e), where(key), split) for e in entries]
    images = sorted({img for src in sources for img in list_images(src, where(key))})
    if not images:
        listed = ", ".join(str(s) for s in sources)
        raise DatasetError(f"{where(key)}: no images in the {split} split ({listed})")
    for src in sources:
        require_labels_folder(src, where(key), split)
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
