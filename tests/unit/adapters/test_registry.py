"""The adapter registry: descriptors found under a package, served by model name and framework."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.registry import AdapterRegistry, get_adapter, registry
from vision_platform.configs import PRESET_NAMES, validate_config
from vision_platform.errors import UnknownNameError


def test_the_platform_finds_its_frameworks_in_the_adapters_package() -> None:
    assert registry.list() == ["timm", "ultralytics"]
    assert all(isinstance(info, AdapterInfo) for info in registry.infos())


def test_a_third_framework_is_one_module_of_the_package(boxnet_package: str) -> None:
    found = AdapterRegistry(boxnet_package)
    assert found.list() == ["boxnet"]  # helpers.py has no DESCRIPTOR
    info = found.info_for_model("boxnet-m-seg")
    assert (info.framework, info.task_of("boxnet-m-seg"), info.task_of("boxnet-m")) == (
        "boxnet",
        "segmentation",
        "detection",
    )
    assert (info.best_metric("segmentation"), info.best_metric("detection")) == (
        "mask_ap",
        "box_ap",
    )
    assert info.variant_for("boxnet-s", "segmentation") == "boxnet-s-seg"
    assert found.get("boxnet").model_names() == [
        "boxnet-s",
        "boxnet-m",
        "boxnet-s-seg",
        "boxnet-m-seg",
    ]
    with pytest.raises(UnknownNameError, match="no framework serves"):
        found.info_for_model("resnet50")  # this registry has no fallback


def test_a_registered_framework_serves_its_names_beside_the_others(boxnet: AdapterInfo) -> None:
    assert registry.framework_for_model("boxnet-s") == "boxnet"
    assert registry.framework_for_model("resnet50") == "timm"
    assert registry.framework_for_model("yolo11n") == "ultralytics"
    assert registry.info("boxnet").field_for("mixup").name == "mix_prob"  # type: ignore[union-attr]


def test_only_one_framework_serves_the_unclaimed_names() -> None:
    fallback = AdapterInfo(
        framework="other",
        adapter="x:Y",
        schema="x",
        package="x",
        description="x",
        tasks=("classification",),
        best_metrics={"classification": "acc"},
    )
    with pytest.raises(ValueError, match="timm already serves unclaimed names"):
        AdapterRegistry().register(fallback)


def test_unknown_framework_names_the_valid_ones() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'timm'"):
        registry.info("tim")
    with pytest.raises(UnknownNameError, match="did you mean 'timm'"):
        registry.get("tim")


def test_framework_is_inferred_from_the_model_name() -> None:
    assert registry.framework_for_model("resnet50") == "timm"
    assert registry.framework_for_model("yolo11n-seg") == "ultralytics"
    assert registry.framework_for_model("YOLOv8s") == "ultralytics"
    assert get_adapter("yolo11n-pose").task_type == "pose"


def test_each_task_has_one_default_model() -> None:
    defaults = {task: registry.default_model(task) for task in ("classification", "detection")}
    assert defaults == {"classification": "resnet18", "detection": "yolo11n"}


@pytest.mark.parametrize("framework", ["timm", "ultralytics"])
def test_every_descriptor_is_consistent(framework: str) -> None:
    info = registry.info(framework)
    assert set(info.best_metrics) == set(info.tasks)
    assert set(info.common_models()) <= set(info.model_names())
    assert set(info.default_models) <= set(info.tasks)
    for task, model in info.default_models.items():
        assert registry.info_for_model(model) is info and info.task_of(model) == task
    assert set(info.aliases().values()) | set(info.implied_models().values()) <= set(
        info.model_names()
    )
    for name in PRESET_NAMES:
        validate_config(info.presets()[name], info.config_schema())
    concepts = [spec.concept for spec in info.config_schema() if spec.concept]
    assert len(concepts) == len(set(concepts))  # one field per concept
    assert info.adapter_class().framework == framework


def test_importing_the_package_and_reading_descriptors_loads_no_framework() -> None:
    code = (
        "import sys, vision_platform, vision_platform.cli, vision_platform.adapters, "
        "vision_platform.configs; from vision_platform.adapters import registry; "
        "[(i.json_schema(), i.common_models(), i.adapter_class()) for i in registry.infos()]; "
        "registry.info_for_model('resnet50'); "
        "heavy = [m for m in ('torch', 'timm', 'ultralytics') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
