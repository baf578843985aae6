"""Framework adapters behind one interface (see `base.VisionAdapter`), one package each.

Each framework's package (`timm/`, `ultralytics/`) exposes its `AdapterInfo` as `DESCRIPTOR`;
`registry` finds them. `TimmAdapter` and `UltralyticsAdapter` are loaded on first access, so
importing this package does not import any framework.
"""

from __future__ import annotations

from typing import Any

from vision_platform.adapters.base import InferenceResult, VisionAdapter
from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.registry import get_adapter, registry

__all__ = [
    "AdapterInfo",
    "InferenceResult",
    "TimmAdapter",
    "UltralyticsAdapter",
    "VisionAdapter",
    "get_adapter",
    "registry",
]


def __getattr__(name: str) -> Any:
    if name == "TimmAdapter":
        return registry.get("timm")
    if name == "UltralyticsAdapter":
        return registry.get("ultralytics")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
