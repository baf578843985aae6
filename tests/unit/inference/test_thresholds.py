"""A request's confidence threshold re-filters detections and the top label."""

from __future__ import annotations

from vision_platform.adapters.base import Detection, InferenceResult
from vision_platform.inference.predictor import with_confidence_threshold


def result(*confidences: float) -> InferenceResult:
    detections = [
        Detection(class_id=i, class_name=f"c{i}", confidence=c, bbox=[0, 0, 1, 1])
        for i, c in enumerate(confidences)
    ]
    top = max(detections, key=lambda d: d.confidence)
    return InferenceResult(
        image_path="x.png",
        task_type="detection",
        predicted_label=top.class_name,
        confidence=top.confidence,
        detections=detections,
        inference_time_ms=1,
        preprocessing_time_ms=1,
        postprocessing_time_ms=1,
    )


def test_detections_below_the_threshold_are_dropped() -> None:
    filtered = with_confidence_threshold(result(0.3, 0.9, 0.5), 0.45)
    assert [d.class_name for d in filtered.detections or []] == ["c1", "c2"]
    assert (filtered.predicted_label, filtered.confidence) == ("c1", 0.9)


def test_nothing_left_means_no_detection() -> None:
    filtered = with_confidence_threshold(result(0.3, 0.4), 0.95)
    assert filtered.detections == []
    assert (filtered.predicted_label, filtered.confidence) == ("no_detection", 0.0)


def test_no_threshold_or_classification_is_unchanged() -> None:
    original = result(0.3)
    assert with_confidence_threshold(original, None) is original
    plain = original.model_copy(update={"detections": None, "task_type": "classification"})
    assert with_confidence_threshold(plain, 0.9) is plain
