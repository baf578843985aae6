"""COCO detection JSON → YOLO data set (images, label files and `data.yaml`).

Category ids are remapped to 0…n-1 in ascending id order, with the categories' names. Boxes
become `class cx cy w h`; when the annotations carry polygon segmentations, the labels become
`class x1 y1 x2 y2 …` polygons instead (a segmentation data set). Crowd annotations
(`iscrowd: 1`) are skipped, as Ultralytics' own converter does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard

import yaml

from vision_platform.datasets.yolo_labels import format_problems
from vision_platform.errors import DatasetError

CocoTask = Literal["auto", "detect", "segment"]


@dataclass
class CocoConversion:
    """What `coco_to_yolo` wrote: the yaml, the task it chose, counts and warnings."""

    yaml_path: Path
    task: str
    class_names: list[str]
    images: int
    labels: int
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Coco:
    """The parts of a COCO file the conversion needs, indexed and checked."""

    path: Path
    images: dict[int, dict[str, Any]]
    category_ids: list[int]
    names: list[str]
    annotations: list[dict[str, Any]]


def coco_to_yolo(
    coco_json: str | Path,
    images_dir: str | Path,
    out_dir: str | Path,
    *,
    split: str = "train",
    task: CocoTask = "auto",
) -> CocoConversion:
    """Convert one split of a COCO data set into YOLO layout under `out_dir`.

    Images are copied to `out_dir/images/<split>/` (keeping `file_name`'s sub-folders) and each
    gets `out_dir/labels/<split>/<name>.txt` (empty for an image without objects). `data.yaml`
    is written or updated, so converting `train` and then `val` into the same `out_dir` gives
    one data set. `task="auto"` writes polygons when any annotation has one. Raises
    DatasetError naming the file and the annotation at fault.
    """
    coco = _load_coco(Path(coco_json))
    images_root = Path(images_dir)
    if not images_root.is_dir():
        raise DatasetError(f"images folder not found: {images_root}")
    chosen = _choose_task(coco, task)
    out = Path(out_dir).resolve()
    result = CocoConversion(
        yaml_path=out / "data.yaml",
        task=chosen,
        class_names=coco.names,
        images=len(coco.images),
        labels=0,
    )
    _check_image_files(coco, images_root)
    lines = _label_lines(coco, images_root, chosen, result)
    for image_id, image in coco.images.items():
        relative = Path(image["file_name"])
        target = out / "images" / split / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(images_root / relative, target)
        label = (out / "labels" / split / relative).with_suffix(".txt")
        label.parent.mkdir(parents=True, exist_ok=True)
        rows = lines.get(image_id, [])
        label.write_text("".join(f"{row}\n" for row in rows))
        result.labels += len(rows)
    _write_data_yaml(out, split, coco.names, result)
    return result


# --- reading and checking the COCO file ----------------------------------------------------


def _load_coco(path: Path) -> _Coco:
    if not path.is_file():
        raise DatasetError(f"COCO annotation file not found: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from e
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not UTF-8 text ({e})") from e
    if not isinstance(raw, dict):
        raise DatasetError(f"{path}: expected a COCO object with images, annotations, categories")
    missing = [
        k for k in ("images", "annotations", "categories") if not isinstance(raw.get(k), list)
    ]
    if missing:
        raise DatasetError(f"{path}: missing or not a list: {', '.join(missing)}")
    categories = _categories(path, raw["categories"])
    ids = sorted(categories)
    coco = _Coco(
        path=path,
        images=_images(path, raw["images"]),
        category_ids=ids,
        names=[categories[i] for i in ids],
        annotations=raw["annotations"],
    )
    _check_references(coco)
    return coco


def _categories(path: Path, entries: list[Any]) -> dict[int, str]:
    categories: dict[int, str] = {}
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), int)
            or "name" not in entry
        ):
            raise DatasetError(f"{path}: categories[{index}] needs an integer 'id' and a 'name'")
        if entry["id"] in categories:
            raise DatasetError(f"{path}: categories[{index}]: duplicate category id {entry['id']}")
        categories[entry["id"]] = str(entry["name"])
    if not categories:
        raise DatasetError(f"{path}: 'categories' is empty; at least one class is needed")
    return categories


def _images(path: Path, entries: list[Any]) -> dict[int, dict[str, Any]]:
    images: dict[int, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        valid = (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), int)
            and isinstance(entry.get("file_name"), str)
        )
        if not valid:
            raise DatasetError(f"{path}: images[{index}] needs an integer 'id' and a 'file_name'")
        if entry["id"] in images:
            raise DatasetError(f"{path}: images[{index}]: duplicate image id {entry['id']}")
        relative = Path(entry["file_name"])
        if relative.is_absolute() or ".." in relative.parts:
            raise DatasetError(
                f"{path}: images[{index}]: file_name must be relative to the images folder, "
                f"got {entry['file_name']!r}"
            )
        images[entry["id"]] = entry
    return images


def _check_references(coco: _Coco) -> None:
    """Every annotation must point to a known image and category and carry a 4-number bbox."""
    problems: list[str] = []
    known_categories = set(coco.category_ids)
    for index, ann in enumerate(coco.annotations):
        name = f"annotations[{index}] (id {ann.get('id')})" if isinstance(ann, dict) else None
        if name is None:
            problems.append(f"annotations[{index}]: not an object")
            continue
        if ann.get("image_id") not in coco.images:
            problems.append(f"{name}: image_id {ann.get('image_id')!r} is not in 'images'")
        if ann.get("category_id") not in known_categories:
            problems.append(
                f"{name}: category_id {ann.get('category_id')!r} is not in 'categories'"
            )
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
            problems.append(f"{name}: 'bbox' must be [x, y, width, height], got {bbox!r}")
    if problems:
        header = f"{len(problems)} problem(s) in {coco.path}:"
        raise DatasetError(format_problems(header, problems))


def _check_image_files(coco: _Coco, images_root: Path) -> None:
    missing = [
        f"images id {image_id}: {images_root / image['file_name']}"
        for image_id, image in coco.images.items()
        if not (images_root / image["file_name"]).is_file()
    ]
    if missing:
        header = f"{len(missing)} image file(s) listed in {coco.path} not found:"
        raise DatasetError(format_problems(header, missing))


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- label lines ---------------------------------------------------------------------------


def _choose_task(coco: _Coco, task: CocoTask) -> str:
    if task not in ("auto", "detect", "segment"):
        raise ValueError(f"task must be 'auto', 'detect' or 'segment', got {task!r}")
    if task != "auto":
        return task
    has_polygons = any(_polygons(a) for a in coco.annotations if not a.get("iscrowd"))
    return "segment" if has_polygons else "detect"


def _label_lines(
    coco: _Coco, images_root: Path, task: str, result: CocoConversion
) -> dict[int, list[str]]:
    """Label lines per image id, skipping crowd and empty boxes (counted in `result`)."""
    class_of = {cat_id: i for i, cat_id in enumerate(coco.category_ids)}
    lines: dict[int, list[str]] = {}
    counts = {"crowd": 0, "empty box": 0, "no polygon (box used)": 0, "multi-part polygon": 0}
    for ann in coco.annotations:
        x, y, w, h = (float(v) for v in ann["bbox"])
        if ann.get("iscrowd"):
            counts["crowd"] += 1
            continue
        if w <= 0 or h <= 0:
            counts["empty box"] += 1
            continue
        image = coco.images[ann["image_id"]]
        width, height = _image_size(image, images_root)
        if task == "segment":
            points = _segment_points(ann, counts) or [x, y, x + w, y, x + w, y + h, x, y + h]
            coords = [v / (width if i % 2 == 0 else height) for i, v in enumerate(points)]
        else:
            coords = [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
        row = " ".join([str(class_of[ann["category_id"]]), *(f"{_clip01(v):.6f}" for v in coords)])
        lines.setdefault(ann["image_id"], []).append(row)
    result.skipped = counts["crowd"] + counts["empty box"]
    result.warnings += [f"{n} annotation(s): {what}" for what, n in counts.items() if n]
    return lines


def _segment_points(ann: dict[str, Any], counts: dict[str, int]) -> list[float] | None:
    """The annotation's polygon in pixels; of several parts, the one with the largest area."""
    polygons = _polygons(ann)
    if not polygons:
        counts["no polygon (box used)"] += 1
        return None
    if len(polygons) > 1:
        counts["multi-part polygon"] += 1  # Ultralytics needs one outline per object
    return max(polygons, key=_polygon_area)


def _polygons(ann: dict[str, Any]) -> list[list[float]]:
    """The annotation's polygons with at least 3 points (RLE masks are not polygons)."""
    segmentation = ann.get("segmentation")
    if not isinstance(segmentation, list):
        return []
    return [
        [float(v) for v in poly]
        for poly in segmentation
        if isinstance(poly, list) and len(poly) >= 6 and len(poly) % 2 == 0
    ]


def _polygon_area(flat: Sequence[float]) -> float:
    xs, ys = flat[0::2], flat[1::2]
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def _image_size(image: dict[str, Any], images_root: Path) -> tuple[float, float]:
    """The image's width and height from the JSON, or read from the file when not given there."""
    width, height = image.get("width"), image.get("height")
    if _is_number(width) and _is_number(height) and min(width, height) > 0:
        return float(width), float(height)
    from PIL import Image, UnidentifiedImageError

    path = images_root / image["file_name"]
    try:
        with Image.open(path) as img:
            image["width"], image["height"] = img.size  # cached for the image's other objects
    except (OSError, UnidentifiedImageError) as e:
        raise DatasetError(f"{path}: cannot read the image's size ({e})") from e
    return float(image["width"]), float(image["height"])


def _clip01(value: float) -> float:
    # COCO boxes often reach a fraction of a pixel past the border
    return min(1.0, max(0.0, value))


# --- data.yaml -----------------------------------------------------------------------------


def _write_data_yaml(out: Path, split: str, names: list[str], result: CocoConversion) -> None:
    """Write `data.yaml`, or add this split to one an earlier conversion wrote."""
    yaml_path = out / "data.yaml"
    data: dict[str, Any] = {"path": str(out), "names": dict(enumerate(names))}
    if yaml_path.is_file():
        previous = yaml.safe_load(yaml_path.read_text()) or {}
        old_names = previous.get("names")
        if old_names is not None and list(dict(old_names).values()) != names:
            raise DatasetError(
                f"{yaml_path}: its classes {list(dict(old_names).values())} differ from "
                f"{_names_hint(names)}; convert into a new folder"
            )
        data = {**previous, **data}
    data[split] = f"images/{split}"
    if "train" in data and "val" not in data:
        data["val"] = data["train"]
        result.warnings.append(
            f"{yaml_path}: no val split yet; validating on {data['train']} until one is converted"
        )
    yaml_path.write_text(yaml.safe_dump(data, sort_keys=False))


def _names_hint(names: list[str]) -> str:
    """Class names for a message, shortened when there are many."""
    shown = ", ".join(names[:10])
    return f"the COCO file's [{shown}{', …' if len(names) > 10 else ''}]"
