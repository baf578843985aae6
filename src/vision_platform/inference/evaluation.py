"""Test runs over a labelled data set: metrics a user can act on, and the worst mistakes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vision_platform.adapters.base import InferenceResult
from vision_platform.datasets.imagefolder import IMAGE_SUFFIXES
from vision_platform.errors import DatasetError
from vision_platform.inference.cache import LoadedModel

ProgressFn = Callable[[float], None]


def labelled_images(root: str | Path) -> list[tuple[str, str]]:
    """(image path, class name) of a test set: `test/`, else `val/`, else class folders."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"test data set folder not found: {root}")
    base = next((root / n for n in ("test", "val", "valid") if (root / n).is_dir()), root)
    samples = [
        (str(p), d.name)
        for d in sorted(base.iterdir())
        if d.is_dir()
        for p in sorted(d.rglob("*"))
        if p.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not samples:
        raise DatasetError(f"{base}: no images in class folders")
    return samples


class _Throttle:
    """Calls `fn` at most every `interval` seconds (and always for the final 1.0)."""

    def __init__(self, fn: ProgressFn | None, interval: float = 0.25) -> None:
        self.fn, self.interval, self.last = fn, interval, 0.0

    def __call__(self, value: float) -> None:
        now = time.monotonic()
        if self.fn is not None and (value >= 1.0 or now - self.last >= self.interval):
            self.last = now
            self.fn(value)


def evaluate_classification(
    model: LoadedModel,
    class_names: list[str],
    dataset_root: str | Path,
    *,
    batch_size: int = 32,
    progress: ProgressFn | None = None,
    worst: int = 20,
) -> dict[str, Any]:
    """Accuracy, top-5, per-class precision/recall/F1, confusion matrix, worst mistakes."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    samples = labelled_images(dataset_root)
    index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted({name for _, name in samples} - set(index))
    if unknown:
        raise DatasetError(f"classes the model does not know: {', '.join(unknown)}")
    report = _Throttle(progress)
    results: list[InferenceResult] = []
    for start in range(0, len(samples), batch_size):
        chunk = [path for path, _ in samples[start : start + batch_size]]
        results += model.infer_batch(chunk, batch_size=batch_size)
        report(len(results) / len(samples))
    y_true = np.array([index[name] for _, name in samples])
    y_pred = np.array([index[r.predicted_label] for r in results])
    in_top5 = [
        name in {s.label for s in (r.top5_predictions or [])}
        for (_, name), r in zip(samples, results, strict=True)
    ]
    labels = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    mistakes: list[dict[str, Any]] = [
        {
            "image_path": r.image_path,
            "true_label": name,
            "predicted_label": r.predicted_label,
            "confidence": r.confidence,
        }
        for (_, name), r in zip(samples, results, strict=True)
        if r.predicted_label != name
    ]
    mistakes.sort(key=lambda m: -m["confidence"])
    return {
        "num_images": len(samples),
        "accuracy": float((y_true == y_pred).mean()),
        "top5_accuracy": float(np.mean(in_top5)),
        "per_class": [
            {
                "label": class_names[i],
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i in labels
        ],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "class_names": class_names,
        "worst_mistakes": mistakes[:worst],
    }
