"""Artifact storage: local folders and S3-compatible stores, checksums and verified loading."""

from __future__ import annotations

import hashlib
import json
import os
import time
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


def checkpoint_manifest(
    checkpoint: Path,
    *,
    epoch: int,
    framework: str,
    config_digest: str | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    """What `verify` checks a checkpoint against (sha256, size) and what it records; `sha256`
    when the writer hashed the bytes as it wrote them (else the file is read to hash it)."""
    return {
        "sha256": sha256 or file_sha256(checkpoint),
        "size": checkpoint.stat().st_size,
        "epoch": epoch,
        "framework": framework,
        "config_digest": config_digest,  # sha256 of the run's resolved config
        "saved_at": time.time(),
    }


def write_manifest(checkpoint: Path, manifest: dict[str, Any]) -> None:
    """Write `checkpoint`'s manifest atomically (a reader never sees half of one)."""
    target = manifest_path(checkpoint)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, target)


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


def is_remote(uri: str | None) -> bool:
    """Whether `uri` names an object store (s3://, gs://, …) rather than a local path."""
    return bool(uri) and "://" in str(uri) and not str(uri).startswith("file://")


class ArtifactStore:
    """One API over a local folder or an S3-compatible bucket prefix (through fsspec/s3fs).

    Keys are '/'-separated paths under the root, e.g. `job_7/weights/last.pt`. Credentials
    come from the usual AWS variables (never from our settings); the endpoint (R2, MinIO) from
    `VP_S3_ENDPOINT_URL`.
    """

    def __init__(self, root: str, *, endpoint_url: str | None = None) -> None:
        import fsspec

        self.root = root.rstrip("/")
        options: dict[str, Any] = {}
        if self.root.startswith("s3://") and endpoint_url:
            options["client_kwargs"] = {"endpoint_url": endpoint_url}
        self.fs, self._base = fsspec.core.url_to_fs(self.root, **options)

    def _path(self, key: str) -> str:
        return f"{self._base.rstrip('/')}/{key.lstrip('/')}" if key else self._base

    def uri(self, key: str) -> str:
        return f"{self.root}/{key.lstrip('/')}"

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def put_file(self, local: Path, key: str) -> None:
        target = self._path(key)
        self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)  # a local root needs folders
        self.fs.put_file(str(local), target)

    def get_file(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".{local.name}.download")
        self.fs.get_file(self._path(key), str(tmp))
        tmp.replace(local)

    def delete(self, key: str) -> None:
        self.fs.rm_file(self._path(key))

    def copy(self, src_key: str, dst_key: str) -> None:
        self.fs.copy(self._path(src_key), self._path(dst_key))

    def write_json(self, key: str, data: dict[str, Any]) -> None:
        self.fs.pipe_file(self._path(key), json.dumps(data, indent=1).encode())

    def read_json(self, key: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.fs.cat_file(self._path(key)))
        return data

    def put_files(self, pairs: list[tuple[Path, str]]) -> None:
        """Upload many files (local path, key) in one call, which s3fs runs concurrently."""
        if pairs:
            self.fs.put([str(p) for p, _ in pairs], [self._path(k) for _, k in pairs])

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under `prefix` (nothing there is fine)."""
        path = self._path(prefix)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    def listing(self, prefix: str) -> list[dict[str, Any]]:
        """Files under `prefix`, each with its key (relative to the prefix), size and etag."""
        base = self._path(prefix).rstrip("/")
        found = self.fs.find(base, detail=True)
        rows = []
        for path, info in sorted(found.items()):
            if info.get("type") == "directory":
                continue
            rel = path[len(base) :].lstrip("/")
            etag = info.get("ETag") or info.get("etag") or info.get("mtime") or ""
            rows.append({"key": rel, "size": int(info.get("size") or 0), "etag": str(etag)})
        return rows


def store_for(uri: str, *, endpoint_url: str | None = None) -> tuple[ArtifactStore, str]:
    """The store holding `uri` (its bucket) and the key of `uri` inside it."""
    scheme, _, rest = uri.partition("://")
    bucket, _, key = rest.partition("/")
    return ArtifactStore(f"{scheme}://{bucket}", endpoint_url=endpoint_url), key


def cache_remote_dataset(
    uri: str,
    cache_root: Path,
    *,
    endpoint_url: str | None = None,
    progress: Callable[[str], None] = print,
) -> Path:
    """Download a data set prefix once; later runs reuse it while the listing is unchanged.

    The cache folder is named by a digest of the listing (keys, sizes, etags), so a changed
    object makes a new copy instead of serving stale data.
    """
    store, prefix = store_for(uri.rstrip("/"), endpoint_url=endpoint_url)
    listing = store.listing(prefix)
    if not listing:
        from vision_platform.errors import DatasetError

        raise DatasetError(f"no objects under {uri}")
    digest = hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()[:16]
    target = cache_root / digest
    marker = target / ".complete"
    if marker.exists():
        progress(f"Data set {uri}: using the cached copy in {target}")
        return target
    total = len(listing)
    step = max(1, total // 10)
    for i, row in enumerate(listing, start=1):
        store.get_file(f"{prefix}/{row['key']}" if prefix else row["key"], target / row["key"])
        if i % step == 0 or i == total:
            progress(f"Data set {uri}: downloaded {i}/{total} files")
    marker.write_text(json.dumps({"uri": uri, "files": total}))
    return target
