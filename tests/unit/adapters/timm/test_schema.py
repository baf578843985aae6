"""The timm adapter's schema and presets, as the design document defines them."""

from __future__ import annotations

import pytest

from vision_platform.adapters.registry import registry
from vision_platform.configs import merge_config
from vision_platform.errors import UnknownNameError

TIMM = registry.info("timm")


def preset(name: str) -> dict[str, object]:
    return merge_config(
        schema=TIMM.config_schema(), presets=TIMM.presets(), preset=name, overrides=None
    )


def test_schema_has_the_required_fields_in_their_groups() -> None:
    groups = {f.name: f.group for f in TIMM.config_schema()}
    expected = {
        "optimizer": ["optimizer_type", "learning_rate", "weight_decay", "momentum"],
        "scheduler": ["scheduler_type", "warmup_epochs"],
        "augmentation": [
            "aug_enabled",
            "random_flip",
            "random_rotation",
            "color_jitter",
            "mixup",
            "cutmix",
            "label_smoothing",
        ],
        "training": ["mixed_precision", "gradient_clip_value"],
    }
    for group, names in expected.items():
        for name in names:
            assert groups[name] == group, name


def test_presets_are_as_designed() -> None:
    easy, medium, advanced = preset("easy"), preset("medium"), preset("advanced")
    assert (easy["optimizer_type"], easy["learning_rate"], easy["scheduler_type"]) == (
        "adam",
        0.001,
        "cosine",
    )
    assert easy["aug_enabled"] and easy["random_flip"]
    assert not easy["mixup"] and not easy["cutmix"]
    assert (medium["optimizer_type"], medium["learning_rate"], medium["weight_decay"]) == (
        "adamw",
        0.0001,
        0.0001,
    )
    assert medium["warmup_epochs"] == 5 and medium["color_jitter"] > 0 and medium["mixup"]
    assert not medium["cutmix"]
    assert (advanced["optimizer_type"], advanced["weight_decay"], advanced["warmup_epochs"]) == (
        "adamw",
        0.0005,
        10,
    )
    assert advanced["random_rotation"] > 0 and advanced["color_jitter"] > 0
    assert advanced["mixup"] and advanced["cutmix"] and advanced["label_smoothing"] == 0.1


def test_warmup_depends_on_a_scheduler() -> None:
    warmup = next(f for f in TIMM.config_schema() if f.name == "warmup_epochs")
    assert "none" not in warmup.depends_on["scheduler_type"]
    assert "cosine" in warmup.depends_on["scheduler_type"]


def test_unknown_timm_model_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="resnet50"):
        TIMM.check_model_name("resnet_50")


def test_timm_serves_the_names_nobody_claims_and_they_classify() -> None:
    assert TIMM.is_fallback
    assert registry.info_for_model("resnet50") is TIMM
    assert (TIMM.task_of("resnet50"), TIMM.variant_for("resnet50", "detection")) == (
        "classification",
        "resnet50",
    )
    assert TIMM.best_metric("classification") == "val_acc"
