"""ONNX export of an Ultralytics model, with the platform's metadata beside Ultralytics' own."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from vision_platform.adapters.ultralytics import DESCRIPTOR
from vision_platform.adapters.ultralytics.shim import import_ultralytics, no_cloud, restore_threads

FRAMEWORK = DESCRIPTOR.framework


class Exportable(Protocol):
    """What an export needs of the adapter: the loaded model and what to record about it."""

    model: Any
    model_name: str
    task_type: str
    class_names: list[str] | None
    image_size: int | None


def export_onnx(adapter: Exportable, output: Path) -> Path:
    """Export with Ultralytics' exporter (simplified by onnxslim) plus the platform's metadata."""
    import onnx

    import_ultralytics()
    with no_cloud():
        written = Path(
            adapter.model.export(
                format="onnx", imgsz=adapter.image_size, simplify=True, device="cpu", verbose=False
            )
        )
    restore_threads()
    proto = onnx.load(str(written))
    metadata = {
        "vp_framework": FRAMEWORK,
        "vp_task_type": adapter.task_type,
        "vp_model_name": adapter.model_name,
        "vp_class_names": json.dumps(adapter.class_names),
        "vp_image_size": str(adapter.image_size),
        "vp_preprocessing": "RGB; letterbox to image_size x image_size (pad value 114); scale to "
        "[0,1]; NCHW float32",
        "vp_output": "Ultralytics' raw head output (boxes cx,cy,w,h and class scores); apply NMS",
    }
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    onnx.save(proto, str(tmp))
    os.replace(tmp, output)
    if written.resolve() != output.resolve():
        written.unlink(missing_ok=True)
    return output
