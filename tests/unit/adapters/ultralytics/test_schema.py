"""The Ultralytics adapter's schema, presets, model names and light import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vision_platform.adapters.registry import registry
from vision_platform.adapters.ultralytics.names import model_names
from vision_platform.configs import PRESET_NAMES, inactive_fields, merge_config, validate_config
from vision_platform.errors import ConfigValidationError, UnknownNameError

ULTRALYTICS = registry.info("ultralytics")
ADAPTER = ULTRALYTICS.adapter_class()


def preset(name: str) -> dict[str, object]:
    return merge_config(
        schema=ADAPTER.config_schema(), presets=ADAPTER.presets(), preset=name, overrides=None
    )


def test_schema_has_the_issue_fields_in_their_groups() -> None:
    groups = {f.name: f.group for f in ADAPTER.config_schema()}
    expected = {
        "optimizer": ["optimizer_type", "learning_rate", "lrf", "momentum", "weight_decay", "nbs"],
        "scheduler": ["cos_lr", "warmup_epochs"],
        "augmentation": [
            *("mosaic", "mixup", "copy_paste", "close_mosaic", "hsv_h", "hsv_s", "hsv_v"),
            *("degrees", "translate", "scale", "fliplr"),
        ],
        "evaluation": ["iou", "conf"],
        "training": ["patience", "amp", "weights_path"],
    }
    for group, names in expected.items():
        for name in names:
            assert groups[name] == group, name


def test_optimizers_use_ultralytics_spellings() -> None:
    field = next(f for f in ADAPTER.config_schema() if f.name == "optimizer_type")
    assert field.options == ("auto", "SGD", "Adam", "AdamW", "RMSProp")
    with pytest.raises(ConfigValidationError, match="did you mean 'AdamW'"):
        validate_config({"optimizer_type": "adamw"}, ADAPTER.config_schema())


def test_learning_rate_is_reported_as_unused_under_auto() -> None:
    config = validate_config({"learning_rate": 0.002}, ADAPTER.config_schema())
    assert any("learning_rate" in note for note in inactive_fields(config, ADAPTER.config_schema()))
    config = validate_config(
        {"learning_rate": 0.002, "optimizer_type": "SGD"}, ADAPTER.config_schema()
    )
    assert inactive_fields(config, ADAPTER.config_schema()) == []


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_validates_and_leaves_no_field_inactive(name: str) -> None:
    config = preset(name)
    assert validate_config(config, ADAPTER.config_schema()) == config
    assert inactive_fields(config, ADAPTER.config_schema()) == []


def test_presets_grow_from_easy_to_advanced() -> None:
    easy, medium, advanced = preset("easy"), preset("medium"), preset("advanced")
    assert (easy["optimizer_type"], medium["optimizer_type"], advanced["optimizer_type"]) == (
        "auto",
        "AdamW",
        "SGD",
    )
    assert easy["mixup"] == 0.0 < medium["mixup"] < advanced["mixup"]  # type: ignore[operator]
    assert not easy["cos_lr"] and medium["cos_lr"] and advanced["cos_lr"]


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("yolo11n", "detection"),
        ("yolov8s", "detection"),
        ("yolo11n-seg", "segmentation"),
        ("yolov8m-seg", "segmentation"),
        ("yolo11s-pose", "pose"),
        ("yolov8n-cls", "classification"),
        ("yolo26n", "detection"),
        ("yolo11n-obb", "obb"),
    ],
)
def test_names_are_known_and_imply_their_task(name: str, task: str) -> None:
    ADAPTER.check_model_name(name)
    assert ULTRALYTICS.task_of(name) == task
    assert ADAPTER(name).task_type == task
    assert registry.framework_for_model(name) == "ultralytics"
    assert registry.framework_for_model(name.upper()) == "ultralytics"


@pytest.mark.parametrize(
    ("name", "task", "variant"),
    [
        ("yolo11n", "segmentation", "yolo11n-seg"),
        ("yolo11n-seg", "detection", "yolo11n"),
        ("yolov8s-pose", "classification", "yolov8s-cls"),
        ("yolo11n-cls", "classification", "yolo11n-cls"),
        ("rtdetr-l", "segmentation", "rtdetr-l"),
    ],
)
def test_a_name_has_a_variant_per_task(name: str, task: str, variant: str) -> None:
    assert ULTRALYTICS.variant_for(name, task) == variant


def test_the_best_metric_is_the_tasks_own() -> None:
    """A classifier reports top1_acc (no boxes, so no map50): its best metric is that."""
    assert ULTRALYTICS.best_metric("classification") == "top1_acc"
    for task in ("detection", "segmentation", "pose", "obb"):
        assert ULTRALYTICS.best_metric(task) == "map50"


@pytest.mark.parametrize(
    ("name", "closest"), [("yolo11-n", "yolo11n"), ("yolov8n-segm", "yolov8n-seg")]
)
def test_unknown_names_suggest_the_closest(name: str, closest: str) -> None:
    with pytest.raises(UnknownNameError, match=f"did you mean '{closest}'"):
        ADAPTER.check_model_name(name)


def test_every_family_has_every_size_and_task() -> None:
    names = set(model_names())
    for family in ("yolo11", "yolov8"):
        for size in "nsmlx":
            for suffix in ("", "-seg", "-pose", "-cls"):
                assert f"{family}{size}{suffix}" in names


def test_thresholds_come_from_the_config_unless_given() -> None:
    adapter = ADAPTER("yolo11n", advanced_config={"conf": 0.4, "iou": 0.5})
    assert (adapter.conf_threshold, adapter.iou_threshold) == (0.4, 0.5)
    assert ADAPTER("yolo11n", conf_threshold=0.1).conf_threshold == 0.1


def test_reading_schema_and_names_imports_no_framework() -> None:
    code = (
        "import sys; from vision_platform.adapters import registry; "
        "cls = registry.get('ultralytics'); registry.info('ultralytics').json_schema(); "
        "cls.check_model_name('yolo11n'); "
        "cls('yolo11n-seg'); "
        "heavy = [m for m in ('torch', 'timm', 'ultralytics') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
