"""ONNX Runtime backend: runs an exported `model.onnx`, preprocessing from its metadata."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from vision_platform.adapters.base import ClassScore, InferenceResult
from vision_platform.adapters.registry import registry
from vision_platform.errors import CheckpointError
from vision_platform.inference.cache import LoadedModel


def preprocess(path: str | Path, *, size: int, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Shorter side to `size` (bilinear), centre crop, scale, normalise: CHW float32."""
    with Image.open(path) as opened:
        img = opened.convert("RGB")
        w, h = img.size
        scale = size / min(w, h)
        new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
        img = img.resize((new_w, new_h), Image.Resampling.BILINEAR)
        left, top = (new_w - size) // 2, (new_h - size) // 2
        img = img.crop((left, top, left + size, top + size))
        pixels = np.asarray(img, dtype=np.float32) / 255.0
    return ((pixels - mean) / std).transpose(2, 0, 1)


def _providers() -> list[str]:
    import onnxruntime as ort

    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def load_onnx(path: str | Path) -> LoadedModel:
    """A model.onnx of this platform, by the framework its metadata names: classifiers run here
    on ONNX Runtime directly; a framework whose descriptor says so (`onnx_by_adapter`: its
    models need their own pre- and postprocessing, e.g. letterbox and NMS) through its adapter."""
    import onnx

    path = Path(path)
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # onnx raises protobuf's and its own errors for bad files
        raise CheckpointError(f"cannot load ONNX model {path}: {e}") from e
    metadata = {p.key: p.value for p in proto.metadata_props}
    del proto
    framework = metadata.get("vp_framework")
    if framework in registry.list() and registry.info(framework).onnx_by_adapter:
        return registry.get(framework).from_onnx(path, metadata)
    return OnnxClassifier(path)


class OnnxClassifier:
    """A classification model.onnx behind the same `infer_batch` as the PyTorch adapters."""

    def __init__(self, path: str | Path) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        try:
            self.session = ort.InferenceSession(str(self.path), providers=_providers())
        except Exception as e:  # onnxruntime raises its own untyped errors for bad files
            raise CheckpointError(f"cannot load ONNX model {self.path}: {e}") from e
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("vp_task_type") != "classification":
            raise CheckpointError(f"{self.path} is not a classification model of this platform")
        self.class_names: list[str] = json.loads(meta["vp_class_names"])
        self.image_size = int(meta["vp_image_size"])
        self.mean = np.array(json.loads(meta["vp_mean"]), dtype=np.float32)
        self.std = np.array(json.loads(meta["vp_std"]), dtype=np.float32)
        self.input_name = self.session.get_inputs()[0].name
        self.task_type = "classification"

    def warm_up(self) -> None:
        dummy = np.zeros((1, 3, self.image_size, self.image_size), dtype=np.float32)
        self.session.run(None, {self.input_name: dummy})

    def memory_bytes(self) -> int:
        return self.path.stat().st_size

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        results: list[InferenceResult] = []
        for start in range(0, len(image_paths), batch_size):
            chunk = list(image_paths[start : start + batch_size])
            results += self._infer_chunk(chunk)
        return results

    def _infer_chunk(self, chunk: list[str | Path]) -> list[InferenceResult]:
        t0 = time.perf_counter()
        batch = np.stack(
            [preprocess(p, size=self.image_size, mean=self.mean, std=self.std) for p in chunk]
        )
        t1 = time.perf_counter()
        logits: Any = self.session.run(None, {self.input_name: batch})[0]
        t2 = time.perf_counter()
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = shifted / shifted.sum(axis=1, keepdims=True)
        k = min(5, probs.shape[1])
        top = np.argsort(-probs, axis=1)[:, :k]
        results = []
        for i, path in enumerate(chunk):
            scores = [
                ClassScore(
                    label_id=int(j), label=self.class_names[j], confidence=float(probs[i, j])
                )
                for j in top[i]
            ]
            results.append(
                InferenceResult(
                    image_path=str(path),
                    task_type="classification",
                    predicted_label=scores[0].label,
                    confidence=scores[0].confidence,
                    top5_predictions=scores,
                    preprocessing_time_ms=(t1 - t0) * 1000 / len(chunk),
                    inference_time_ms=(t2 - t1) * 1000 / len(chunk),
                    postprocessing_time_ms=(time.perf_counter() - t2) * 1000 / len(chunk),
                )
            )
        return results
