"""Weight files of timm's tiny `test_resnet` (370k parameters), shared by the weights tests."""

from __future__ import annotations

from pathlib import Path

import pytest

MODEL = "test_resnet"


@pytest.fixture(scope="session")
def resnet_weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """test_resnet's weights for 7 classes as .safetensors and as a .pth state dict, a
    resnet18's (another model), a pickled whole module and a file of garbage."""
    import timm
    import torch
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    state = timm.create_model(MODEL, num_classes=7).state_dict()
    save_file(state, str(folder / "test_resnet.safetensors"))
    torch.save(state, folder / "test_resnet.pth")
    torch.save(timm.create_model("resnet10t").state_dict(), folder / "resnet10t.pth")
    torch.save(timm.create_model(MODEL), folder / "module.pt")  # a pickle of objects
    (folder / "garbage.pth").write_bytes(b"not weights at all")
    return {p.name: p for p in folder.iterdir()}
