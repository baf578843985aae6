"""A YOLO data set (or a converted COCO one) inspected: checked with training's validator,
every image of its splits listed with its objects, corrupt images found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from vision_platform.datasets.imagefolder import image_problem
from vision_platform.datasets.yolo import (
    YoloDataset,
    find_yolo_yaml,
    guess_task,
    normalize_task_type,
    validate_yolo_dataset,
)
from vision_platform.datasets.yolo_labels import format_problems, label_path_for, list_images
from vision_platform.datastore.report import image_size, relative, relative_errors
from vision_platform.datastore.schemas import Problem, Sample, SampleObject
from vision_platform.errors import DatasetError

PLATFORM_TASKS = {"detect": "detection", "segment": "segmentation", "pose": "pose", "obb": "obb"}
_SOURCE_KEYS = ("train", "val", "validation", "test")


def _read_yaml(yaml_path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # the validator reports it with file and line
    return data if isinstance(data, dict) else {}


def _inside(base: Path, entry: str, root: Path, where: str, what: str) -> Path:
    """`entry` resolved as the validator resolves it (`~` expanded, relative to `base`);
    DatasetError unless it lies inside `root`."""
    path = Path(entry).expanduser()
    resolved = (path if path.is_absolute() else base / path).resolve()
    if not resolved.is_relative_to(root):
        raise DatasetError(f"{where}: {what} must be a relative path inside the data set")
    return resolved


def portable_yaml(yaml_path: Path, data: dict[str, Any], root: Path) -> list[str]:
    """Drop an absolute `path` (or one leading out of the data set) from data.yaml: a stored
    version is read from other folders, and its splits are then taken relative to data.yaml
    (as for a data.yaml without `path`). Returns the warning to report, if any."""
    raw = data.get("path")
    if raw in (None, ""):
        return []
    if not Path(str(raw)).is_absolute() and _within(yaml_path, raw, root):
        return []
    del data["path"]
    yaml_path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    if Path(str(raw)).expanduser().resolve() == yaml_path.parent:
        return []  # it named the data set's own folder
    where = relative(str(yaml_path), root)
    return [f"{where}: dropped 'path' ({raw}); the splits are read relative to {where}"]


def _within(yaml_path: Path, raw: object, root: Path) -> bool:
    return (yaml_path.parent / str(raw)).resolve().is_relative_to(root)


def check_yaml_paths(yaml_path: Path, data: dict[str, Any], root: Path) -> None:
    """Refuse split folders and image lists that point outside the data set: an uploaded
    data.yaml must not make the server read (or report on) its other files."""
    where = relative(str(yaml_path), root)
    base = yaml_path.parent
    if data.get("path") not in (None, ""):
        base = _inside(base, str(data["path"]), root, where, f"'path' ({data['path']!r})")
    for key in _SOURCE_KEYS:
        raw = data.get(key)
        for entry in raw if isinstance(raw, list) else [] if raw in (None, "") else [raw]:
            source = _inside(base, str(entry), root, where, f"'{key}' ({entry!r})")
            if source.is_file():
                _check_list_file(source, root)


def _check_list_file(source: Path, root: Path) -> None:
    where = relative(str(source), root)
    lines = source.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip():
            _inside(source.parent, line.strip(), root, f"{where}:{number}", "an image path")


def _objects(label: Path, task: str, names: list[str], ndim: int) -> list[SampleObject]:
    """The image's objects as boxes (and polygons or keypoints), in fractions of its size."""
    if not label.is_file():
        return []
    objects = []
    for line in label.read_text(encoding="utf-8-sig").splitlines():
        values = [float(v) for v in line.split()]
        if not values:
            continue
        class_id = int(values[0])
        obj = SampleObject(class_id=class_id, class_name=names[class_id], bbox=[])
        if task in ("detect", "pose"):
            cx, cy, w, h = values[1:5]
            obj.bbox = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
            if task == "pose":
                flat = values[5:]
                obj.keypoints = [flat[i : i + ndim] for i in range(0, len(flat), ndim)]
        else:
            points = [values[i : i + 2] for i in range(1, len(values) - 1, 2)]
            obj.polygon = points
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            obj.bbox = [min(xs), min(ys), max(xs), max(ys)]
        obj.bbox = [round(min(1.0, max(0.0, v)), 6) for v in obj.bbox]
        objects.append(obj)
    return objects


def load_yolo(root: Path, *, task_type: str | None) -> tuple[YoloDataset, str, list[str]]:
    """The data set validated as training validates it, the YOLO task it was checked as,
    and warnings. data.yaml is made portable first (see `portable_yaml`)."""
    with relative_errors(root):
        yaml_path = find_yolo_yaml(root).resolve()
    data = _read_yaml(yaml_path)
    warnings = portable_yaml(yaml_path, data, root)
    check_yaml_paths(yaml_path, data, root)
    task = normalize_task_type(task_type) if task_type else guess_task(yaml_path)
    with relative_errors(root):
        return validate_yolo_dataset(yaml_path, task_type=task), task, warnings


def yolo_samples(
    dataset: YoloDataset, task: str, root: Path, *, skip_bad_images: bool
) -> tuple[list[Sample], list[Problem]]:
    """Every image of the train and val splits with its objects; corrupt images are an error
    naming them, or left out and listed when `skip_bad_images`."""
    samples: list[Sample] = []
    bad: list[Problem] = []
    for split, sources in (("train", dataset.train_sources), ("val", dataset.val_sources)):
        with relative_errors(root):
            images = sorted({i for s in sources for i in list_images(s, str(dataset.yaml_path))})
        for image in images:
            file = image.relative_to(root).as_posix()
            problem = image_problem(image)
            if problem:
                bad.append(Problem(file=file, problem=problem))
                continue
            ndim = dataset.kpt_shape[1] if dataset.kpt_shape else 2
            objects = _objects(label_path_for(image), task, dataset.class_names, ndim)
            width, height = image_size(image)
            samples.append(
                Sample(
                    index=len(samples),
                    split=split,
                    file=file,
                    width=width,
                    height=height,
                    class_ids=sorted({o.class_id for o in objects}),
                    objects=objects,
                )
            )
    if bad and not skip_bad_images:
        header = f"{len(bad)} unreadable or corrupt image(s) (fix or remove them, or skip them):"
        raise DatasetError(format_problems(header, [f"{p.file}: {p.problem}" for p in bad]))
    return samples, bad
