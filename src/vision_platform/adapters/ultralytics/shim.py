"""Importing Ultralytics offline and without side effects: the one way this platform does.

`import_ultralytics()` (training, inference and reading checkpoints all call it) sets
YOLO_OFFLINE, YOLO_AUTOINSTALL=false, YOLO_CONFIG_DIR and MPLCONFIGDIR (a folder under the
platform's home, `VP_HOME`, default `./.vp`; a temporary folder when that cannot be written)
before the first import, copies matplotlib's DejaVuSans there as `Arial.ttf`/`Arial.Unicode.ttf`
(Ultralytics would fetch its font from GitHub otherwise), turns settings sync and the logging
integrations off, and then puts the caller's environment and torch's thread count back.
See docs/ultralytics-notes.md for what each setting prevents.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

_IMPORT_LOCK = threading.Lock()
_saved_threads: int | None = None

_SETTINGS_OFF: dict[str, Any] = {
    "sync": False,
    "api_key": "",
    "clearml": False,
    "comet": False,
    "dvc": False,
    "hub": False,
    "mlflow": False,
    "neptune": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
    "vscode_msg": False,
    "openvino_msg": False,
}


def _config_root() -> Path:
    """The folder Ultralytics may write to: `<VP_HOME>/ultralytics`, else a temporary one."""
    from vision_platform.settings import get_settings

    root = (Path(get_settings().home) / "ultralytics").resolve()
    try:
        (root / "Ultralytics").mkdir(parents=True, exist_ok=True)
        return root
    except OSError:
        return Path(tempfile.mkdtemp(prefix="vp-ultralytics-"))


def _install_font(cfg_dir: Path) -> None:
    """matplotlib's DejaVuSans as Ultralytics' Arial files, so it never fetches them."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return
    font = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = cfg_dir / name
        if font.is_file() and not target.is_file():
            tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
            shutil.copyfile(font, tmp)
            os.replace(tmp, target)


def import_ultralytics() -> ModuleType:
    """Import Ultralytics offline and without side effects (the only way this platform does).

    Idempotent. The caller's environment is restored afterwards: Ultralytics reads these
    variables at import time only.
    """
    global _saved_threads
    with _IMPORT_LOCK:
        import sys

        if "ultralytics" in sys.modules and _saved_threads is not None:
            return sys.modules["ultralytics"]
        import torch

        threads = torch.get_num_threads()
        root = _config_root()
        _install_font(root / "Ultralytics")
        wanted = {
            "YOLO_OFFLINE": "1",
            "YOLO_AUTOINSTALL": "false",
            "YOLO_CONFIG_DIR": str(root),
            "MPLCONFIGDIR": str(root / "matplotlib"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS") or str(threads),
        }
        import PIL.Image

        # Ultralytics replaces these process-wide on import: PIL.Image.open (a retry that tries
        # to install pi-heif, raising ModuleNotFoundError for any non-image once installs are
        # off) and torch.save (retries meant for Windows). The platform keeps the originals.
        originals = (PIL.Image.open, torch.save)
        with _environment(wanted):
            import matplotlib

            matplotlib.get_configdir()  # cached now, so later imports never use ~/.config
            matplotlib.get_cachedir()
            import ultralytics
            from ultralytics.utils import SETTINGS
        PIL.Image.open, torch.save = originals

        SETTINGS.update(
            {
                k: v
                for k, v in {
                    **_SETTINGS_OFF,
                    "datasets_dir": str(root / "datasets"),
                    "weights_dir": str(root / "weights"),
                    "runs_dir": str(root / "runs"),
                }.items()
                if k in SETTINGS and SETTINGS.get(k) != v
            }
        )
        torch.set_num_threads(threads)
        _saved_threads = threads
        return ultralytics


def restore_threads(*_: Any) -> None:
    """Put torch's thread count back after Ultralytics' select_device pinned it (a callback)."""
    if _saved_threads is not None:
        import torch

        torch.set_num_threads(_saved_threads)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set `values` in os.environ for the block, then restore every variable it touched."""
    before = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@contextlib.contextmanager
def no_cloud() -> Iterator[None]:
    """No Ultralytics Platform upload and no AMP check download while training or exporting."""
    from ultralytics.engine import trainer as trainer_module

    key = os.environ.pop("ULTRALYTICS_API_KEY", None)
    check_amp = trainer_module.check_amp
    # check_amp downloads yolo26n.pt to test AMP on CUDA; AMP is trusted on CUDA instead.
    trainer_module.check_amp = lambda model: next(model.parameters()).device.type == "cuda"
    try:
        yield
    finally:
        trainer_module.check_amp = check_amp
        if key is not None:
            os.environ["ULTRALYTICS_API_KEY"] = key


def device_argument(device: str) -> str | None:
    """The platform's device (auto, cpu, cuda, 0,1) as Ultralytics' `device` argument."""
    return {"auto": None, "cuda": "0"}.get(device, device)
