"""YOLO image and label files: where an image's labels are, which images a split holds, and
whether each label line is valid for its task.

The checks mirror what Ultralytics' own loader accepts, so that a data set passing them trains;
they collect every problem (file and line) instead of stopping at the first.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vision_platform.datasets.images import YOLO_IMAGE_SUFFIXES as IMAGE_SUFFIXES
from vision_platform.errors import DatasetError

# Ultralytics accepts coordinates up to 1% outside [0, 1] (float noise from converters).
COORD_TOLERANCE = 0.01
MAX_LISTED_PROBLEMS = 20


def format_problems(
    header: str, problems: Sequence[str], *, limit: int = MAX_LISTED_PROBLEMS
) -> str:
    """One error message listing up to `limit` problems and counting the rest."""
    lines = [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  … and {len(problems) - limit} more problem(s)")
    return "\n".join([header, *lines])


def resolve_source(root: Path, entry: str, where: str, split: str) -> Path:
    """A split's images folder (or list file), relative to the data set's root."""
    source = Path(entry).expanduser()
    if not source.is_absolute():
        source = (root / source).resolve()
    if not source.exists():
        raise DatasetError(f"{where}: {split} images folder not found: {source}")
    return source


def list_images(source: Path, where: str) -> list[Path]:
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


def require_labels_folder(source: Path, where: str, split: str) -> None:
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
class LabelChecker:
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
