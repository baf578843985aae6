"""The disk fills during a checkpoint write (a small tmpfs as the output folder)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_vp
from vision_platform.storage import load_verified, verify

# resnet10t's checkpoint (model, optimizer) is about 57 MB: one fits, a second does not.
SMALL = "90m"
ROOMY = "400m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of SMALL size (needs root, or a container allowed to mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL}", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def train(data: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_vp(
        "train",
        "--model-name",
        "resnet10t",
        "--dataset-path",
        str(data),
        "--num-epochs",
        "3",
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--output-dir",
        str(out),
        "--seed",
        "3",
        *extra,
    )


@pytest.mark.slow
def test_a_full_disk_keeps_the_last_checkpoint_and_the_run_resumes_when_space_is_back(
    small_disk: Path, tiny_digits: Path
) -> None:
    out = small_disk / "run"
    full = train(tiny_digits, out)
    said = full.stdout + full.stderr
    assert full.returncode == 1, said
    assert "Traceback" not in said
    assert "ERROR: no space left to write the checkpoint of epoch 2" in said
    assert "weights/last.pt still holds epoch 1, verified" in said and "--resume" in said
    last = out / "weights" / "last.pt"
    assert verify(last) is None and load_verified(last)["epoch"] == 1
    assert not list((out / "weights").glob(".*tmp"))

    subprocess.run(["mount", "-o", f"remount,size={ROOMY}", str(small_disk)], check=True)
    resumed = train(tiny_digits, out, "--resume")
    said = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, said
    assert "Checkpoint loaded: epoch=1" in said and "Resuming training from epoch 2" in said
    assert "Training completed" in said
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]
