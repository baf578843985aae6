"""Test runs over a labelled data set: metrics a user can act on, and the worst mistakes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vision_platform.adapters.base import InferenceResult, ProgressFn
from vision_platform.datasets.images import IMAGE_SUFFIXES
from vision_platform.errors import DatasetError
from vision_platform.inference.cache import LoadedModel
from vision_platform.inference.detection_eval import SWEEP


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


def _accept_scores(
    correct: np.ndarray, confidence: np.ndarray, threshold: float
) -> dict[str, float]:
    """Precision, recall and F1 of accepting the top-1 label when its confidence >= threshold."""
    accepted = confidence >= threshold
    right = int((correct & accepted).sum())
    # Nothing accepted makes no wrong claim: precision 1, as Ultralytics' curves have it.
    precision = right / int(accepted.sum()) if accepted.any() else 1.0
    recall = right / len(correct) if len(correct) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "conf": threshold,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
    }


def top1_confidence_sweep(
    correct: npt.ArrayLike, confidence: npt.ArrayLike
) -> tuple[list[dict[str, float]], float | None]:
    """The classification twin of the detection sweep: precision/recall/F1 at 0.05..0.95 and
    the F1-optimal confidence threshold, None when no prediction is right.

    The rule swept is "accept the top-1 label when its confidence >= t, else abstain".
    Precision = right accepted / accepted (1 when nothing is accepted); recall = right
    accepted / all images, so an abstention costs recall like a miss. F1 then equals
    2·right/(accepted + images): rejecting a wrong answer always helps, a right one always
    hurts, so the optimum lies just above the confidence of some wrong answers.

    Every t between two neighbouring observed confidences accepts the same images; the one
    recommended is the middle of the best such gap (ties go to the widest accepted set), so
    that it does not sit on a confidence seen in this test set.
    """
    right = np.asarray(correct, dtype=bool)
    conf = np.asarray(confidence, dtype=float)
    sweep = [_accept_scores(right, conf, c) for c in SWEEP]
    if not right.any():
        return sweep, None
    levels = np.unique(conf)  # ascending: accept conf >= levels[k]
    f1 = [_accept_scores(right, conf, float(c))["f1"] for c in levels]
    k = int(np.argmax(f1))  # the first maximum: the lowest threshold, the most accepted
    low, high = (float(levels[k - 1]) if k > 0 else 0.0), float(levels[k])
    middle = round((low + high) / 2, 3)
    return sweep, middle if low < middle <= high else high


def _predict_all(
    model: LoadedModel, samples: list[tuple[str, str]], batch_size: int, report: ProgressFn
) -> list[InferenceResult]:
    results: list[InferenceResult] = []
    for start in range(0, len(samples), batch_size):
        chunk = [path for path, _ in samples[start : start + batch_size]]
        results += model.infer_batch(chunk, batch_size=batch_size)
        report(len(results) / len(samples))
    return results


def _per_class(
    class_names: list[str], y_true: np.ndarray, y_pred: np.ndarray
) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support of each class."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return [
        {
            "label": class_names[i],
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i in labels
    ]


def _mistakes(
    samples: list[tuple[str, str]], results: list[InferenceResult]
) -> list[dict[str, Any]]:
    """The wrongly labelled images, most confident first."""
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
    return mistakes


def _operating_point(
    correct: np.ndarray, confidences: np.ndarray, conf_threshold: float | None
) -> dict[str, Any]:
    """`at_conf_threshold`: accepting the top-1 label at `conf_threshold` (none without one)."""
    if conf_threshold is None:
        return {}
    point = _accept_scores(correct, confidences, conf_threshold)
    accepted = int((confidences >= conf_threshold).sum())
    return {"conf_threshold": conf_threshold, "at_conf_threshold": {**point, "accepted": accepted}}


def evaluate_classification(
    model: LoadedModel,
    class_names: list[str],
    dataset_root: str | Path,
    *,
    batch_size: int = 32,
    progress: ProgressFn | None = None,
    worst: int = 20,
    conf_threshold: float | None = None,
) -> dict[str, Any]:
    """Accuracy, top-5, per-class precision/recall/F1, confusion matrix, the top-1 confidence
    sweep with its recommended threshold, and the worst mistakes; with `conf_threshold`, also
    the operating point of accepting the top-1 label at that confidence (`at_conf_threshold`)."""
    from sklearn.metrics import confusion_matrix

    samples = labelled_images(dataset_root)
    index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted({name for _, name in samples} - set(index))
    if unknown:
        raise DatasetError(f"classes the model does not know: {', '.join(unknown)}")
    results = _predict_all(model, samples, batch_size, _Throttle(progress))
    y_true = np.array([index[name] for _, name in samples])
    y_pred = np.array([index[r.predicted_label] for r in results])
    in_top5 = [
        name in {s.label for s in (r.top5_predictions or [])}
        for (_, name), r in zip(samples, results, strict=True)
    ]
    correct = y_true == y_pred
    confidences = np.array([r.confidence for r in results], dtype=float)
    sweep, recommended = top1_confidence_sweep(correct, confidences)
    labels = list(range(len(class_names)))
    return {
        **_operating_point(correct, confidences, conf_threshold),
        "num_images": len(samples),
        "accuracy": float(correct.mean()),
        "top5_accuracy": float(np.mean(in_top5)),
        "per_class": _per_class(class_names, y_true, y_pred),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        "class_names": class_names,
        "confidence_sweep": sweep,
        "recommended_conf_threshold": recommended,
        "worst_mistakes": _mistakes(samples, results)[:worst],
    }
