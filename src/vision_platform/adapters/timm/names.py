"""timm model names a request may use, known without importing timm (which imports torch)."""

from __future__ import annotations

# timm models people name most (a test checks each is real).
COMMON_MODELS: tuple[str, ...] = (
    *(f"resnet{n}" for n in (18, 26, 34, 50, 101, 152, 200)),
    "resnet10t",
    "resnext50_32x4d",
    "wide_resnet50_2",
    *(f"efficientnet_b{i}" for i in range(8)),
    "efficientnetv2_rw_s",
    "tf_efficientnetv2_s",
    "mobilenetv2_100",
    "mobilenetv3_large_100",
    "mobilenetv3_small_100",
    *(f"vit_{s}_patch16_224" for s in ("tiny", "small", "base", "large")),
    *(f"deit_{s}_patch16_224" for s in ("tiny", "small", "base")),
    *(f"convnext_{s}" for s in ("tiny", "small", "base", "large")),
    *(f"densenet{n}" for n in (121, 161, 169, 201)),
    "swin_tiny_patch4_window7_224",
    "regnety_040",
)

_VIT_SIZES = {"tiny": "tiny ti t", "small": "small s", "base": "base b", "large": "large l"}


def common_models() -> tuple[str, ...]:
    return COMMON_MODELS


def implied_models() -> dict[str, str]:
    """Family words (normalised) that stand for one model: "resnet" is resnet50."""
    names = {
        "resnet": "resnet50",
        "efficientnet": "efficientnet_b0",
        "mobilenet": "mobilenetv3_large_100",
        "mobilenetv3": "mobilenetv3_large_100",
        "mobilenetv3large": "mobilenetv3_large_100",
        "mobilenetv3small": "mobilenetv3_small_100",
        "mobilenetv2": "mobilenetv2_100",
        "convnext": "convnext_tiny",
        "densenet": "densenet121",
        "vit": "vit_base_patch16_224",
    }
    for size, spellings in _VIT_SIZES.items():
        for spelling in spellings.split():
            names[f"vit{spelling}"] = f"vit_{size}_patch16_224"
    return names
