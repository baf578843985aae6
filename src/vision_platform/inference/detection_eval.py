"""Detection test runs: the model's own validator for mAP and curves, plus the worst mistakes.

The metrics come from the adapter's validator (`VisionAdapter.validate_boxes`: for YOLO models
Ultralytics' own, the code that reports mAP while training), run at the standard confidence
floor of 0.001 so that the whole precision/recall curve counts. The
run's `conf_threshold` is the operating point: precision, recall and the worst mistakes are
reported there; without one, the F1-optimal threshold is used and recommended.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vision_platform.adapters.base import Detection, ProgressFn, VisionAdapter
from vision_platform.errors import DatasetError

VAL_CONF = 0.001  # the validators' default (Ultralytics'): mAP needs the low-confidence tail
MATCH_IOU = 0.5
SWEEP = [round(0.05 * i, 2) for i in range(1, 20)]  # 0.05 .. 0.95
CURVE_POINTS = 101
_VALIDATOR_SHARE = 0.6  # of the progress bar; the worst-mistakes pass takes the rest


@dataclass
class GroundTruth:
    """One image's labelled boxes in pixels (x1, y1, x2, y2) with class ids."""

    image_path: str
    boxes: np.ndarray  # (n, 4)
    classes: np.ndarray  # (n,)


# --- data ------------------------------------------------------------------------------------


def data_yaml_for_eval(dataset_path: str | Path, task_type: str, folder: Path) -> tuple[Path, str]:
    """A data.yaml with absolute paths written in `folder`, and the split to evaluate.

    The split is `test` when the user's data.yaml names one, else `val`. The data set is
    checked first, so a bad label gets the platform's message naming file and line.
    """
    from vision_platform.datasets.yolo import find_yolo_yaml, validate_yolo_dataset

    yaml_path = find_yolo_yaml(dataset_path)
    task = "segment" if task_type == "segmentation" else "detect"
    dataset = validate_yolo_dataset(yaml_path, task_type=task)
    data = dataset.to_data_dict()
    raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8-sig")) or {}
    split = "val"
    test = raw.get("test") if isinstance(raw, dict) else None
    if test not in (None, "", []):
        entries = test if isinstance(test, list) else [test]
        sources = [Path(str(e)).expanduser() for e in entries]
        sources = [s if s.is_absolute() else (dataset.root / s).resolve() for s in sources]
        missing = [str(s) for s in sources if not s.exists()]
        if missing:
            raise DatasetError(f"{yaml_path}: test images folder not found: {', '.join(missing)}")
        data["test"] = [str(s) for s in sources]
        split = "test"
    target = folder / "data.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target, split


# --- metrics from Ultralytics' Metric object -------------------------------------------------


def _downsample(values: np.ndarray, points: int = CURVE_POINTS) -> list[float]:
    idx = np.linspace(0, len(values) - 1, min(points, len(values))).round().astype(int)
    return [round(float(v), 5) for v in values[idx]]


def confidence_sweep(box: Any) -> tuple[list[dict[str, float]], float | None]:
    """Precision/recall/F1 (mean over classes, as Ultralytics reports them) at 0.05..0.95,
    and the F1-optimal confidence threshold (as Ultralytics picks it, from the smoothed mean
    F1 curve, but in the middle of a plateau); None when F1 is zero everywhere."""
    px = np.asarray(box.px)
    f1 = np.asarray(box.f1_curve)
    if f1.ndim != 2 or f1.shape[0] == 0:
        return [{"conf": c, "precision": 0.0, "recall": 0.0, "f1": 0.0} for c in SWEEP], None
    p_mean = np.asarray(box.p_curve).mean(0)
    r_mean = np.asarray(box.r_curve).mean(0)
    f1_mean = f1.mean(0)
    sweep = [
        {
            "conf": c,
            "precision": round(float(np.interp(c, px, p_mean)), 5),
            "recall": round(float(np.interp(c, px, r_mean)), 5),
            "f1": round(float(np.interp(c, px, f1_mean)), 5),
        }
        for c in SWEEP
    ]
    smoothed = _smooth(f1_mean, 0.1)
    if float(smoothed.max()) <= 0.0:
        return sweep, None
    return sweep, round(float(px[_plateau_middle(smoothed)]), 3)


