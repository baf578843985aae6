"""The data sets an Ultralytics model trains on: YOLO (task from its labels) or an ImageFolder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vision_platform.errors import DatasetError


def load_dataset(dataset_path: str, *, skip_bad_images: bool) -> Any:
    """A YOLO data set (task from `kpt_shape` and the label columns) or an ImageFolder."""
    from vision_platform.datasets.imagefolder import load_image_folder
    from vision_platform.datasets.yolo import find_yolo_yaml, validate_yolo_dataset

    path = Path(dataset_path)
    try:
        yaml_path = find_yolo_yaml(path)
    except DatasetError:
        if path.is_dir() and not any(path.glob("*.y*ml")):
            return load_image_folder(path, skip_bad_images=skip_bad_images)  # for -cls
        raise
    return validate_yolo_dataset(yaml_path, task_type=_guess_yolo_task(yaml_path))


def _guess_yolo_task(yaml_path: Path) -> str:
    """pose when data.yaml has kpt_shape; else segment when the first label line is a polygon."""
    import yaml

    from vision_platform.datasets.yolo import label_path_for

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
