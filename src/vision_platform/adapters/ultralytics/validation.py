"""Ultralytics' validator over a YOLO split, for detection test runs: box metrics and labels."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vision_platform.adapters.base import BoxValidation, ProgressFn
from vision_platform.adapters.ultralytics.shim import import_ultralytics, restore_threads

_VAL_LOCK = threading.Lock()  # one validation at a time: the cache-file patch is process-wide


@contextlib.contextmanager
def _no_label_cache() -> Iterator[None]:
    """Ultralytics writes `labels/*.cache` next to the labels; a test run never writes there."""
    from ultralytics.data import dataset as dataset_module

    with _VAL_LOCK:
        saved = dataset_module.save_dataset_cache_file
        dataset_module.save_dataset_cache_file = _keep_cache_in_memory
        try:
            yield
        finally:
            dataset_module.save_dataset_cache_file = saved


def _keep_cache_in_memory(prefix: str, path: Path, x: dict[str, Any], version: str) -> None:
    x["version"] = version  # what the real function adds before saving; the caller needs it


def validate_boxes(
    model: Any,
    data_yaml: Path,
    *,
    split: str,
    conf: float,
    batch_size: int,
    iou: float,
    image_size: int | None,
    device: str | None,
    work_dir: Path,
    progress: ProgressFn,
) -> BoxValidation:
    """`model.val` over `split` of `data_yaml`, reporting progress per batch."""
    import_ultralytics()
    seen: dict[str, Any] = {}

    def on_val_start(validator: Any) -> None:
        seen["validator"] = validator

    def on_val_batch_end(validator: Any) -> None:
        progress((validator.batch_i + 1) / max(len(validator.dataloader), 1))

    model.add_callback("on_val_start", on_val_start)
    model.add_callback("on_val_batch_end", on_val_batch_end)
    try:
        with _no_label_cache():
            metrics = model.val(
                data=str(data_yaml),
                split=split,
                conf=conf,
                iou=iou,
                imgsz=image_size,
                batch=batch_size,
                device=device,
                plots=False,
                save_json=False,
                verbose=False,
                project=str(work_dir),
                name="val",
                exist_ok=True,
            )
    finally:
        restore_threads()
    return BoxValidation(box=metrics.box, labels=list(seen["validator"].dataloader.dataset.labels))
