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
        from vision_platform.inference.onnx_backend import load_onnx

        return load_onnx(path)
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
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        model = self.cache.get(Path(model_path), backend)
        return model.infer_batch(
            list(images),
            batch_size=batch_size,
            conf_threshold=conf_threshold,
            iou_threshold=iou_threshold,
        )