def _smooth(values: np.ndarray, fraction: float) -> np.ndarray:
    """A box filter over `fraction` of the curve, edges padded: how Ultralytics smooths its
    mean F1 curve before it picks a threshold (ultralytics.utils.metrics.smooth)."""
    width = round(len(values) * fraction * 2) // 2 + 1  # odd
    pad = np.ones(width // 2)
    padded = np.concatenate((pad * values[0], values, pad * values[-1]), 0)
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def _plateau_middle(values: np.ndarray, tolerance: float = 0.005) -> int:
    """The middle of the run of near-maximal values around the argmax.

    A clean model's F1 is flat from 0 up to its lowest true-positive score; the argmax alone
    would recommend 0.0 there, which lets every stray box through in use."""
    best = int(values.argmax())
    near = values >= values[best] - tolerance
    lo, hi = best, best
    while lo > 0 and near[lo - 1]:
        lo -= 1
    while hi < len(values) - 1 and near[hi + 1]:
        hi += 1
    return (lo + hi) // 2


def summarize_box_metrics(box: Any, class_names: Sequence[str]) -> dict[str, Any]:
    """mAP, per-class AP/precision/recall, PR curve points and the confidence sweep."""
    index = [int(i) for i in box.ap_class_index]
    ap50, ap = np.asarray(box.ap50), np.asarray(box.ap)
    prec_values = np.asarray(box.prec_values)
    recall_axis = _downsample(np.asarray(box.px))
    sweep, recommended = confidence_sweep(box)
    per_class = [
        {
            "label": class_names[c] if c < len(class_names) else str(c),
            "ap50": round(float(ap50[k]), 5),
            "ap50_95": round(float(ap[k]), 5),
            "precision": round(float(box.p[k]), 5),
            "recall": round(float(box.r[k]), 5),
        }
        for k, c in enumerate(index)
    ]
    curves = [
        {"label": row["label"], "recall": recall_axis, "precision": _downsample(prec_values[k])}
        for k, row in enumerate(per_class)
        if k < len(prec_values)
    ]
    return {
        "map50": float(box.map50),
        "map50_95": float(box.map),
        "precision": float(box.mp),
        "recall": float(box.mr),
        "per_class": per_class,
        "pr_curves": curves,
        "confidence_sweep": sweep,
        "recommended_conf_threshold": recommended,
    }


# --- worst mistakes ---------------------------------------------------------------------------


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in `a` (n, 4) with every box in `b` (m, 4), xyxy."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(2)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def match_boxes(
    truth: GroundTruth, predictions: Sequence[Detection], *, iou: float = MATCH_IOU
) -> tuple[list[int], list[int]]:
    """Indices of missed ground-truth boxes and of false predictions.

    Greedy, most confident prediction first: it takes the unmatched same-class truth box it
    overlaps most, if that IoU reaches `iou`. A box of the wrong class is both a false
    prediction and a missed truth."""
    order = sorted(range(len(predictions)), key=lambda i: -predictions[i].confidence)
    pred_boxes = np.array([predictions[i].bbox for i in order], dtype=float).reshape(-1, 4)
    overlaps = box_iou(pred_boxes, truth.boxes)
    taken = np.zeros(len(truth.boxes), dtype=bool)
    false: list[int] = []
    for row, i in enumerate(order):
        same = (truth.classes == predictions[i].class_id) & ~taken
        candidates = np.where(same, overlaps[row], -1.0) if len(truth.boxes) else np.array([])
        best = int(candidates.argmax()) if len(candidates) else -1
        if best >= 0 and candidates[best] >= iou:
            taken[best] = True
        else:
            false.append(i)
    missed = [int(j) for j in np.flatnonzero(~taken)]
    return missed, sorted(false)


def ground_truth(labels: dict[str, Any]) -> GroundTruth:
    """One entry of Ultralytics' dataset `labels` (normalized xywh) as pixel xyxy boxes."""
    from PIL import Image

    with Image.open(labels["im_file"]) as image:  # the header only; `shape` is gone in rect mode
        w, h = image.size
    xywh = np.asarray(labels["bboxes"], dtype=float).reshape(-1, 4)
    boxes = np.column_stack(
        [
            (xywh[:, 0] - xywh[:, 2] / 2) * w,
            (xywh[:, 1] - xywh[:, 3] / 2) * h,
            (xywh[:, 0] + xywh[:, 2] / 2) * w,
            (xywh[:, 1] + xywh[:, 3] / 2) * h,
        ]
    ).reshape(-1, 4)
    classes = np.asarray(labels["cls"], dtype=int).reshape(-1)
    return GroundTruth(image_path=str(labels["im_file"]), boxes=boxes, classes=classes)


