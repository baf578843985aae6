"""Pieces of the timm loop that exact resume depends on."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
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


def test_save_period_skips_epochs_but_never_an_improved_one_or_the_last(
    digits_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vision_platform.configs import TrainingSpec
    from vision_platform.training.checkpoints import CheckpointStore
    from vision_platform.training.runner import TrainingRunner

    published: list[int] = []
    publish = CheckpointStore.publish

    def recording(self: CheckpointStore, written: Path, *, epoch: int, **kw: Any) -> Path:
        published.append(epoch)
        return publish(self, written, epoch=epoch, **kw)

    monkeypatch.setattr(CheckpointStore, "publish", recording)
    spec = TrainingSpec(
        model_name="resnet10t",
        dataset_path=str(digits_dir),
        num_epochs=4,
        batch_size=10,
        image_size=32,
        seed=3,
        preset="easy",
        advanced_config={"save_period": 3},
        output_dir=str(tmp_path / "run"),
    )
    assert TrainingRunner(spec, sinks=[]).run() == 0
    rows = [json.loads(line) for line in (tmp_path / "run/metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]  # every epoch is reported
    best, improved = -1.0, set()
    for row in rows:
        if row["val_acc"] > best:
            best, improved = row["val_acc"], improved | {row["epoch"]}
    assert published == sorted(improved | {3, 4})
