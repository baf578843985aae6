"""Pretrained timm weights: where a run finds them, how a file is read, checked and loaded.

A run with `pretrained: true` looks in order at `pretrained_path`, the weights store,
VP_PRETRAINED_DIR, the local Hugging Face cache and, only with VP_ALLOW_DOWNLOADS=1, the
Hugging Face Hub (huggingface_hub's own download, which honours HF_ENDPOINT). Files are read
as tensors only (safetensors, or torch.load with weights_only); a head of another size is left
new for the data set's classes, and the run's log says which tensors were loaded.
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vision_platform.adapters.timm.adapter import CHECKPOINT_FORMAT
from vision_platform.errors import CheckpointError, InvalidInputError
from vision_platform.settings import Settings, get_settings
from vision_platform.weights import search
from vision_platform.weights.importing import InspectedWeights
from vision_platform.weights.search import FoundWeights, NotHere, Place

if TYPE_CHECKING:
    import torch

_MIN_FIT = 0.9  # the share of a model's tensors (its head aside) a file must fill


def places(model_name: str, config: dict[str, Any], settings: Settings) -> list[Place]:
    """Where a run looks for the model's pretrained weights, in order."""
    return [
        search.given_file(config.get("pretrained_path", ""), "pretrained_path"),
        search.weights_store(settings, "timm", model_name),
        search.pretrained_dir(settings, model_name),
        Place("the Hugging Face cache", lambda: _hf_cached(model_name)),
        search.download(settings, "the Hugging Face Hub", lambda: _hf_download(model_name)),
    ]


def find_pretrained(model_name: str, config: dict[str, Any]) -> FoundWeights:
    """The model's weights file from the first place that has it (WeightsUnavailableError
    naming every place looked, and how to provide them)."""
    hint = (
        f"Provide them: `vp weights import --model {model_name} FILE` (or POST /api/v1/weights), "
        f"advanced_config pretrained_path, {model_name}.safetensors in VP_PRETRAINED_DIR, or "
        "VP_ALLOW_DOWNLOADS=1 to fetch them from the hub; or train with pretrained=false."
    )
    return search.find_weights(model_name, places(model_name, config, get_settings()), hint=hint)


def _hub_id(model_name: str) -> str:
    import timm

    cfg = timm.models.get_pretrained_cfg(model_name)
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    if not hub_id:
        raise NotHere(f"timm names no Hugging Face repository for {model_name}")
    return str(hub_id)


def _hf_cached(model_name: str) -> Path:
    """The model's weights in the local Hugging Face cache, looked up without the network."""
    from huggingface_hub import try_to_load_from_cache

    hub_id = _hub_id(model_name)
    for filename in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(hub_id, filename)
        if isinstance(found, str):
            return Path(found)
    raise NotHere(f"no {hub_id} in it")


def _hf_download(model_name: str) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    hub_id = _hub_id(model_name)
    try:
        return Path(hf_hub_download(hub_id, "model.safetensors"))
    except EntryNotFoundError:
        return Path(hf_hub_download(hub_id, "pytorch_model.bin"))


# --- reading and checking files ---------------------------------------------------------
def read_state_dict(path: Path) -> tuple[dict[str, torch.Tensor], str, str | None]:
    """A file's tensors, what it is, and the model of a platform checkpoint (tensors only:
    InvalidInputError for a file that is corrupt or holds anything else)."""
    import torch

    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path)), "state dict", None
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        reason = (
            "corrupt, or a pickle of more than tensors"
            if isinstance(e, pickle.UnpicklingError)
            else f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        )
        raise InvalidInputError(
            f"{path.name} is not a readable weights file (.safetensors, or a .pth/.pt state "
            f"dict of tensors): {reason}"
        ) from e
    kind, model_name = "state dict", None
    if isinstance(loaded, dict) and loaded.get("format") == CHECKPOINT_FORMAT:
        loaded, kind, model_name = loaded["model"], "platform checkpoint", loaded["model_name"]
    elif isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not loaded:
        raise InvalidInputError(f"{path.name} holds no state dict (a mapping of tensors)")
    state = {k.removeprefix("module."): v for k, v in loaded.items() if torch.is_tensor(v)}
    return state, kind, model_name


