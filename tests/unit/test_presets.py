"""Presets resolved for the run: every adjustment says why, and what the user set is refused,
never bent, when the run contradicts it."""

from __future__ import annotations

from typing import Any

import pytest

from vision_platform.adapters.registry import registry
from vision_platform.configs import PRESET_NAMES
from vision_platform.errors import ConfigValidationError
from vision_platform.presets import ResolvedConfig, RunFacts

TIMM = registry.info("timm")
ULTRALYTICS = registry.info("ultralytics")


def resolve(
    framework: str = "timm",
    *,
    preset: str | None = None,
    config: dict[str, Any] | None = None,
    learning_rate: float | None = None,
    **run: Any,
) -> ResolvedConfig:
    facts = RunFacts(**{"num_epochs": 10, "batch_size": 32, **run})
    return registry.info(framework).resolve_config(
        preset=preset, advanced_config=config, learning_rate=learning_rate, run=facts
    )


def adjusted(resolved: ResolvedConfig) -> dict[str, tuple[Any, Any]]:
    return {a.field: (a.nominal, a.value) for a in resolved.adjustments}


def test_the_issue_run_leaves_warm_up_and_trains_at_a_rate_for_random_weights() -> None:
    # medium on a 4-epoch run from random weights: its 5 warm-up epochs never ended
    resolved = resolve(preset="medium", num_epochs=4)
    assert resolved.config["warmup_epochs"] == 0
    assert resolved.config["learning_rate"] == 1e-3
    assert not resolved.config["mixup"]
    messages = [a.message for a in resolved.adjustments]
    assert "warm-up 5 → 0 epochs: the run has 4 epochs; warm-up is kept to 10% of a run" in (
        messages
    )
    assert resolved.intent is not None and resolved.intent.startswith("balanced")
    assert resolved.log_lines()[0].startswith("Preset medium (balanced")


@pytest.mark.parametrize("framework", ["timm", "ultralytics"])
@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize(("epochs", "batch"), [(1, 1), (3, 7), (15, 32), (300, 256)])
def test_every_preset_resolves_for_any_run_within_the_run(
    framework: str, preset: str, epochs: int, batch: int
) -> None:
    resolved = resolve(framework, preset=preset, num_epochs=epochs, batch_size=batch)
    config = resolved.config
    assert config["warmup_epochs"] < max(epochs, 1) or config["warmup_epochs"] == 0
    for adjustment in resolved.adjustments:
        assert adjustment.source in ("preset", "default", "request")
        assert adjustment.reason and " → " in adjustment.message
    if epochs == 1:  # too short for heavy augmentation
        heavy = [registry.info(framework).field_for(c) for c in ("mixup", "cutmix", "copy_paste")]
        assert not any(config[spec.name] for spec in heavy if spec is not None)


def test_a_long_run_keeps_the_preset_as_designed() -> None:
    resolved = resolve(preset="advanced", num_epochs=200, batch_size=32)
    nominal = TIMM.presets()["advanced"]
    assert adjusted(resolved) == {"learning_rate": (nominal["learning_rate"], 1e-3)}
    config = resolved.config
    assert config["mixup"] and config["cutmix"] and config["random_rotation"] == 15
    assert config["warmup_epochs"] == nominal["warmup_epochs"]


def test_heavy_augmentation_is_eased_in_between_short_and_long_runs() -> None:
    eased = resolve(preset="advanced", num_epochs=25)  # halfway from 10 to 40 epochs
    assert 0 < eased.config["random_rotation"] < 15
    assert eased.config["mixup"] and eased.config["cutmix"]
    off = resolve(preset="advanced", num_epochs=9)
    assert off.config["random_rotation"] == 0 and not off.config["mixup"]


def test_the_learning_rate_follows_the_start_and_the_batch() -> None:
    scratch = resolve(preset="medium", num_epochs=50)
    pretrained = resolve(preset="medium", num_epochs=50, config={"pretrained": True})
    assert (scratch.config["learning_rate"], pretrained.config["learning_rate"]) == (1e-3, 1e-4)
    assert pretrained.from_weights and not scratch.from_weights
    assert resolve(preset="medium", num_epochs=50, from_checkpoint=True).from_weights
    # adaptive optimizers scale with the square root of the batch, SGD linearly
    assert resolve(preset="medium", num_epochs=50, batch_size=128).config["learning_rate"] == 2e-3
    sgd = resolve("ultralytics", preset="advanced", num_epochs=100, batch_size=128)
    assert sgd.config["learning_rate"] == 0.02
    assert "linearly scaled from batch 64 to 128" in sgd.adjustments[0].reason


def test_what_the_user_set_is_never_changed() -> None:
    resolved = resolve(
        preset="advanced",
        num_epochs=4,
        config={"mixup": True, "warmup_epochs": 1},
        learning_rate=3e-4,
    )
    config = resolved.config
    assert (config["mixup"], config["warmup_epochs"], config["learning_rate"]) == (True, 1, 3e-4)
    assert {"mixup", "warmup_epochs", "learning_rate"}.isdisjoint(adjusted(resolved))
    # the preset's rate is for its own optimizer: another one keeps the nominal rate
    sgd = resolve(preset="medium", num_epochs=50, config={"optimizer_type": "sgd"})
    assert "learning_rate" not in adjusted(sgd)


