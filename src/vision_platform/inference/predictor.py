"""Prediction over cached models: eager PyTorch or ONNX Runtime, in batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from vision_platform.adapters.base import InferenceResult
from vision_platform.adapters.registry import load_for_inference
from vision_platform.inference.cache import LoadedModel, ModelCache

Backend = Literal["eager", "onnx"]


def load_model(path: Path, backend: str) -> LoadedModel:
    """Load a checkpoint (eager) or a model.onnx (onnx) for inference."""
    if backend == "onnx":
        from vision_platform.inference.onnx_backend import OnnxClassifier

        return OnnxClassifier(path)
    return load_for_inference(path)


class Predictor:
    """Predicts images with models kept warm in a shared LRU cache."""

    def __init__(self, *, cache: ModelCache | None = None) -> None:
        self.cache = cache or ModelCache(load_model)

    def predict(
        self,
        model_path: str | Path,
        images: Sequence[str | Path],
        *,
        backend: Backend = "eager",
        batch_size: int = 16,
    ) -> list[InferenceResult]:
        model = self.cache.get(Path(model_path), backend)
        return model.infer_batch(list(images), batch_size=batch_size)


def with_confidence_threshold(result: InferenceResult, conf: float | None) -> InferenceResult:
    """Drop detections below `conf` (on top of the model's own threshold, 0.25 by default)."""
    if conf is None or result.detections is None:
        return result
    kept = [d for d in result.detections if d.confidence >= conf]
    top = max(kept, key=lambda d: d.confidence, default=None)
    return result.model_copy(
        update={
            "detections": kept,
            "predicted_label": top.class_name if top else "no_detection",
            "confidence": top.confidence if top else 0.0,
        }
    )
