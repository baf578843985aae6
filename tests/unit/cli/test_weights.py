"""`vp weights import|list`: a checked file in the store, or exit 2 naming what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import vp
from tests.unit.weights.fixtures import MODEL


def test_an_imported_file_is_listed_with_its_sha256(resnet_weights: dict[str, Path]) -> None:
    done = vp("weights", "import", "--model", MODEL, str(resnet_weights["test_resnet.pth"]))
    assert done.exit_code == 0, done.stderr
    assert f"as timm {MODEL} weights" in done.stdout and "a head of 7 classes" in done.stdout
    listed = vp("weights", "list", "--json")
    [record] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (record["model_name"], record["source_kind"], record["format"]) == (
        MODEL,
        "state dict",
        "safetensors",
    )
    assert len(record["sha256"]) == len(record["source_sha256"]) == 64
    assert MODEL in vp("weights", "list").stdout
    assert vp("weights", "list", "--model", "resnet50").stdout == ""


@pytest.mark.parametrize(
    ("model", "name", "words"),
    [
        (MODEL, "garbage.pth", "garbage.pth is not a readable weights file"),
        ("resnet_nope", "test_resnet.pth", "unknown timm model 'resnet_nope'"),
        (MODEL, "resnet10t.pth", f"resnet10t.pth does not hold {MODEL} weights"),
        ("yolo11n", "test_resnet.pth", "test_resnet.pth is not an Ultralytics checkpoint"),
    ],
)
def test_bad_files_and_models_exit_2_naming_them(
    resnet_weights: dict[str, Path], model: str, name: str, words: str
) -> None:
    done = vp("weights", "import", "--model", model, str(resnet_weights[name]))
    assert done.exit_code == 2
    assert words in done.stderr
    assert vp("weights", "list").stdout == ""


def test_a_file_over_the_limit_exits_2(
    resnet_weights: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VP_MAX_WEIGHTS_MB", "0.01")
    done = vp("weights", "import", "--model", MODEL, str(resnet_weights["test_resnet.pth"]))
    assert done.exit_code == 2 and "over the 0.01 MB limit" in done.stderr
