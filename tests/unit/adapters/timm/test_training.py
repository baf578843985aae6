"""Pieces of the timm loop that exact resume depends on."""

from __future__ import annotations

import random

import numpy as np
import torch

from vision_platform.adapters.timm.model import train_transform
from vision_platform.adapters.timm.seeding import (
    epoch_order,
    restore_rng_state,
    rng_state,
    seed_everything,
)


def test_epoch_order_depends_only_on_seed_and_epoch() -> None:
    a = epoch_order(50, seed=3, epoch=2)
    torch.manual_seed(123)  # the global RNG has no say
    assert epoch_order(50, seed=3, epoch=2) == a
    assert sorted(a) == list(range(50))
    assert epoch_order(50, seed=3, epoch=3) != a
    assert epoch_order(50, seed=4, epoch=2) != a


def test_rng_state_round_trips_through_a_weights_only_checkpoint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed_everything(11)
    path = tmp_path / "rng.pt"
    torch.save({"rng": rng_state()}, path)
    expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    seed_everything(999)
    restore_rng_state(torch.load(path, weights_only=True)["rng"])
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expected


def test_training_augmentations_follow_the_config() -> None:
    config = {
        "aug_enabled": True,
        "crop_scale_min": 0.5,
        "random_flip": False,
        "color_jitter": 0.0,
        "random_rotation": 15,
    }
    names = [type(t).__name__ for t in train_transform(32, config).transforms]
    assert "RandomRotation" in names
    assert "RandomHorizontalFlip" not in names
    plain = train_transform(32, {**config, "aug_enabled": False})
    assert "RandomRotation" not in [type(t).__name__ for t in plain.transforms]


def test_an_image_size_the_model_cannot_take_is_refused_naming_image_size() -> None:
    import pytest
    import timm

    from vision_platform.adapters.timm.training import check_image_size
    from vision_platform.errors import ConfigValidationError

    vit = timm.create_model("test_vit", num_classes=2, img_size=8)
    with pytest.raises(ConfigValidationError) as caught:
        check_image_size(vit, 8, "test_vit")
    assert set(caught.value.errors) == {"image_size"}
    assert caught.value.errors["image_size"].startswith("8 px is too small for test_vit")
    check_image_size(timm.create_model("test_resnet", num_classes=2), 8, "test_resnet")
