"""A framework the intent layer has never heard of is served from its descriptor alone."""

from __future__ import annotations

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.intent import RulesParser, TrainingIntent
from vision_platform.intent.settings import resolve_settings


def test_its_names_tasks_and_concepts_come_from_its_descriptor(boxnet: AdapterInfo) -> None:
    intent = RulesParser().parse("BoxNet-S segmentation with mixup and a cosine schedule").intent
    assert (intent.model_name, intent.framework, intent.task_type) == (
        "boxnet-s-seg",
        "boxnet",
        "segmentation",
    )
    # mixup "on" is the field's own on_value; "cosine" is its own option spelling
    assert intent.advanced_config == {"mix_prob": 0.3, "sched": "cos"}
    assert intent.notes == []


def test_its_settings_resolve_through_its_concepts(boxnet: AdapterInfo) -> None:
    settings = resolve_settings(
        TrainingIntent(model_name="boxnet-m", framework="boxnet", preset="advanced")
    )
    assert settings is not None
    assert (settings.learning_rate.value, settings.learning_rate.source) == (0.01, "default")
    assert [(a.name, a.value, a.source) for a in settings.augmentations] == [
        ("mix_prob", 0.2, "preset")
    ]


def test_settings_move_to_it_by_concept(boxnet: AdapterInfo) -> None:
    """Switching from an Ultralytics model keeps the request's options, in BoxNet's fields."""
    parser = RulesParser()
    first = parser.parse("yolo11n detection, mixup 0.2, cosine").intent
    assert first.advanced_config == {"mixup": 0.2, "cos_lr": True}
    moved = parser.parse("use boxnet-m instead", context=first).intent
    assert (moved.model_name, moved.framework) == ("boxnet-m", "boxnet")
    assert moved.advanced_config == {"mix_prob": 0.2, "sched": "cos"}
