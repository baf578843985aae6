"""Pretrained YOLO weights: where a run finds them, and how an imported file is checked.

Ultralytics' weights (`yolo11n.pt`) are pickles of the model, so only a file this machine's
user names on purpose is unpickled: `weights_path`, one imported by `vp weights import` (never
one uploaded over HTTP), VP_PRETRAINED_DIR, or, only with VP_ALLOW_DOWNLOADS=1, Ultralytics'
release assets through its own download code. Ultralytics itself transfers what fits into a
model built for the data set's classes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vision_platform.errors import InvalidInputError
from vision_platform.settings import Settings, get_settings
from vision_platform.weights import search
from vision_platform.weights.importing import InspectedWeights, copy_as_is
from vision_platform.weights.search import FoundWeights, Place


def places(model_name: str, config: dict[str, Any], settings: Settings) -> list[Place]:
    """Where a run looks for the model's pretrained weights, in order."""
    return [
        search.given_file(config.get("weights_path", ""), "weights_path"),
        search.weights_store(settings, "ultralytics", model_name),
        search.pretrained_dir(settings, model_name, suffixes=(".pt",)),
        search.download(
            settings,
            "Ultralytics' release assets",
            lambda: _download(model_name, settings.home / "cache" / "weights"),
        ),
    ]


def find_pretrained(model_name: str, config: dict[str, Any]) -> FoundWeights:
    """The model's .pt from the first place that has it (else every place looked, named)."""
    hint = (
        f"Provide it: `vp weights import --model {model_name} {model_name}.pt`, advanced_config "
        f"weights_path, {model_name}.pt in VP_PRETRAINED_DIR, or VP_ALLOW_DOWNLOADS=1; or train "
        "with pretrained=false."
    )
    return search.find_weights(model_name, places(model_name, config, get_settings()), hint=hint)


def _download(model_name: str, folder: Path) -> Path:
    from vision_platform.adapters.ultralytics.shim import import_ultralytics

    import_ultralytics()
    from ultralytics.utils.downloads import attempt_download_asset

    folder.mkdir(parents=True, exist_ok=True)
    return Path(attempt_download_asset(str(folder / f"{model_name}.pt")))


def inspect_weights(
    model_name: str, path: Path, *, work_dir: Path, trusted: bool
) -> InspectedWeights:
    """Check that `path` is an Ultralytics checkpoint of `model_name`; stored as it is."""
    if not trusted:
        raise InvalidInputError(
            f"{path.name}: Ultralytics weights are pickles, which the platform reads only from "
            f"its own machine's user: import them there with `vp weights import --model "
            f"{model_name} FILE`"
        )
    import torch

    from vision_platform.adapters.ultralytics.shim import import_ultralytics

    import_ultralytics()
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        raise InvalidInputError(
            f"{path.name} is not a readable Ultralytics .pt: {type(e).__name__}: {e}"
        ) from e
    net = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
    if net is None or not hasattr(net, "yaml"):
        raise InvalidInputError(f"{path.name} is not an Ultralytics checkpoint (no model in it)")
    of_model = Path(str(net.yaml.get("yaml_file", ""))).stem
    if of_model and of_model.replace("yolov", "yolo") != model_name.replace("yolov", "yolo"):
        raise InvalidInputError(f"{path.name} holds {of_model} weights, not {model_name}")
    return InspectedWeights(
        file=copy_as_is(path, work_dir),
        format="ultralytics",
        kind="Ultralytics checkpoint",
        num_classes=int(net.yaml.get("nc") or len(net.names)),
        tensors=len(net.state_dict()),
    )
