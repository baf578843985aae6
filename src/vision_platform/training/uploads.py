"""Background upload of checkpoints to remote artifact storage: retried until the store is back,
never in training's way, and what never landed is named at the end of the run."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_platform.storage import ArtifactStore, manifest_path

# How long `close` waits for pending uploads at the end of a run (VP_UPLOAD_WAIT_SECONDS).
CLOSE_TIMEOUT_S = 600.0
# A failure is reported on the first try and then every this many tries.
_WARN_EVERY = 10


@dataclass
class _Upload:
    snapshot: Path
    name: str  # last.pt | best.pt
    manifest: dict[str, Any]
    if_changed: bool = False  # skip it when the store already holds these bytes
    tries: int = 0


class CheckpointUploader:
    """Uploads each published checkpoint to `<store>/<prefix>/` from a background thread.

    Training never waits for the network: `enqueue` takes a hard link of the file (free, and
    immune to the next epoch replacing last.pt) and returns. While the store cannot be reached,
    the thread retries with exponential back-off (capped, so a store that comes back is used
    soon); a newer checkpoint of a name replaces the one still waiting. Before a new last.pt is
    uploaded, the previous one is copied to last.prev.pt, the fallback when the newer object
    turns out damaged. `close` waits for what is pending and names what never landed.
    """

    def __init__(
        self,
        store: ArtifactStore,
        prefix: str,
        *,
        warn: Callable[[str], None],
        info: Callable[[str], None] = lambda message: None,
        backoff_s: float = 1.0,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.store, self.prefix = store, prefix.strip("/")
        self._warn, self._info = warn, info
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._cond = threading.Condition()
        self._pending: dict[str, _Upload] = {}  # by name: only the newest of each matters
        self._enqueued: set[str] = set()
        self._deadline: float | None = None  # set by close
        self.uploaded: list[str] = []  # "<name>@<epoch>", in order
        self.missing: list[str] = []  # "<name> (epoch <n>)": never landed (set by close)
        self._thread = threading.Thread(target=self._work, name="checkpoint-upload", daemon=True)
        self._thread.start()

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def enqueue(
        self, path: Path, *, name: str, manifest: dict[str, Any], if_changed: bool = False
    ) -> None:
        """Upload `path` as `name` (with its manifest) soon; returns at once."""
        snapshot = path.with_name(f".upload-{name}-{manifest['epoch']}-{time.monotonic_ns()}")
        try:
            os.link(path, snapshot)
        except OSError:
            shutil.copyfile(path, snapshot)
        with self._cond:
            older = self._pending.get(name)
            self._pending[name] = _Upload(snapshot, name, manifest, if_changed)
            self._enqueued.add(name)
            self._cond.notify_all()
        if older is not None:  # superseded before it landed (unlinking one being read is safe)
            older.snapshot.unlink(missing_ok=True)

    def ensure_uploaded(self, weights_dir: Path, names: tuple[str, ...]) -> None:
        """Upload the local `names` this run has not published, unless the store holds them.

        A resumed run with no epochs left, or a best.pt from before the store went away, would
        otherwise never reach it."""
        for name in names:
            path, man = weights_dir / name, manifest_path(weights_dir / name)
            if name in self._enqueued or not (path.is_file() and man.is_file()):
                continue
            with contextlib.suppress(OSError, ValueError):
                self.enqueue(path, name=name, manifest=json.loads(man.read_text()), if_changed=True)

    def _work(self) -> None:
        failures = 0
        while True:
            with self._cond:
                while not self._pending and self._deadline is None:
                    self._cond.wait()
                if not self._pending:
                    return
                item = next(iter(self._pending.values()))
            landed = self._try(item)
            with self._cond:
                if landed:
                    failures = 0
                    if self._pending.get(item.name) is item:
                        del self._pending[item.name]
                    item.snapshot.unlink(missing_ok=True)
                    continue
                failures += 1
                delay = min(self.backoff_s * 2 ** min(failures - 1, 16), self.max_backoff_s)
                if self._deadline is not None:
                    delay = min(delay, self._deadline - time.monotonic())
                    if delay <= 0:
                        return  # close gave up on the store: what is pending is missing
                self._cond.wait(delay)  # a newer checkpoint or close wakes it early

    def _try(self, item: _Upload) -> bool:
        epoch = item.manifest["epoch"]
        target = self.store.uri(self.key(item.name))
        try:
            if item.if_changed and self._stored_sha256(item.name) == item.manifest.get("sha256"):
                return True
            self._upload(item)
        except Exception as e:
            item.tries += 1
            if item.tries % _WARN_EVERY == 1:
                self._warn(
                    f"upload of {item.name} (epoch {epoch}) to {target} failed "
                    f"({type(e).__name__}: {e}); try {item.tries}, retrying until the store is back"
                )
            return False
        self.uploaded.append(f"{item.name}@{epoch}")
        after = f" after {item.tries + 1} tries" if item.tries else ""
        self._info(f"Uploaded {item.name} (epoch {epoch}) to {target}{after}")
        return True

    def _stored_sha256(self, name: str) -> str | None:
        key = f"{self.key(name)}.json"
        return self.store.read_json(key).get("sha256") if self.store.exists(key) else None

    def _upload(self, item: _Upload) -> None:
        key = self.key(item.name)
        if item.name == "last.pt" and self.store.exists(key):
            self.store.copy(key, self.key("last.prev.pt"))
            if self.store.exists(f"{key}.json"):
                self.store.copy(f"{key}.json", self.key("last.prev.pt.json"))
        self.store.put_file(item.snapshot, key)
        self.store.write_json(f"{key}.json", item.manifest)

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> list[str]:
        """Wait for pending uploads (at most `timeout` s), then stop; what never landed."""
        with self._cond:
            self._deadline = time.monotonic() + timeout
            self._cond.notify_all()
        self._thread.join(timeout + 1.0)
        with self._cond:
            left = list(self._pending.values())
            self.missing = [f"{u.name} (epoch {u.manifest['epoch']})" for u in left]
        if not self._thread.is_alive():
            for upload in left:
                upload.snapshot.unlink(missing_ok=True)
        if self.missing:
            self._warn(
                f"checkpoint uploads missing from {self.store.uri(self.prefix)} after "
                f"{timeout:.0f} s: {', '.join(self.missing)}"
            )
        return self.missing
