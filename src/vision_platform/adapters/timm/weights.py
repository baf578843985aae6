"""Pretrained timm weights from local files only: never downloaded at run time."""

from __future__ import annotations

from pathlib import Path

from vision_platform.errors import WeightsUnavailableError


def pretrained_weights(model_name: str, *, pretrained_path: str) -> Path:
    """A local file of pretrained weights for `model_name`: `pretrained_path`, else
    VP_PRETRAINED_DIR, else the Hugging Face cache; WeightsUnavailableError saying how to get it."""
    from vision_platform.settings import get_settings

    if pretrained_path:
        path = Path(pretrained_path).expanduser()
        if not path.is_file():
            raise WeightsUnavailableError(f"pretrained_path {path} is not a file")
        return path
    folder = get_settings().pretrained_dir
    if folder is not None:
        for suffix in (".safetensors", ".pth", ".pt", ".bin"):
            candidate = Path(folder) / f"{model_name}{suffix}"
            if candidate.is_file():
                return candidate
    cached = _hf_cached_weights(model_name)
    if cached is not None:
        return cached
    raise WeightsUnavailableError(
        f"pretrained weights for {model_name!r} are not on this machine and are never "
        "downloaded at run time. Supply the file: set advanced_config pretrained_path to a "
        ".safetensors/.pth file, or put <model_name>.safetensors in VP_PRETRAINED_DIR, or fill "
        "the Hugging Face cache on a connected machine (timm.create_model(name, "
        "pretrained=True)) and copy it here; or train with pretrained=false."
    )


def _hf_cached_weights(model_name: str) -> Path | None:
    """The model's weights in the local Hugging Face cache, looked up without the network."""
    import timm
    from huggingface_hub import try_to_load_from_cache

    cfg = timm.models.get_pretrained_cfg(model_name)
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    if not hub_id:
        return None
    for filename in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(hub_id, filename)
        if isinstance(found, str):
            return Path(found)
    return None
