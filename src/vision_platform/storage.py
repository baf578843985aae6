"""Artifact files: checksums, manifests and verified loading (S3-compatible storage comes later)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vision_platform.errors import CheckpointError

Reader = Callable[[Path], dict[str, Any]]


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def manifest_path(checkpoint: Path) -> Path:
    return checkpoint.with_name(checkpoint.name + ".json")


def torch_reader(path: Path) -> dict[str, Any]:
    """Read one of our checkpoints: tensors and plain data only (weights_only)."""
    import torch

    state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return state


def verify(path: Path) -> str | None:
    """The problem with a checkpoint file against its manifest, or None when it checks out."""
    if not path.is_file():
        return "missing"
    man = manifest_path(path)
    if not man.is_file():
        return None  # written by hand or by an older version: only loading can tell
    try:
        expected = json.loads(man.read_text())
    except (OSError, ValueError) as e:
        return f"unreadable manifest {man.name}: {e}"
    size = path.stat().st_size
    if size != expected.get("size"):
        return f"size {size} bytes, manifest says {expected.get('size')} (truncated?)"
    if file_sha256(path) != expected.get("sha256"):
        return "sha256 does not match its manifest (corrupt?)"
    return None


def load_verified(path: Path, reader: Reader = torch_reader) -> dict[str, Any]:
    """Load a checkpoint after checking it; CheckpointError (never a pickle traceback) if bad."""
    problem = verify(path)
    if problem:
        raise CheckpointError(f"checkpoint {path} is unusable: {problem}")
    try:
        return reader(path)
    except Exception as e:
        raise CheckpointError(f"checkpoint {path} is unusable: {type(e).__name__}: {e}") from e
