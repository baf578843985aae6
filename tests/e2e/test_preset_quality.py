"""Good models by default: every timm preset, resolved for a short run from random weights,
trains the digits (10 classes, 32 px) to at least 90% validation accuracy in 5 epochs.

A quality check, not a timing: before presets were resolved for the run, medium and advanced
never left their warm-up on such a run (0.21 and 0.12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_vp
from vision_platform.configs import PRESET_NAMES

EPOCHS = 5


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vision_platform.datasets.digits import make_digits

    return make_digits(tmp_path_factory.mktemp("digits10"), size=32)


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_timm_preset_trains_a_good_model_in_five_epochs(
    digits: Path, tmp_path: Path, preset: str
) -> None:
    out = tmp_path / preset
    done = run_vp(
        "train", "--model-name", "resnet18", "--dataset-path", str(digits),
        "--num-epochs", str(EPOCHS), "--batch-size", "32", "--image-size", "32",
        "--preset", preset, "--seed", "0", "--output-dir", str(out), "--workers", "0",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == EPOCHS
    assert rows[-1]["val_acc"] >= 0.90, [round(r["val_acc"], 3) for r in rows]
    resolution = json.loads((out / "run.json").read_text())["resolution"]
    assert resolution["preset"] == preset and resolution["intent"]
