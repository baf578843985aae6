"""`vision_platform.intent` stays light, and `vp parse` prints exactly the contract's fields."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import run_vp, vp_env

CONTRACT_FIELDS = [
    "model_name",
    "framework",
    "task_type",
    "preset",
    "dataset_path",
    "num_epochs",
    "batch_size",
    "image_size",
    "learning_rate",
    "class_names",
    "advanced_config",
    "missing",
    "notes",
    "priority",  # added with the queue
]


def test_importing_intent_loads_no_framework_or_sdk() -> None:
    code = (
        "import sys, vision_platform.intent as i; i.RulesParser().parse('resnet50 분류 mixup');"
        "print([m for m in ('torch', 'timm', 'ultralytics', 'openai', 'google.genai')"
        " if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=vp_env(),
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "[]"


def test_vp_parse_prints_the_intent_json() -> None:
    result = run_vp("parse", "ResNet-50으로 이미지 분류 학습해줘. 난이도는 medium으로.", timeout=60)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert list(doc) == CONTRACT_FIELDS
    assert doc == {
        "model_name": "resnet50",
        "framework": "timm",
        "task_type": "classification",
        "preset": "medium",
        "dataset_path": None,
        "num_epochs": None,
        "batch_size": None,
        "image_size": None,
        "learning_rate": None,
        "class_names": None,
        "advanced_config": None,
        "missing": ["dataset_path"],
        "notes": [],
        "priority": None,
    }
