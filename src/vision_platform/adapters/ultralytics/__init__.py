"""Ultralytics: YOLO detection, segmentation, pose, classification and OBB, trained offline.

The modules: `names` and `schema` (light: model names, tasks, fields and presets), `shim`
(importing Ultralytics offline, the only way this platform does), `adapter`
(UltralyticsAdapter), `data` (its data sets), `training` (Ultralytics' trainer with the
platform's checkpoints and stops), `checkpoints`, `results`, `export` (ONNX) and `validation`
(box metrics for test runs).
"""

from __future__ import annotations

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.ultralytics import names

_BOX_METRIC = "map50"  # the box mAP at IoU 0.5 (`best_map50=` in the log)

DESCRIPTOR = AdapterInfo(
    framework="ultralytics",
    adapter="vision_platform.adapters.ultralytics.adapter:UltralyticsAdapter",
    schema="vision_platform.adapters.ultralytics.schema",
    package="ultralytics",
    description="Ultralytics YOLO/RT-DETR models (yolo11n, yolo11n-seg, yolov8n, …)",
    tasks=names.TASKS,
    best_metrics={
        "detection": _BOX_METRIC,
        "segmentation": _BOX_METRIC,
        "pose": _BOX_METRIC,
        "obb": _BOX_METRIC,
        "classification": "top1_acc",
    },
    claims=names.claims,
    model_task=names.task_of,
    variant=names.variant_for,
    derives_variants=True,
    default_models={
        "detection": "yolo11n",
        "segmentation": "yolo11n-seg",
        "pose": "yolo11n-pose",
    },
    common_models=names.model_names,
    aliases=names.aliases,
    implied_models=names.implied_models,
    weights_finder="vision_platform.adapters.ultralytics.weights:find_pretrained",
    onnx_by_adapter=True,
)
