"""The weights store: records with sha256, newest first, files checked when they are used."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vision_platform.errors import CheckpointError, InvalidInputError, PayloadTooLargeError
from vision_platform.settings import Settings
from vision_platform.storage import file_sha256
from vision_platform.weights.importing import save_upload
from vision_platform.weights.store import WeightsStore


def put(store: WeightsStore, folder: Path, model: str, data: bytes) -> object:
    file = folder / f"{model}-{len(data)}.safetensors"
    file.write_bytes(data)
    return store.put(
        file, framework="timm", model_name=model, format="safetensors", source_name=file.name,
        source_sha256="s" * 64, source_kind="state dict", num_classes=3, tensors=1,
    )  # fmt: skip


def test_records_are_kept_newest_first_per_model(tmp_path: Path) -> None:
    store = WeightsStore.from_settings(Settings(home=tmp_path / ".vp"))
    assert store.records() == [] and store.latest("timm", "resnet18") is None
    first = put(store, tmp_path, "resnet18", b"one")
    second = put(store, tmp_path, "resnet18", b"second")
    put(store, tmp_path, "resnet18d", b"other model")
    assert [r.id for r in store.records(model_name="resnet18")] == [second.id, first.id]  # type: ignore[attr-defined]
    latest = store.latest("timm", "resnet18")
    assert latest is not None and latest.sha256 == file_sha256(store.local_file(latest))
    assert latest.uri.startswith(str(tmp_path / ".vp" / "artifacts" / "weights" / "timm"))
    assert len(store.records()) == 3


def test_a_stored_file_changed_since_is_refused(tmp_path: Path) -> None:
    store = WeightsStore.from_settings(Settings(home=tmp_path / ".vp"))
    record = put(store, tmp_path, "resnet18", b"weights")
    Path(record.uri).write_bytes(b"tampered")  # type: ignore[attr-defined]
    with pytest.raises(CheckpointError, match="do not match their record's sha256"):
        store.local_file(record)  # type: ignore[arg-type]


def test_uploads_are_refused_by_kind_and_as_soon_as_they_pass_the_limit(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="is not a weights file"):
        save_upload(io.BytesIO(b"x"), tmp_path, name="notes.txt", max_mb=1)
    with pytest.raises(PayloadTooLargeError, match="VP_MAX_WEIGHTS_MB"):
        save_upload(io.BytesIO(b"x" * 3 * 2**20), tmp_path, name="w.pth", max_mb=1)
    saved = save_upload(io.BytesIO(b"abc"), tmp_path, name="../../my w.PTH", max_mb=1)
    assert saved == tmp_path / "my_w.pth" and saved.read_bytes() == b"abc"
