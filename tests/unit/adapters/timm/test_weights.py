"""timm weights files: what is read (tensors only), what fits a model, what a run loads."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch

from tests.unit.weights.fixtures import MODEL
from vision_platform.adapters.timm.adapter import TimmAdapter
from vision_platform.adapters.timm.weights import inspect_weights, load_pretrained
from vision_platform.errors import InvalidInputError
from vision_platform.weights.search import FoundWeights


@pytest.mark.parametrize("name", ["test_resnet.safetensors", "test_resnet.pth"])
def test_a_state_dict_is_checked_and_stored_as_safetensors(
    resnet_weights: dict[str, Path], tmp_path: Path, name: str
) -> None:
    inspected = inspect_weights(MODEL, resnet_weights[name], work_dir=tmp_path)
    assert (inspected.kind, inspected.num_classes, inspected.format) == (
        "state dict",
        7,
        "safetensors",
    )
    assert inspected.file.suffix == ".safetensors" and inspected.tensors


def test_a_platform_checkpoint_gives_its_model_weights(tmp_path: Path) -> None:
    adapter = TimmAdapter(MODEL, num_classes=3)
    adapter.image_size = 32
    adapter.prepare_model()
    checkpoint = adapter.save_checkpoint(epoch=1, metrics={}, is_best=True, path=tmp_path / "b.pt")
    inspected = inspect_weights(MODEL, checkpoint, work_dir=tmp_path)
    assert (inspected.kind, inspected.num_classes) == ("platform checkpoint", 3)
    with pytest.raises(InvalidInputError, match=f"is a checkpoint of {MODEL}, not resnet18"):
        inspect_weights("resnet18", checkpoint, work_dir=tmp_path)


@pytest.mark.parametrize(
    ("stem", "model", "words"),
    [
        ("garbage.pth", MODEL, "is not a readable weights file"),
        ("module.pt", MODEL, "corrupt, or a pickle of more than tensors"),
        ("resnet10t.pth", MODEL, f"does not hold {MODEL} weights"),
        ("test_resnet.pth", "resnet10t", "does not hold resnet10t weights"),
    ],
)
def test_files_that_are_not_weights_of_the_model_are_refused_naming_the_file(
    resnet_weights: dict[str, Path], tmp_path: Path, stem: str, model: str, words: str
) -> None:
    path = resnet_weights[stem]
    with pytest.raises(InvalidInputError, match=words) as caught:
        inspect_weights(model, path, work_dir=tmp_path)
    assert str(caught.value).startswith(path.name)


def test_a_head_of_another_size_is_left_new_and_the_note_says_what_loaded(
    resnet_weights: dict[str, Path],
) -> None:
    model = timm.create_model(MODEL, num_classes=2)
    found = FoundWeights(resnet_weights["test_resnet.safetensors"], "the weights store")
    note = load_pretrained(model, found, MODEL)
    total = len(model.state_dict())
    assert note.startswith(f"Pretrained weights from the weights store ({found.path}): ")
    assert (
        f"loaded {total - 2} of {total} tensors; new for this data set: fc.bias, fc.weight" in note
    )
    source = torch.load(resnet_weights["test_resnet.pth"], weights_only=True)
    first = next(iter(source))
    assert torch.equal(model.state_dict()[first], source[first])
