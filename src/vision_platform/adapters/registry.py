"""The registry of framework adapters: one `AdapterInfo` per framework, found under `adapters/`.

A framework is a subpackage (or module) of `vision_platform.adapters` that exposes `DESCRIPTOR`;
the registry imports those light modules on first use (never a framework), so adding a framework
is adding its package.
"""

from __future__ import annotations

import builtins
import importlib
import json
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.configs import unknown_name_message
from vision_platform.errors import CheckpointError, UnknownNameError
from vision_platform.storage import manifest_path

if TYPE_CHECKING:
    from vision_platform.adapters.base import VisionAdapter


class AdapterRegistry:
    """Framework descriptors by name; an adapter's module is imported only when it is asked for."""

    def __init__(self, package: str | None = "vision_platform.adapters") -> None:
        self._package = package  # searched for DESCRIPTORs on first use; None: register only
        self._infos: dict[str, AdapterInfo] = {}
        self.version = 0  # changes with every registration, for caches built from the registry

    def _discover(self) -> None:
        package, self._package = self._package, None
        if package is None:
            return
        root = importlib.import_module(package)
        for found in pkgutil.iter_modules(root.__path__):
            if found.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package}.{found.name}")
            info = getattr(module, "DESCRIPTOR", None)
            if isinstance(info, AdapterInfo):
                self.register(info)

    def register(self, info: AdapterInfo) -> None:
        """Add (or replace) the descriptor of `info.framework`."""
        self._discover()
        fallbacks = [i.framework for i in self._infos.values() if i.is_fallback]
        if info.is_fallback and fallbacks not in ([], [info.framework]):
            raise ValueError(f"{info.framework}: {fallbacks[0]} already serves unclaimed names")
        self._infos[info.framework] = info
        self.version += 1

    def unregister(self, framework: str) -> None:
        self._discover()
        self._infos.pop(framework, None)
        self.version += 1

    def list(self) -> list[str]:
        self._discover()
        return sorted(self._infos)

    def infos(self) -> builtins.list[AdapterInfo]:
        return [self._infos[name] for name in self.list()]

    def info(self, framework: str) -> AdapterInfo:
        self._discover()
        if framework not in self._infos:
            raise UnknownNameError(unknown_name_message("framework", framework, self.list()))
        return self._infos[framework]

    def info_for_model(self, model_name: str) -> AdapterInfo:
        """The descriptor of the framework that serves `model_name`."""
        infos = self.infos()
        claimed = next((i for i in infos if i.serves(model_name)), None)
        found = claimed or next((i for i in infos if i.is_fallback), None)
        if found is None:
            raise UnknownNameError(f"no framework serves the model {model_name!r}")
        return found

    def framework_for_model(self, model_name: str) -> str:
        return self.info_for_model(model_name).framework

    def get(self, framework: str) -> type[VisionAdapter]:
        """The adapter class of `framework` (its module is imported now)."""
        return self.info(framework).adapter_class()

    def default_model(self, task: str) -> str:
        """The model a request for `task` that names none gets."""
        for info in self.infos():
            if task in info.default_models:
                return info.default_models[task]
        raise UnknownNameError(f"no framework offers a default model for {task!r}")


registry = AdapterRegistry()


def get_adapter(
    model_name: str, *, framework: str | None = None, **kwargs: object
) -> VisionAdapter:
    """An adapter instance for `model_name` (framework inferred from the name when not given)."""
    cls = registry.get(framework or registry.framework_for_model(model_name))
    return cls(model_name, **kwargs)  # type: ignore[arg-type]


def checkpoint_framework(path: Path) -> str | None:
    """The framework recorded in a checkpoint's manifest (`<file>.json`), if there is one."""
    manifest = manifest_path(path)
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
