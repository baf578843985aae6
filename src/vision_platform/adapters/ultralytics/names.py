"""Ultralytics model names: which names it serves, the task each implies, task variants.

Light (no Ultralytics import): the names are the families' bundled yaml files, never downloaded.
"""

from __future__ import annotations

import re

# YOLO and RT-DETR families are Ultralytics'; everything else is looked up elsewhere.
_CLAIMED = re.compile(r"^(yolo|rtdetr)", re.IGNORECASE)
_FAMILIES: dict[str, tuple[str, ...]] = {
    "yolov8": ("", "-seg", "-pose", "-cls", "-obb"),
    "yolo11": ("", "-seg", "-pose", "-cls", "-obb"),
    "yolo26": ("", "-seg", "-pose", "-cls", "-obb"),
}
_SIZES = "nsmlx"
_TASK_SUFFIX = {
    "detection": "",
    "segmentation": "-seg",
    "pose": "-pose",
    "classification": "-cls",
    "obb": "-obb",
}
_SUFFIX_TASK = {suffix: task for task, suffix in _TASK_SUFFIX.items()}
TASKS = tuple(_TASK_SUFFIX)
# The platform's task names → Ultralytics' own.
ULTRALYTICS_TASK = {
    "detection": "detect",
    "segmentation": "segment",
    "pose": "pose",
    "classification": "classify",
    "obb": "obb",
}


def claims(model_name: str) -> bool:
    """Whether `model_name` is of an Ultralytics family (YOLO, RT-DETR), in any case."""
    return _CLAIMED.match(model_name) is not None


def model_names() -> list[str]:
    """Every model name this adapter accepts, e.g. yolo11n, yolo11n-seg, yolov8s-pose."""
    names = [
        f"{family}{size}{suffix}"
        for family, suffixes in _FAMILIES.items()
        for suffix in suffixes
        for size in _SIZES
    ]
    return [*names, *(f"yolov5{size}u" for size in _SIZES)]


def task_of(model_name: str) -> str | None:
    """The task a name implies: -seg, -pose, -cls, -obb, none = detection; None: a suffix no
    task has. RT-DETR models detect."""
    if model_name.lower().startswith("rtdetr"):
        return "detection"
    _, dash, suffix = model_name.partition("-")
    return _SUFFIX_TASK.get(dash + suffix)


def variant_for(model_name: str, task: str) -> str:
    """`model_name` turned into its variant for `task` (yolo11n + segmentation → yolo11n-seg);
    RT-DETR models have no variants."""
    if model_name.lower().startswith("rtdetr") or task_of(model_name) == task:
        return model_name
    return model_name.split("-")[0] + _TASK_SUFFIX.get(task, "")


def aliases() -> dict[str, str]:
    """Other exact spellings of the names: Ultralytics' yolo11n is also called YOLOv11n."""
    return {f"yolov{name[4:]}": name for name in model_names() if re.match(r"yolo\d\d", name)}


def implied_models() -> dict[str, str]:
    """Family words (normalised) that stand for one model: "yolo" is yolo11n."""
    names = {"yolo": "yolo11n", "yolov5": "yolov5nu"}
    for version in (8, 11, 26):
        for prefix in ("yolo", "yolov"):
            names[f"{prefix}{version}"] = f"yolo{version}n" if version > 8 else "yolov8n"
    for size in _SIZES:  # Ultralytics' own YOLOv5 weights are the anchor-free "u" variants
        names[f"yolov5{size}"] = f"yolov5{size}u"
    return names
