"""Checkpoint store: atomic last/best, manifests, corruption detection and fallback."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from vision_platform.errors import CheckpointError, DiskFullError
from vision_platform.storage import load_verified, verify
from vision_platform.training.checkpoints import CheckpointStore

DiskUsage = type(shutil.disk_usage("/"))


def state(epoch: int) -> dict[str, object]:
    return {"epoch": epoch, "w": torch.full((4,), float(epoch)), "names": ["a", "b"]}


def test_save_publishes_last_with_manifest_and_keeps_the_previous(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "weights", framework="timm")
    store.save(state(1), epoch=1, is_best=True)
    store.save(state(2), epoch=2, is_best=False)
    assert load_verified(store.last_path)["epoch"] == 2
    assert load_verified(store.prev_path)["epoch"] == 1
    assert load_verified(store.best_path)["epoch"] == 1
    manifest = json.loads((tmp_path / "weights/last.pt.json").read_text())
    assert manifest["epoch"] == 2 and manifest["framework"] == "timm"
    assert manifest["size"] == store.last_path.stat().st_size
    assert not list((tmp_path / "weights").glob("*.tmp"))


def test_best_is_not_changed_when_last_is_replaced(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save(state(1), epoch=1, is_best=True)
    store.save(state(2), epoch=2, is_best=False)
    store.save(state(3), epoch=3, is_best=False)
    assert torch.equal(load_verified(store.best_path)["w"], torch.full((4,), 1.0))


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_damaged_last_is_detected_and_the_previous_is_used(tmp_path: Path, damage: str) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save(state(1), epoch=1, is_best=False)
    store.save(state(2), epoch=2, is_best=False)
    data = bytearray(store.last_path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 3]
    else:
        data[len(data) // 2] ^= 0xFF
    store.last_path.write_bytes(bytes(data))
    assert verify(store.last_path) is not None
    with pytest.raises(CheckpointError, match="unusable"):
        load_verified(store.last_path)
    warnings: list[str] = []
    found = store.load_latest(warn=warnings.append)
    assert found is not None
    path, loaded = found
    assert path == store.prev_path and loaded["epoch"] == 1
    assert len(warnings) == 1 and "last.pt" in warnings[0]


def test_a_file_without_manifest_is_still_loaded_when_it_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "by_hand.pt"
    torch.save(state(5), path)
    assert load_verified(path)["epoch"] == 5
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError):
        load_verified(path)


def test_nothing_to_resume_from_gives_none(tmp_path: Path) -> None:
    assert CheckpointStore(tmp_path, framework="timm").load_latest() is None


def test_a_full_disk_leaves_the_previous_last_intact_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save(state(1), epoch=1, is_best=True)
    before = store.last_path.read_bytes()

    def fills_the_disk(obj: object, f: Any, **kwargs: object) -> None:
        f.write(b"half a checkpoint")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704")

    monkeypatch.setattr(torch, "save", fills_the_disk)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: DiskUsage(10**9, 10**9, 0))
    with pytest.raises(DiskFullError, match="epoch 2") as refused:
        store.save(state(2), epoch=2, is_best=True)
    assert "still holds epoch 1, verified" in str(refused.value)
    assert "--resume" in str(refused.value)
    assert store.last_path.read_bytes() == before and verify(store.last_path) is None
    assert not list(tmp_path.glob(".*.tmp"))  # the partial file gave its space back


def test_a_manifest_that_does_not_fit_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save(state(1), epoch=1, is_best=True)
    real_write = Path.write_text

    def no_space(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        if self.name.endswith(f".json.{os.getpid()}.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", no_space)
    with pytest.raises(DiskFullError, match="No space left on device"):
        store.save(state(2), epoch=2, is_best=True)
    assert load_verified(store.last_path)["epoch"] == 1
    assert load_verified(store.best_path)["epoch"] == 1
    assert not store.prev_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "best.pt",
        "best.pt.json",
        "last.pt",
        "last.pt.json",
    ]


def test_the_next_checkpoint_is_written_into_the_file_of_last_prev(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save_bytes(b"x" * 5000, epoch=1, is_best=False)
    store.save_bytes(b"y" * 4000, epoch=2, is_best=False)
    recycled = store.prev_path.stat().st_ino  # epoch 1's file
    store.save_bytes(b"z" * 10, epoch=3, is_best=False)  # shorter than what it overwrites
    assert store.last_path.stat().st_ino == recycled
    assert store.last_path.read_bytes() == b"z" * 10
    assert verify(store.last_path) is None and verify(store.prev_path) is None
    manifest = json.loads((tmp_path / "last.pt.json").read_text())
    assert manifest["size"] == 10 and manifest["epoch"] == 3


def test_a_file_that_best_shares_is_never_written_over(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save_bytes(b"best" * 100, epoch=1, is_best=True)  # best.pt: a link to this file
    for epoch in range(2, 6):
        store.save_bytes(bytes([epoch]) * 300, epoch=epoch, is_best=False)
    assert store.best_path.read_bytes() == b"best" * 100
    assert verify(store.best_path) is None and verify(store.prev_path) is None


def test_a_new_store_keeps_last_prev_until_it_has_published(tmp_path: Path) -> None:
    """A resumed run may have loaded last.prev.pt because last.pt was damaged: until its own
    first checkpoint is published, last.prev.pt is not touched."""
    CheckpointStore(tmp_path, framework="timm").save_bytes(b"a" * 50, epoch=1, is_best=False)
    CheckpointStore(tmp_path, framework="timm").save_bytes(b"b" * 50, epoch=2, is_best=False)
    store = CheckpointStore(tmp_path, framework="timm")

    def fails(f: Any) -> None:
        f.write(b"half")
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(Exception, match="Input/output error"):
        store._write(fails, epoch=3, is_best=False, background=False)
    assert store.prev_path.read_bytes() == b"a" * 50 and verify(store.prev_path) is None
    assert store.last_path.read_bytes() == b"b" * 50
