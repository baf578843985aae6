"""A third framework, written as one module of a package, as a new framework would be."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.adapters.registry import AdapterRegistry, registry

BOXNET = textwrap.dedent(
    '''
    """BoxNet: a framework the platform has never heard of."""

    from vision_platform.adapters.base import VisionAdapter
    from vision_platform.adapters.descriptor import AdapterInfo
    from vision_platform.configs import ConfigField

    SCHEMA = [
        ConfigField(
            name="learning_rate", type="float", default=0.01, min=1e-6, max=1.0,
            group="optimizer", description="Step size.", concept="learning_rate",
        ),
        ConfigField(
            name="mix_prob", type="float", default=0.0, min=0.0, max=1.0,
            group="augmentation", description="Mixup probability.", concept="mixup",
            on_value=0.3,
        ),
        ConfigField(
            name="sched", type="select", default="flat", options=("flat", "cos"),
            group="scheduler", description="Schedule.", concept="scheduler",
            concept_values={"cosine": "cos", "linear": "flat"},
        ),
    ]
    PRESETS = {"easy": {}, "medium": {"sched": "cos"}, "advanced": {"mix_prob": 0.2}}
    NAMES = ("boxnet-s", "boxnet-m", "boxnet-s-seg", "boxnet-m-seg")


    class BoxNetAdapter(VisionAdapter):
        framework = "boxnet"

        @classmethod
        def model_names(cls):
            return list(NAMES)


    DESCRIPTOR = AdapterInfo(
        framework="boxnet",
        adapter=f"{__name__}:BoxNetAdapter",
        schema=__name__,
        package="boxnet",
        description="BoxNet detectors (boxnet-s, boxnet-m)",
        tasks=("detection", "segmentation"),
        best_metrics={"detection": "box_ap", "segmentation": "mask_ap"},
        claims=lambda name: name.startswith("boxnet"),
        model_task=lambda name: "segmentation" if name.endswith("-seg") else "detection",
        variant=lambda name, task: name.removesuffix("-seg")
        + ("-seg" if task == "segmentation" else ""),
        derives_variants=True,
        common_models=lambda: NAMES,
    )
    '''
)


@pytest.fixture
def boxnet_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable package `vp_third` holding `boxnet.py` and a module with no descriptor."""
    package = tmp_path / "vp_third"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "boxnet.py").write_text(BOXNET)
    (package / "helpers.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "vp_third"
    for name in [m for m in sys.modules if m == "vp_third" or m.startswith("vp_third.")]:
        del sys.modules[name]


@pytest.fixture
def boxnet(boxnet_package: str) -> Iterator[AdapterInfo]:
    """BoxNet's descriptor registered in the platform's registry for the test, then removed."""
    info = AdapterRegistry(boxnet_package).info("boxnet")
    registry.register(info)
    yield info
    registry.unregister("boxnet")
