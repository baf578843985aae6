"""`vp train`'s flags → TrainingSpec (shared with `vp k8s manifest`), and its exit 2 on bad input.

None of these runs a trainer: a spec that fails validation stops before the runner loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import vp
from vision_platform.cli.train import parse_train_flags, training_spec
from vision_platform.configs import TrainingSpec


def spec_for(*args: str) -> TrainingSpec:
    return training_spec(parse_train_flags(list(args), prog="vp train"))


def test_dash_and_underscore_spellings_give_the_same_spec() -> None:
    dashes = spec_for(
        "--model-name", "resnet18", "--dataset-path", "d", "--num-epochs", "3",
        "--max-stage-seconds", "60", "--skip-bad-images", "--export-onnx",
    )  # fmt: skip
    underscores = spec_for(
        "--model_name", "resnet18", "--dataset_path", "d", "--num_epochs", "3",
        "--max_stage_seconds", "60", "--skip_bad_images", "--export_onnx",
    )  # fmt: skip
    assert dashes == underscores
    assert (dashes.num_epochs, dashes.max_stage_seconds) == (3, 60)
    assert dashes.skip_bad_images and dashes.export_onnx


def test_flags_override_the_spec_document_and_unset_ones_keep_it(tmp_path: Path) -> None:
    doc = {"model_name": "resnet18", "dataset_path": "d", "num_epochs": 5, "resume": True}
    (tmp_path / "spec.json").write_text(json.dumps(doc))
    (tmp_path / "config.json").write_text('{"mixup": true}')
    spec = spec_for(
        "--spec", str(tmp_path / "spec.json"), "--num-epochs", "7",
        "--config", f"@{tmp_path / 'config.json'}",
    )  # fmt: skip
    assert (spec.num_epochs, spec.resume, spec.dataset_path) == (7, True, "d")
    assert spec.advanced_config == {"mixup": True}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "ERROR: invalid training spec: batch_size: Input should be"),
        (["--config", "{mixup"], "ERROR: --config is not valid JSON"),
        (["--preset", "easy", "--num_epochs", "0"], "num_epochs: Input should be greater"),
    ],
)
def test_invalid_input_exits_2_naming_the_field(args: list[str], message: str) -> None:
    result = vp("train", "--model-name", "resnet18", "--dataset-path", "d", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unknown_field_in_the_spec_document_is_named(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text('{"model_name": "resnet18", "epochs": 3}')
    result = vp("train", "--spec", str(tmp_path / "spec.json"), "--dataset-path", "d")
    assert result.exit_code == 2
    assert "epochs: Extra inputs are not permitted" in result.stderr
