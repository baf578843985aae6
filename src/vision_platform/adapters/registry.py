"""The registry of framework adapters: framework name → adapter class, loaded lazily."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vision_platform.configs import unknown_name_message
from vision_platform.errors import CheckpointError, UnknownNameError

if TYPE_CHECKING:
    from vision_platform.adapters.base import VisionAdapter

# Ultralytics model families; everything else is looked up in timm.
_ULTRALYTICS_NAME = re.compile(r"^(yolo|rtdetr)", re.IGNORECASE)


class AdapterRegistry:
    """Framework adapters by name; an adapter's module is imported only when it is asked for."""

    def __init__(self) -> None:
        self._targets: dict[str, str] = {}

    def register(self, framework: str, target: str) -> None:
        """Register `target` ("package.module:Class") as the adapter for `framework`."""
        self._targets[framework] = target

    def list(self) -> list[str]:
        return sorted(self._targets)

    def get(self, framework: str) -> type[VisionAdapter]:
        if framework not in self._targets:
            raise UnknownNameError(unknown_name_message("framework", framework, self.list()))
        module_name, _, class_name = self._targets[framework].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise UnknownNameError(
                f"framework {framework!r} is not installed ({e}); "
                f"install it with: pip install 'vision-platform[{framework}]'"
            ) from e
        adapter: type[VisionAdapter] = getattr(module, class_name)
        return adapter

    def framework_for_model(self, model_name: str) -> str:
        """The framework that provides `model_name` (YOLO/RT-DETR → ultralytics, else timm)."""
        return "ultralytics" if _ULTRALYTICS_NAME.match(model_name) else "timm"


registry = AdapterRegistry()
registry.register("timm", "vision_platform.adapters.timm_adapter:TimmAdapter")
registry.register("ultralytics", "vision_platform.adapters.ultralytics_adapter:UltralyticsAdapter")


def get_adapter(
    model_name: str, *, framework: str | None = None, **kwargs: object
) -> VisionAdapter:
    """An adapter instance for `model_name` (framework inferred from the name when not given)."""
    cls = registry.get(framework or registry.framework_for_model(model_name))
    return cls(model_name, **kwargs)  # type: ignore[arg-type]


def checkpoint_framework(path: Path) -> str | None:
    """The framework recorded in a checkpoint's manifest (`<file>.json`), if there is one."""
    manifest = path.with_name(path.name + ".json")
    if manifest.is_file():
        try:
            framework = json.loads(manifest.read_text()).get("framework")
        except ValueError:
            return None
        return framework if isinstance(framework, str) else None
    return None


def load_for_inference(path: str | Path, **kwargs: Any) -> VisionAdapter:
    """An adapter with the checkpoint at `path` loaded for inference, whatever its framework."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    recorded = checkpoint_framework(path)
    candidates = [recorded] if recorded else registry.list()
    problems = []
    for framework in candidates:
        try:
            cls = registry.get(framework)
        except UnknownNameError as e:
            problems.append(str(e))
            continue
        try:
            return cls.from_checkpoint(path, **kwargs)
        except CheckpointError as e:
            problems.append(f"{framework}: {e}")
    raise CheckpointError(f"cannot load {path}: " + "; ".join(problems))
