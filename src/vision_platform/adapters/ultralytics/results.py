"""Ultralytics predictions as the platform's InferenceResult (boxes in original-image pixels)."""

from __future__ import annotations

from typing import Any

from vision_platform.adapters.base import ClassScore, Detection, InferenceResult


def to_result(
    path: str, prediction: Any, *, task_type: str, class_names: list[str] | None
) -> InferenceResult:
    """One Ultralytics prediction as the platform's InferenceResult."""
    speed = prediction.speed
    timings = {
        "preprocessing_time_ms": float(speed.get("preprocess") or 0.0),
        "inference_time_ms": float(speed.get("inference") or 0.0),
        "postprocessing_time_ms": float(speed.get("postprocess") or 0.0),
    }
    names = class_names or [str(v) for v in prediction.names.values()]
    if task_type == "classification":
        probs = prediction.probs
        top = [
            ClassScore(label_id=int(k), label=names[int(k)], confidence=float(c))
            for k, c in zip(probs.top5, probs.top5conf.tolist(), strict=True)
        ]
        return InferenceResult(
            image_path=path,
            task_type=task_type,
            predicted_label=top[0].label,
            confidence=top[0].confidence,
            top5_predictions=top,
            **timings,
        )
    found = detections(prediction, names)
    best = max(found, key=lambda d: d.confidence, default=None)
    return InferenceResult(
        image_path=path,
        task_type=task_type,
        predicted_label=best.class_name if best else "no_detection",
        confidence=best.confidence if best else 0.0,
        detections=found,
        **timings,
    )


def detections(prediction: Any, names: list[str]) -> list[Detection]:
    """Boxes (pixels of the original image), with polygons or keypoints when the task has them."""
    boxes = prediction.obb if prediction.boxes is None else prediction.boxes
    if boxes is None or len(boxes) == 0:
        return []
    xyxy = boxes.xyxy.tolist()
    classes = [int(c) for c in boxes.cls.tolist()]
    confs = boxes.conf.tolist()
    polygons = [p.tolist() for p in prediction.masks.xy] if prediction.masks is not None else None
    keypoints = prediction.keypoints.data.tolist() if prediction.keypoints is not None else None
    return [
        Detection(
            class_id=cls_id,
            class_name=names[cls_id] if cls_id < len(names) else str(cls_id),
            confidence=float(conf),
            bbox=[float(v) for v in box],
            polygon=polygons[i] if polygons is not None else None,
            keypoints=keypoints[i] if keypoints is not None else None,
        )
        for i, (box, cls_id, conf) in enumerate(zip(xyxy, classes, confs, strict=True))
    ]