@pytest.mark.parametrize(
    ("kwargs", "fields", "words"),
    [
        (
            {"config": {"warmup_epochs": 5}, "num_epochs": 4},
            {"warmup_epochs", "num_epochs"},
            "never leave",
        ),
        (
            {"config": {"scheduler_type": "step", "step_size": 20}, "num_epochs": 10},
            {"step_size", "num_epochs"},
            "never decay",
        ),
        ({"config": {"mixup": True}, "batch_size": 1}, {"mixup", "batch_size"}, "odd"),
        ({"config": {"cutmix": True}, "batch_size": 7}, {"cutmix", "batch_size"}, "odd"),
        ({"learning_rate": 0.5}, {"learning_rate", "optimizer_type"}, "usual range of adamw"),
        (
            {"config": {"optimizer_type": "sgd"}, "learning_rate": 1e-7},
            {"learning_rate", "optimizer_type"},
            "usual range of sgd",
        ),
    ],
)  # fmt: skip
def test_what_the_user_set_against_the_run_is_refused_naming_the_fields(
    kwargs: dict[str, Any], fields: set[str], words: str
) -> None:
    with pytest.raises(ConfigValidationError) as caught:
        resolve(**kwargs)
    assert set(caught.value.errors) == fields
    assert all(words in problem for problem in caught.value.errors.values())


def test_what_the_preset_or_a_default_sets_against_the_run_is_adapted_with_a_note() -> None:
    odd = resolve(preset="medium", num_epochs=30, batch_size=15)
    assert adjusted(odd)["mixup"] == (True, False)
    assert "batch size 15 is odd" in next(a.reason for a in odd.adjustments if a.field == "mixup")
    step = resolve(config={"scheduler_type": "step"}, num_epochs=6)  # the default step of 10
    assert adjusted(step)["step_size"] == (10, 2)
    assert "would never decay" in next(a for a in step.adjustments if a.field == "step_size").reason


def test_random_crops_are_lighter_on_short_runs() -> None:
    crop = {n: resolve(num_epochs=n).config["crop_scale_min"] for n in (3, 5, 10, 20, 90)}
    assert crop == {3: 0.8, 5: 0.8, 10: 0.7, 20: 0.5, 90: 0.5}
    assert resolve(num_epochs=3, config={"crop_scale_min": 0.3}).config["crop_scale_min"] == 0.3


def test_a_learning_rate_a_little_outside_the_usual_range_is_noted() -> None:
    resolved = resolve(learning_rate=0.03)
    assert resolved.config["learning_rate"] == 0.03
    assert any("outside the usual range of adamw" in note for note in resolved.notes)


def test_ultralytics_rules_for_small_data_sizes_and_strides() -> None:
    resolved = resolve("ultralytics", preset="medium", num_epochs=5, batch_size=16,
                       train_images=64, image_size=50)  # fmt: skip
    changes = adjusted(resolved)
    assert changes["nbs"] == (64, 16)  # one update an epoch would barely train
    assert changes["image_size"] == (50, 64)  # informs: Ultralytics rounds up itself
    assert changes["mosaic"] == (1.0, 0.0)  # close_mosaic 10 covers the whole run
    assert resolved.config["learning_rate"] == 0.0005  # √ scaled from batch 64 to 16
    # with enough data nothing is accumulated away
    big = resolve("ultralytics", preset="medium", num_epochs=100, batch_size=16,
                  train_images=10_000)  # fmt: skip
    assert "nbs" not in adjusted(big) and "mosaic" not in adjusted(big)


def test_advanced_yolo_trains_with_adamw_on_runs_too_short_for_sgd() -> None:
    """20 epochs of 160 images at batch 16 are 200 steps: SGD reached mAP50 0.44 there,
    AdamW at the rate below 0.95 (benchmarks/quality.py)."""
    short = resolve("ultralytics", preset="advanced", num_epochs=20, batch_size=16,
                    train_images=160)  # fmt: skip
    assert adjusted(short)["optimizer_type"] == ("SGD", "AdamW")
    assert short.config["learning_rate"] == 0.0005  # AdamW's rate, √ scaled from 64 to 16
    message = next(a.message for a in short.adjustments if a.field == "optimizer_type")
    assert message.startswith("optimizer SGD → AdamW: the run makes 200 optimizer steps")
    long = resolve("ultralytics", preset="advanced", num_epochs=300, batch_size=16,
                   train_images=5_000)  # fmt: skip
    assert long.config["optimizer_type"] == "SGD" and long.config["learning_rate"] == 0.01
    chosen = resolve("ultralytics", preset="advanced", num_epochs=20, batch_size=16,
                     train_images=160, config={"optimizer_type": "SGD"})  # fmt: skip
    assert chosen.config["optimizer_type"] == "SGD"  # the user's choice stands
    unknown = resolve("ultralytics", preset="advanced", num_epochs=20, batch_size=16)
    assert unknown.config["optimizer_type"] == "SGD"  # no data read yet: nothing to count


def test_a_framework_without_intents_copies_its_presets(boxnet: Any) -> None:
    resolved = resolve("boxnet", preset="advanced", num_epochs=2)
    assert resolved.intent is None and resolved.config["mix_prob"] == 0.2
    assert resolved.log_lines() == ["Preset advanced, resolved for this run"]


def test_the_json_schema_says_what_each_preset_is_for() -> None:
    intents = TIMM.json_schema()["x-preset-intents"]
    assert set(intents) == set(PRESET_NAMES)
    assert intents["advanced"].startswith("strongest regularisation")
    assert set(ULTRALYTICS.json_schema()["x-preset-intents"]) == set(PRESET_NAMES)
