"""A thread-safe LRU cache of loaded models, keyed by checkpoint digest and backend."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from vision_platform.adapters.base import InferenceResult
from vision_platform.storage import file_sha256, manifest_path


class LoadedModel(Protocol):
    """What the cache holds: anything that predicts batches (an adapter or an ONNX session)."""

    task_type: str

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]: ...

    def warm_up(self) -> None: ...

    def memory_bytes(self) -> int: ...


Loader = Callable[[Path, str], LoadedModel]


@dataclass
class _Entry:
    model: LoadedModel
    size: int


class ModelCache:
    """Keeps recently used models loaded, bounded by count and by memory.

    Keys are (sha256 of the file, backend), so a checkpoint replaced under the same name is
    loaded anew while a copy under another name shares the entry. A model is loaded and warmed
    up once even when many threads ask for it at the same time.
    """

    def __init__(self, loader: Loader, *, max_models: int = 4, max_bytes: int = 4 << 30) -> None:
        self._loader = loader
        self.max_models = max_models
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        # (device, inode, mtime, size) → sha256: a stat names a file's content without
        # resolving its path (which costs a system call per path component).
        self._digests: dict[tuple[int, int, int, int], str] = {}
        self.loads = 0
        self.hits = 0

    def digest(self, path: Path) -> str:
        """The file's sha256; from its manifest when the manifest matches, else hashed once."""
        st = path.stat()
        memo_key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if memo_key in self._digests:
                return self._digests[memo_key]
        digest = _manifest_digest(path, st.st_size) or file_sha256(path)
        with self._lock:
            self._digests[memo_key] = digest
        return digest

    def get(self, path: str | Path, backend: str = "eager") -> LoadedModel:
        path = Path(path)
        key = (self.digest(path), backend)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key].model
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._entries:  # loaded by another thread while we waited
                    self.hits += 1
                    return self._entries[key].model
            model = self._loader(path, backend)
            model.warm_up()
            entry = _Entry(model, model.memory_bytes())
            with self._lock:
                self._entries[key] = entry
                self.loads += 1
                self._evict()
                self._loading.pop(key, None)
        return model

    def _evict(self) -> None:
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_models
            or sum(e.size for e in self._entries.values()) > self.max_bytes
        ):
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _manifest_digest(path: Path, size: int) -> str | None:
    import json

    man = manifest_path(path)
    if not man.is_file() or os.path.getmtime(man) < os.path.getmtime(path):
        return None
    try:
        data = json.loads(man.read_text())
    except ValueError:
        return None
    digest = data.get("sha256")
    return digest if isinstance(digest, str) and data.get("size") == size else None
