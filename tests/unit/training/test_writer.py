"""The background checkpoint writer: snapshots, one write in flight, errors that stop the run."""

from __future__ import annotations

import errno
import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from vision_platform.errors import CheckpointWriteError, DiskFullError
from vision_platform.storage import load_verified, verify
from vision_platform.training.checkpoints import CheckpointStore
from vision_platform.training.writer import BackgroundWriter, Snapshots, snapshot


def state(epoch: int) -> dict[str, object]:
    return {"epoch": epoch, "w": torch.full((4,), float(epoch))}


def test_a_snapshot_is_a_copy_that_training_can_no_longer_change() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    base = torch.arange(6.0)
    original = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "views": [base[:3], base[3:]],
        "rng": torch.get_rng_state(),
        "note": {"lr": [0.1]},
    }
    copied = snapshot(original)
    before = io.BytesIO()
    torch.save(original, before)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    optimizer.state_dict()["state"][0]["exp_avg"].add_(1.0)
    base.add_(1.0)
    original["note"]["lr"].append(0.2)

    before.seek(0)
    expected = torch.load(before, weights_only=True)
    assert torch.equal(copied["model"]["0.weight"], expected["model"]["0.weight"])
    assert torch.equal(
        copied["optimizer"]["state"][0]["exp_avg"], expected["optimizer"]["state"][0]["exp_avg"]
    )
    assert copied["optimizer"]["param_groups"] == expected["optimizer"]["param_groups"]
    assert copied["note"] == {"lr": [0.1]}
    assert copied["model"]._metadata == original["model"]._metadata  # BatchNorm's version
    a, b = copied["views"]
    assert a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()  # still shared
    assert torch.equal(torch.cat([a, b]), torch.arange(6.0))


def test_the_next_snapshot_copies_into_the_storages_of_the_one_before() -> None:
    snapshots = Snapshots()
    live = {"w": torch.zeros(1000), "b": torch.zeros(3)}
    first = snapshots.take(live)
    live["w"].add_(1.0)
    second = snapshots.take(live)  # the first one's write has finished
    assert second["w"].untyped_storage().data_ptr() == first["w"].untyped_storage().data_ptr()
    assert torch.equal(second["w"], torch.ones(1000))
    live["w"] = torch.zeros(10)  # another size: a new copy
    assert torch.equal(snapshots.take(live)["w"], torch.zeros(10))


def test_one_write_in_flight_a_new_one_waits_for_it() -> None:
    writer = BackgroundWriter()
    release, order = threading.Event(), []

    def slow() -> None:
        release.wait(5)
        order.append("first")

    writer.submit(slow)
    assert writer.busy
    second = threading.Thread(target=writer.submit, args=(lambda: order.append("second"),))
    second.start()
    time.sleep(0.2)
    assert order == []  # the second write has not started: it waits for the first
    release.set()
    second.join(5)
    writer.wait()
    writer.close()
    assert order == ["first", "second"]


def test_a_background_save_returns_before_publishing_then_publishes(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, framework="timm", write_delay_seconds=0.3)
    store.save(state(1), epoch=1, is_best=True, background=True)
    assert load_verified(store.last_path)["epoch"] == 1  # the first save: nothing to fall back on
    live = state(2)
    started = time.perf_counter()
    store.save(live, epoch=2, is_best=False, background=True)
    assert time.perf_counter() - started < 0.3  # did not wait for the write
    live["w"].add_(100.0)  # training goes on changing its tensors
    assert load_verified(store.last_path)["epoch"] == 1  # still in flight
    store.wait()
    saved = load_verified(store.last_path)
    assert saved["epoch"] == 2 and torch.equal(saved["w"], torch.full((4,), 2.0))
    assert load_verified(store.prev_path)["epoch"] == 1
    assert load_verified(store.best_path)["epoch"] == 1
    store.close()


@pytest.mark.parametrize(
    ("code", "error", "said"),
    [
        (errno.EIO, CheckpointWriteError, "Input/output error"),
        (errno.ENOSPC, DiskFullError, "no space left to write the checkpoint of epoch 2"),
    ],
)
def test_a_failed_background_write_stops_the_next_save_before_it_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, error: type, said: str
) -> None:
    store = CheckpointStore(tmp_path, framework="timm")
    store.save(state(1), epoch=1, is_best=True)
    real_save = torch.save

    def fails_in_the_writer(obj: Any, f: Any, **kwargs: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            real_save(obj, f, **kwargs)
            return
        f.write(b"part of a checkpoint")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(torch, "save", fails_in_the_writer)
    store.save(state(2), epoch=2, is_best=False, background=True)
    with pytest.raises(error, match="epoch 2") as failed:
        store.save(state(3), epoch=3, is_best=False)
    message = str(failed.value)
    assert said in message and "still holds epoch 1, verified" in message
    assert "--resume" in message
    assert load_verified(store.last_path)["epoch"] == 1  # epoch 3 was never published either
    assert verify(store.last_path) is None
    assert not list(tmp_path.glob(".*.tmp"))
    store.close()


def test_due_follows_save_period_and_save_every_minutes(tmp_path: Path) -> None:
    now = [0.0]
    store = CheckpointStore(
        tmp_path, framework="timm", save_period=3, save_every_minutes=1, clock=lambda: now[0]
    )
    assert [e for e in range(1, 8) if store.due(e)] == [3, 6]
    now[0] = 61.0
    assert store.due(1)  # a minute since the store was opened
    store.save(state(1), epoch=1, is_best=False)
    assert not store.due(2)  # the clock starts again at each save
    by_time = CheckpointStore(
        tmp_path / "t",
        framework="timm",
        save_period=0,
        save_every_minutes=0.5,
        clock=lambda: now[0],
    )
    assert not by_time.due(3)
    now[0] = 100.0
    assert by_time.due(3)


def test_what_waits_for_a_write_runs_after_it_in_order_and_never_after_a_failure() -> None:
    writer = BackgroundWriter()
    release, done = threading.Event(), []
    writer.when_done(lambda: done.append("idle"))  # nothing in flight: at once
    assert done == ["idle"]

    def slow() -> None:
        release.wait(5)
        done.append("written")

    writer.submit(slow)
    writer.when_done(lambda: done.append("report 1"))
    writer.when_done(lambda: done.append("report 2"))
    assert done == ["idle"]
    release.set()
    writer.wait()
    assert done == ["idle", "written", "report 1", "report 2"]

    def fails() -> None:
        raise OSError(errno.EIO, "Input/output error")

    writer.submit(fails)
    writer.when_done(lambda: done.append("never"))
    with pytest.raises(OSError):
        writer.wait()
    writer.close()
    assert "never" not in done