def image_mistakes(
    truth: GroundTruth, predictions: Sequence[Detection], class_names: Sequence[str]
) -> dict[str, Any]:
    """One image's missed and false boxes (pixels), for the worst-mistakes list."""
    missed, false = match_boxes(truth, predictions)
    return {
        "image_path": truth.image_path,
        "num_mistakes": len(missed) + len(false),
        "missed_boxes": [
            {
                "class_name": _name(class_names, int(truth.classes[j])),
                "bbox": [round(float(v), 2) for v in truth.boxes[j]],
            }
            for j in missed
        ],
        "false_boxes": [
            {
                "class_name": predictions[i].class_name,
                "confidence": round(predictions[i].confidence, 5),
                "bbox": [round(v, 2) for v in predictions[i].bbox],
            }
            for i in false
        ],
    }


def worst_images(mistakes: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Images with mistakes, most mistakes first (ties by path), at most `limit`."""
    bad = [m for m in mistakes if m["num_mistakes"] > 0]
    bad.sort(key=lambda m: (-m["num_mistakes"], m["image_path"]))
    return bad[:limit]


def _name(class_names: Sequence[str], class_id: int) -> str:
    return class_names[class_id] if class_id < len(class_names) else str(class_id)


# --- the whole evaluation ---------------------------------------------------------------------


def _mistakes_per_image(
    adapter: VisionAdapter,
    labels: list[dict[str, Any]],
    names: list[str],
    batch_size: int,
    report: ProgressFn,
) -> list[dict[str, Any]]:
    """Each labelled image's missed and false boxes at the adapter's confidence threshold."""
    per_image: list[dict[str, Any]] = []
    for start in range(0, len(labels), batch_size):
        chunk = labels[start : start + batch_size]
        predicted = adapter.infer_batch([lb["im_file"] for lb in chunk], batch_size=batch_size)
        for lb, prediction in zip(chunk, predicted, strict=True):
            per_image.append(image_mistakes(ground_truth(lb), prediction.detections or [], names))
        report(_VALIDATOR_SHARE + (1 - _VALIDATOR_SHARE) * len(per_image) / max(len(labels), 1))
    return per_image


def evaluate_detection(
    checkpoint: str | Path,
    dataset_path: str | Path,
    *,
    conf_threshold: float | None = None,
    batch_size: int = 16,
    progress: ProgressFn | None = None,
    worst: int = 20,
) -> dict[str, Any]:
    """Evaluate a detection (or segmentation, on its boxes) checkpoint on a YOLO data set.

    mAP50, mAP50-95, per-class AP, precision/recall, PR curves and a confidence sweep come from
    Ultralytics' validator; then one prediction pass at the operating threshold (`conf_threshold`,
    else the recommended F1-optimal one) lists the images with the most missed and false boxes.
    The model is loaded privately, so a shared serving copy is never fused or reconfigured.
    """
    from vision_platform.adapters.registry import load_for_inference
    from vision_platform.inference.evaluation import _Throttle

    report = _Throttle(progress)
    adapter = load_for_inference(Path(checkpoint))
    if adapter.task_type not in ("detection", "segmentation"):
        raise DatasetError(f"{checkpoint}: test runs of {adapter.task_type} models")
    names = list(adapter.class_names or [])
    with tempfile.TemporaryDirectory(prefix="vp-eval-") as tmp:
        data, split = data_yaml_for_eval(dataset_path, adapter.task_type, Path(tmp))
        validation = adapter.validate_boxes(
            data,
            split=split,
            conf=VAL_CONF,
            batch_size=batch_size,
            work_dir=Path(tmp),
            progress=lambda share: report(_VALIDATOR_SHARE * share),
        )
    labels = validation.labels
    result = summarize_box_metrics(validation.box, names)
    threshold = next(
        t
        for t in (conf_threshold, result["recommended_conf_threshold"], adapter.conf_threshold)
        if t is not None
    )
    adapter.conf_threshold = threshold
    per_image = _mistakes_per_image(adapter, labels, names, batch_size, report)
    report(1.0)
    return {
        **result,
        "split": split,
        "num_images": len(labels),
        "num_boxes": int(sum(len(np.asarray(lb["cls"]).reshape(-1)) for lb in labels)),
        "conf_threshold": threshold,
        "val_conf": VAL_CONF,
        "match_iou": MATCH_IOU,
        "class_names": names,
        "worst_mistakes": worst_images(per_image, worst),
    }
