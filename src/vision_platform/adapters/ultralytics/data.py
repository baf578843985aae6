"""The data sets an Ultralytics model trains on: YOLO (task from its labels) or an ImageFolder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vision_platform.errors import DatasetError


def load_dataset(dataset_path: str, *, skip_bad_images: bool) -> Any:
    """A YOLO data set (task from `kpt_shape` and the label columns) or an ImageFolder."""
    from vision_platform.datasets.imagefolder import load_image_folder
    from vision_platform.datasets.yolo import find_yolo_yaml, guess_task, validate_yolo_dataset

    path = Path(dataset_path)
    try:
        yaml_path = find_yolo_yaml(path)
    except DatasetError:
        if path.is_dir() and not any(path.glob("*.y*ml")):
            return load_image_folder(path, skip_bad_images=skip_bad_images)  # for -cls
        raise
    return validate_yolo_dataset(yaml_path, task_type=guess_task(yaml_path))
