"""Micro-batching: concurrent single-image requests share one forward pass."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from vision_platform.adapters.base import InferenceResult

BatchFn = Callable[[list[Path]], list[InferenceResult]]


class MicroBatcher:
    """Collects requests for up to `max_wait_s` (or `max_batch` items) and runs them together.

    Throughput then grows with load while a lone request waits at most `max_wait_s`. When a
    batch fails, its items are retried one by one, so one bad image fails only its own request.
    """

    def __init__(self, batch_fn: BatchFn, *, max_batch: int = 16, max_wait_s: float = 0.005):
        self._batch_fn = batch_fn
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[tuple[Path, Future[InferenceResult]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="micro-batcher", daemon=True)
        self._thread.start()
        self.batches_run = 0

    def submit(self, image: str | Path) -> Future[InferenceResult]:
        future: Future[InferenceResult] = Future()
        self._queue.put((Path(image), future))
        return future

    def predict(self, image: str | Path, timeout: float | None = None) -> InferenceResult:
        return self.submit(image).result(timeout=timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _collect(self) -> list[tuple[Path, Future[InferenceResult]]] | None:
        first = self._queue.get()
        if first is None:
            return None
        items = [first]
        deadline = time.monotonic() + self.max_wait_s
        while len(items) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                item = (
                    self._queue.get(timeout=max(remaining, 0))
                    if remaining > 0
                    else (self._queue.get_nowait())
                )
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # finish this batch, then stop
                break
            items.append(item)
        return items

    def _work(self) -> None:
        while (items := self._collect()) is not None:
            self.batches_run += 1
            try:
                results = self._batch_fn([path for path, _ in items])
            except Exception:
                for path, future in items:
                    self._run_one(path, future)
                continue
            for (_, future), result in zip(items, results, strict=True):
                future.set_result(result)

    def _run_one(self, path: Path, future: Future[InferenceResult]) -> None:
        try:
            future.set_result(self._batch_fn([path])[0])
        except Exception as e:
            future.set_exception(e)
