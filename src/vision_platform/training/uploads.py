"""Background upload of checkpoints to remote artifact storage, retried and never lost silently."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_platform.storage import ArtifactStore

# How long `close` waits for pending uploads at the end of a run.
CLOSE_TIMEOUT_S = 600.0


@dataclass
class _Upload:
    snapshot: Path
    name: str  # last.pt | best.pt
    manifest: dict[str, Any]


class CheckpointUploader:
    """Uploads each published checkpoint to `<store>/<prefix>/` from a background thread.

    Training never waits for the network: `enqueue` takes a hard link of the file (free, and
    immune to the next epoch replacing last.pt) and returns. Uploads are retried with
    exponential back-off; a newer last.pt supersedes one still waiting. Before a new last.pt
    is uploaded, the previous one is copied to last.prev.pt, the fallback when the newer
    object turns out damaged. `close` waits for what is pending and reports what failed.
    """

    def __init__(
        self,
        store: ArtifactStore,
        prefix: str,
        *,
        warn: Callable[[str], None],
        info: Callable[[str], None] = lambda message: None,
        retries: int = 5,
        backoff_s: float = 1.0,
    ) -> None:
        self.store, self.prefix = store, prefix.strip("/")
        self._warn, self._info = warn, info
        self.retries, self.backoff_s = retries, backoff_s
        self._queue: queue.Queue[_Upload | None] = queue.Queue()
        self._latest: dict[str, int] = {}
        self._lock = threading.Lock()
        self.uploaded: list[str] = []
        self.failed: list[str] = []
        self._thread = threading.Thread(target=self._work, name="checkpoint-upload", daemon=True)
        self._thread.start()

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def enqueue(self, path: Path, *, name: str, manifest: dict[str, Any]) -> None:
        snapshot = path.with_name(f".upload-{name}-{manifest['epoch']}-{time.monotonic_ns()}")
        try:
            os.link(path, snapshot)
        except OSError:
            import shutil

            shutil.copyfile(path, snapshot)
        with self._lock:
            self._latest[name] = self._latest.get(name, 0) + 1
            manifest = {**manifest, "_seq": self._latest[name]}
        self._queue.put(_Upload(snapshot, name, manifest))

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            with self._lock:
                superseded = item.manifest["_seq"] < self._latest[item.name]
            if not superseded:
                self._upload_with_retries(item)
            item.snapshot.unlink(missing_ok=True)

    def _upload_with_retries(self, item: _Upload) -> None:
        manifest = {k: v for k, v in item.manifest.items() if k != "_seq"}
        for attempt in range(1, self.retries + 1):
            try:
                self._upload(item, manifest)
            except Exception as e:
                if attempt == self.retries:
                    self.failed.append(item.name)
                    self._warn(
                        f"upload of {item.name} (epoch {manifest['epoch']}) to "
                        f"{self.store.uri(self.key(item.name))} failed {attempt} times: "
                        f"{type(e).__name__}: {e}"
                    )
                    return
                self._warn(
                    f"upload of {item.name} failed ({type(e).__name__}: {e}); "
                    f"retry {attempt}/{self.retries - 1}"
                )
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            else:
                self.uploaded.append(f"{item.name}@{manifest['epoch']}")
                self._info(
                    f"Uploaded {item.name} (epoch {manifest['epoch']}) to "
                    f"{self.store.uri(self.key(item.name))}"
                )
                return

    def _upload(self, item: _Upload, manifest: dict[str, Any]) -> None:
        key = self.key(item.name)
        if item.name == "last.pt" and self.store.exists(key):
            self.store.copy(key, self.key("last.prev.pt"))
            if self.store.exists(f"{key}.json"):
                self.store.copy(f"{key}.json", self.key("last.prev.pt.json"))
        self.store.put_file(item.snapshot, key)
        self.store.write_json(f"{key}.json", manifest)

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Wait for pending uploads (at most `timeout`), then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._warn(f"checkpoint uploads still pending after {timeout:.0f} s; giving up")
