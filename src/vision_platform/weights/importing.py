"""Taking a weights file into the store: size limit, sha256, checked by its framework's adapter."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol

from vision_platform.errors import InvalidInputError, PayloadTooLargeError
from vision_platform.storage import file_sha256
from vision_platform.weights.store import WeightsFormat, WeightsRecord, WeightsStore


@dataclass(frozen=True)
class InspectedWeights:
    """What an adapter found in a weights file, and the file to store (a safetensors state
    dict made from a .pth or a platform checkpoint, or the framework's own checkpoint)."""

    file: Path
    format: WeightsFormat
    kind: str  # "state dict", "platform checkpoint", "Ultralytics checkpoint"
    num_classes: int | None
    tensors: int | None


class WeightsReader(Protocol):
    """What importing needs of an adapter class."""

    framework: ClassVar[str]

    @classmethod
    def check_model_name(cls, model_name: str) -> None: ...

    @classmethod
    def inspect_weights(
        cls, model_name: str, path: Path, *, work_dir: Path, trusted: bool
    ) -> InspectedWeights: ...


def check_weights_size(num_bytes: int, *, max_mb: float, name: str) -> None:
    if num_bytes > max_mb * 2**20:
        raise PayloadTooLargeError(
            f"{name}: {num_bytes / 2**20:.1f} MB is over the {max_mb:g} MB limit for weights "
            "files (VP_MAX_WEIGHTS_MB)"
        )


SUFFIXES = (".safetensors", ".pth", ".pt", ".bin")


def save_upload(source: BinaryIO, folder: Path, *, name: str, max_mb: float) -> Path:
    """An uploaded weights file written to `folder` under a safe name, read in chunks and
    refused (413) as soon as it passes the limit."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInputError(f"file: {name!r} is not a weights file ({', '.join(SUFFIXES)})")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).stem) or "upload"
    target, written = folder / f"{safe}{suffix}", 0
    with open(target, "wb") as out:
        while chunk := source.read(2**20):
            written += len(chunk)
            check_weights_size(written, max_mb=max_mb, name=name)
            out.write(chunk)
    return target


def import_weights(
    store: WeightsStore,
    reader: type[WeightsReader],
    *,
    model_name: str,
    file: Path,
    source_name: str,
    max_mb: float,
    trusted: bool,
) -> WeightsRecord:
    """Check `file` as weights of `model_name` and store it; its record.

    `trusted`: the file comes from this machine's user (`vp weights import`), who may name a
    pickle (Ultralytics' .pt); uploads are read as tensors only."""
    check_weights_size(file.stat().st_size, max_mb=max_mb, name=source_name)
    reader.check_model_name(model_name)
    source_sha256 = file_sha256(file)
    with tempfile.TemporaryDirectory(prefix="vp-weights-") as tmp:
        inspected = reader.inspect_weights(model_name, file, work_dir=Path(tmp), trusted=trusted)
        return store.put(
            inspected.file,
            framework=reader.framework,
            model_name=model_name,
            format=inspected.format,
            source_name=source_name,
            source_sha256=source_sha256,
            source_kind=inspected.kind,
            num_classes=inspected.num_classes,
            tensors=inspected.tensors,
        )


def copy_as_is(path: Path, work_dir: Path) -> Path:
    """A copy of `path` to store unchanged (the framework's own checkpoint format)."""
    target = work_dir / path.name
    shutil.copyfile(path, target)
    return target