@dataclass(frozen=True)
class Fit:
    """How a state dict fills a model: the tensors it can load, and the model's new ones."""

    loadable: dict[str, Any]
    new: list[str]
    total: int
    body_share: float  # the share of the model's non-head tensors the file fills


def _filtered(model: torch.nn.Module, state: dict[str, Any]) -> dict[str, Any]:
    """The state through the model family's own checkpoint filter (timm's: a position
    embedding resized to the model's image size, older key names), when it has one."""
    fn = getattr(sys.modules.get(type(model).__module__), "checkpoint_filter_fn", None)
    if fn is None:
        return state
    try:
        filtered: dict[str, Any] = fn(state, model)
    except Exception:  # a filter for another layout: the keys are compared as they are
        return state
    return filtered


def _head_name(model: torch.nn.Module) -> str | None:
    """The classifier's module name in timm's pretrained config (fc, head, classifier …)."""
    cfg: dict[str, Any] = getattr(model, "pretrained_cfg", None) or {}
    head = cfg.get("classifier")
    return head if isinstance(head, str) else None


def fit_of(model: torch.nn.Module, state: dict[str, Any]) -> Fit:
    own = model.state_dict()
    state = _filtered(model, state)
    loadable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    head = _head_name(model) or "\0"
    body = [k for k in own if not k.startswith(f"{head}.")]
    filled = sum(1 for k in body if k in loadable)
    return Fit(
        loadable=loadable,
        new=sorted(set(own) - set(loadable)),
        total=len(own),
        body_share=filled / max(len(body), 1),
    )


def _refuse_unfit(fit: Fit, model_name: str, name: str) -> None:
    if fit.body_share < _MIN_FIT:
        shown = ", ".join(fit.new[:5]) + (" …" if len(fit.new) > 5 else "")
        raise InvalidInputError(
            f"{name} does not hold {model_name} weights: it fills {fit.body_share:.0%} of the "
            f"model's tensors (missing or of another shape: {shown})"
        )


def inspect_weights(model_name: str, path: Path, *, work_dir: Path) -> InspectedWeights:
    """Check that `path` holds weights of `model_name` and write them as safetensors."""
    import timm
    from safetensors.torch import save_file

    state, kind, of_model = read_state_dict(path)
    if of_model is not None and of_model != model_name:
        raise InvalidInputError(f"{path.name} is a checkpoint of {of_model}, not {model_name}")
    model = timm.create_model(model_name, pretrained=False)
    fit = fit_of(model, state)
    _refuse_unfit(fit, model_name, path.name)
    head = _head_name(model)
    weight = state.get(f"{head}.weight") if isinstance(head, str) else None
    target = work_dir / "weights.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(target))
    return InspectedWeights(
        file=target,
        format="safetensors",
        kind=kind,
        num_classes=int(weight.shape[0]) if weight is not None else None,
        tensors=len(state),
    )


def load_pretrained(model: torch.nn.Module, found: FoundWeights, model_name: str) -> str:
    """Load what fits of the found weights into `model`; the log line saying what loaded."""
    try:
        state, _, _ = read_state_dict(found.path)
    except InvalidInputError as e:
        raise CheckpointError(f"pretrained weights from {found.place}: {e}") from e
    fit = fit_of(model, state)
    _refuse_unfit(fit, model_name, f"{found.path} (from {found.place})")
    model.load_state_dict(fit.loadable, strict=False)
    new = f"; new for this data set: {', '.join(fit.new)}" if fit.new else ""
    return (
        f"Pretrained weights from {found.place} ({found.path}): loaded {len(fit.loadable)} of "
        f"{fit.total} tensors{new}"
    )
