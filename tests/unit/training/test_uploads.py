"""Checkpoint uploads: retried while the store is away, superseded by newer ones, named when
they never land."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vision_platform.storage import ArtifactStore
from vision_platform.training.uploads import CheckpointUploader


class FlakyStore:
    """Makes `store`'s uploads fail while `down` is set (an endpoint that went away), or the
    first `failures` of them."""

    def __init__(
        self, store: ArtifactStore, monkeypatch: pytest.MonkeyPatch, *, failures: int = 0
    ) -> None:
        self.failures = failures
        self.down = False
        self.puts: list[str] = []
        real_put = store.fs.put_file

        def put(local: str, remote: str, **kwargs: object) -> None:
            if self.down or self.failures:
                self.failures = max(0, self.failures - 1)
                raise ConnectionRefusedError("endpoint down")
            self.puts.append(remote)
            real_put(local, remote, **kwargs)

        # memory:// file systems are shared instances: undone after the test
        monkeypatch.setattr(store.fs, "put_file", put)


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(f"memory://{tmp_path.name}")


def checkpoint(folder: Path, epoch: int, name: str = "last.pt") -> Path:
    path = folder / name
    path.write_bytes(f"weights of epoch {epoch}".encode())
    return path


def test_a_failed_upload_is_retried(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FlakyStore(store, monkeypatch, failures=2)
    warnings: list[str] = []
    uploader = CheckpointUploader(store, "job_1/weights", warn=warnings.append, backoff_s=0.01)
    uploader.enqueue(checkpoint(tmp_path, 1), name="last.pt", manifest={"epoch": 1, "sha256": "x"})
    assert uploader.close(timeout=30) == []
    assert uploader.uploaded == ["last.pt@1"]
    assert len(warnings) == 1 and "retrying until the store is back" in warnings[0]
    assert store.read_json("job_1/weights/last.pt.json") == {"epoch": 1, "sha256": "x"}
    assert not list(tmp_path.glob(".upload-*"))


def test_while_the_store_is_away_the_newest_checkpoint_waits_and_lands(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyStore(store, monkeypatch)
    flaky.down = True
    uploader = CheckpointUploader(store, "j", warn=lambda m: None, backoff_s=0.01)
    for epoch in (1, 2, 3):  # never blocks, however long the store is away
        uploader.enqueue(checkpoint(tmp_path, epoch), name="last.pt", manifest={"epoch": epoch})
    flaky.down = False
    assert uploader.close(timeout=30) == []
    assert uploader.uploaded == ["last.pt@3"] and [Path(p).name for p in flaky.puts] == ["last.pt"]
    assert store.fs.cat_file(store.uri("j/last.pt")) == b"weights of epoch 3"


def test_an_upload_that_never_lands_is_named(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FlakyStore(store, monkeypatch).down = True
    warnings: list[str] = []
    uploader = CheckpointUploader(store, "j", warn=warnings.append, backoff_s=0.01)
    uploader.enqueue(checkpoint(tmp_path, 4), name="last.pt", manifest={"epoch": 4})
    uploader.enqueue(checkpoint(tmp_path, 4, "best.pt"), name="best.pt", manifest={"epoch": 4})
    assert uploader.close(timeout=0.3) == ["last.pt (epoch 4)", "best.pt (epoch 4)"]
    assert "missing from memory://" in warnings[-1] and "endpoint down" in warnings[0]
    assert not list(tmp_path.glob(".upload-*"))


def test_a_resumed_run_uploads_the_local_files_the_store_lacks(
    store: ArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("last.pt", "best.pt"):
        path = checkpoint(tmp_path, 3, name)
        sha = "a" if name == "last.pt" else "b"
        (tmp_path / f"{name}.json").write_text(json.dumps({"epoch": 3, "sha256": sha}))
        if name == "best.pt":  # already in the store: not sent again
            store.put_file(path, "j/best.pt")
            store.write_json("j/best.pt.json", {"epoch": 3, "sha256": sha})
    flaky = FlakyStore(store, monkeypatch)
    uploader = CheckpointUploader(store, "j", warn=lambda m: None, backoff_s=0.01)
    uploader.ensure_uploaded(tmp_path, ("last.pt", "best.pt"))
    assert uploader.close(timeout=30) == []
    assert [Path(p).name for p in flaky.puts] == ["last.pt"]
    assert store.read_json("j/last.pt.json")["sha256"] == "a"
