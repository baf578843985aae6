"""Ultralytics checkpoints as the platform reads and writes them (Ultralytics' own format).

Ultralytics pickles the model module, so `torch.load(weights_only=True)` cannot read its
checkpoints: `read_checkpoint` unpickles only files whose manifest the caller has verified.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from vision_platform.adapters.ultralytics import DESCRIPTOR
from vision_platform.adapters.ultralytics.names import ULTRALYTICS_TASK
from vision_platform.adapters.ultralytics.shim import import_ultralytics
from vision_platform.errors import CheckpointError
from vision_platform.storage import checkpoint_manifest, write_manifest

FRAMEWORK = DESCRIPTOR.framework
_PLATFORM_TASK = {v: k for k, v in ULTRALYTICS_TASK.items()}


def metric_name(key: str) -> str:
    """Ultralytics' metric key as a metrics.jsonl key: `metrics/mAP50-95(M)` → `mask_map50_95`."""
    name = key.removeprefix("metrics/")
    prefix = ""
    for mark, word in (("(B)", ""), ("(M)", "mask_"), ("(P)", "pose_")):
        if name.endswith(mark):
            name, prefix = name[: -len(mark)], word
    name = name.replace("mAP50-95", "map50_95").replace("mAP50", "map50")
    name = name.replace("accuracy_top1", "top1_acc").replace("accuracy_top5", "top5_acc")
    return prefix + name.replace("/", "_").replace("-", "_").lower()


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The platform's view of an Ultralytics checkpoint (the caller verified its manifest)."""
    import_ultralytics()
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    net = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
    if net is None or "train_args" not in ckpt:
        raise CheckpointError(f"{path} is not an Ultralytics training checkpoint")
    args = dict(ckpt["train_args"] or {})
    task_type = _PLATFORM_TASK.get(args.get("task", "detect"), "detection")
    results = ckpt.get("train_results") or {}
    finished = (
        int(ckpt["epoch"]) + 1 if ckpt.get("epoch", -1) >= 0 else len(results.get("epoch", []))
    )
    names = net.names if isinstance(net.names, dict) else dict(enumerate(net.names))
    key = DESCRIPTOR.best_metric(task_type)
    return {
        "path": str(path),
        "format": FRAMEWORK,
        "model_name": Path(str(net.yaml.get("yaml_file", ""))).stem or args.get("model", ""),
        "task_type": task_type,
        "class_names": [str(names[i]) for i in sorted(names)],
        "epoch": finished,
        "num_epochs": int(args.get("epochs") or finished),
        "seed": int(args.get("seed") or 0),
        "image_size": int(args.get("imgsz") or 640),
        "best_metric": _best_metric(results, ckpt.get("stopper"), key),
        "best_metric_name": key,
        "resumable": ckpt.get("optimizer") is not None and ckpt.get("epoch", -1) >= 0,
    }


def _best_metric(
    results: dict[str, list[Any]], stopper: dict[str, Any] | None, key: str
) -> float | None:
    """The metric at Ultralytics' best epoch (by its fitness), from the results it keeps."""
    column = next((results[k] for k in results if metric_name(k) == key), None)
    epochs = results.get("epoch") or []
    if not column or not epochs:
        return None
    best_epoch = (stopper or {}).get("best_epoch")
    row = epochs.index(best_epoch) if best_epoch in epochs else len(epochs) - 1
    return round(float(column[row]), 6)


def save_model_file(model: Any, target: Path, *, epoch: int) -> Path:
    """A loaded YOLO model saved in Ultralytics' format with a manifest (outside a run)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    model.save(str(tmp))
    os.replace(tmp, target)
    write_manifest(target, checkpoint_manifest(target, epoch=epoch, framework=FRAMEWORK))
    return target
