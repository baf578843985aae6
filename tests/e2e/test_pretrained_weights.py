"""`pretrained: true` in real `vp train` runs: weights from the hub only when downloads are
allowed (a fake hub on 127.0.0.1), and fine-tuning from imported weights beats scratch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_vp
from tests.e2e.fake_hub import fake_hub

PLACES = ("pretrained_path", "the weights store", "VP_PRETRAINED_DIR", "the Hugging Face cache")


def train(data: Path, out: Path, model: str, *, epochs: int, config: str, **env: str) -> object:
    return run_vp(
        "train", "--model-name", model, "--dataset-path", str(data), "--num-epochs", str(epochs),
        "--batch-size", "8", "--image-size", "32", "--seed", "3", "--preset", "easy",
        "--config", config, "--output-dir", str(out), "--workers", "0", **env,
    )  # fmt: skip


def val_acc(out: Path) -> float:
    return float(json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["val_acc"])


def test_weights_come_from_the_hub_only_when_downloads_are_allowed(
    two_class_dir: Path, tmp_path: Path
) -> None:
    import timm
    from safetensors.torch import save

    weights = save(timm.create_model("test_resnet").state_dict())  # 1000 ImageNet classes
    files = {"timm/test_resnet.r160_in1k/model.safetensors": weights}
    with fake_hub(files) as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0"}
        pretrained = '{"pretrained": true}'
        off = train(
            two_class_dir, tmp_path / "off", "test_resnet", epochs=1, config=pretrained, **env
        )
        assert off.returncode == 2, off.stdout + off.stderr  # type: ignore[attr-defined]
        error = off.stderr  # type: ignore[attr-defined]
        assert all(f"{place}: " in error for place in PLACES)
        assert "the Hugging Face Hub: downloads are off (set VP_ALLOW_DOWNLOADS=1" in error
        assert hub.downloads == []

        on = train(two_class_dir, tmp_path / "on", "test_resnet", epochs=1, config=pretrained,
                   VP_ALLOW_DOWNLOADS="1", **env)  # fmt: skip
        assert on.returncode == 0, on.stdout + on.stderr  # type: ignore[attr-defined]
        assert hub.downloads == ["timm/test_resnet.r160_in1k/model.safetensors"]
        log = on.stdout  # type: ignore[attr-defined]
        assert "Pretrained weights from the Hugging Face Hub (" in log
        assert "new for this data set: fc.bias, fc.weight" in log  # 1000 classes → 2
        # easy from pretrained weights: its rate for fine-tuning, said in the log and run.json
        assert "Adjusted: learning rate 0.001 → 0.00015: the rate for adam from pretrained" in log
        resolution = json.loads((tmp_path / "on" / "run.json").read_text())["resolution"]
        assert resolution["from_weights"] and resolution["adjustments"][0]["value"] == 0.00015

        # now in the Hugging Face cache: found there, downloads off again
        cached = train(two_class_dir, tmp_path / "cached", "test_resnet", epochs=1,
                       config=pretrained, **env)  # fmt: skip
        assert cached.returncode == 0, cached.stderr  # type: ignore[attr-defined]
        assert "Pretrained weights from the Hugging Face cache (" in cached.stdout  # type: ignore[attr-defined]
        assert len(hub.downloads) == 1


def split_digits(root: Path) -> tuple[Path, Path]:
    """Digits 0-4 (the source task) and 5-9 (the new one), linked from one data set."""
    from vision_platform.datasets.digits import make_digits

    full = make_digits(root / "digits", size=32, per_class=60)
    source, target = root / "digits-0-4", root / "digits-5-9"
    for folder, classes in ((source, "01234"), (target, "56789")):
        for split in ("train", "val"):
            (folder / split).mkdir(parents=True)
            for digit in classes:
                os.symlink(full / split / digit, folder / split / digit)
    return source, target


@pytest.mark.slow
def test_fine_tuning_from_imported_weights_beats_training_from_scratch(tmp_path: Path) -> None:
    source, target = split_digits(tmp_path)
    home = {"VP_HOME": str(tmp_path / ".vp")}
    first = train(source, tmp_path / "source", "resnet18", epochs=3, config="{}", **home)
    assert first.returncode == 0, first.stderr  # type: ignore[attr-defined]
    best = tmp_path / "source" / "weights" / "best.pt"
    imported = run_vp("weights", "import", "--model", "resnet18", str(best), **home)
    assert imported.returncode == 0, imported.stderr

    tuned = train(target, tmp_path / "tuned", "resnet18", epochs=1,
                  config='{"pretrained": true}', **home)  # fmt: skip
    scratch = train(target, tmp_path / "scratch", "resnet18", epochs=1, config="{}", **home)
    assert tuned.returncode == scratch.returncode == 0  # type: ignore[attr-defined]
    assert "Pretrained weights from the weights store" in tuned.stdout  # type: ignore[attr-defined]
    assert val_acc(tmp_path / "tuned") > val_acc(tmp_path / "scratch")
