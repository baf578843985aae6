"""Micro-batching: concurrent single-image requests share one forward pass."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

from vision_platform.adapters.base import InferenceResult


class Thresholds(NamedTuple):
    """A request's detection thresholds; None keeps the model's own."""

    conf: float | None = None
    iou: float | None = None


BatchFn = Callable[[list[Path], Thresholds], list[InferenceResult]]
_Item = tuple[Path, Thresholds, "Future[InferenceResult]"]


class MicroBatcher:
    """Runs queued requests together, waiting for companions only when there is load.

    The worker takes every request already queued (up to `max_batch`). It waits up to
    `max_wait_s` for more only when the previous batch held several requests, and then only
    until as many as last time have come: a lone client never waits, while concurrent clients
    share forward passes, so throughput grows with load. Requests with different thresholds
    collected together run as one forward pass per thresholds. When a pass fails, its items
    are retried one by one, so one bad image fails only its own request.
    """

    def __init__(self, batch_fn: BatchFn, *, max_batch: int = 16, max_wait_s: float = 0.005):
        self._batch_fn = batch_fn
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="micro-batcher", daemon=True)
        self._thread.start()
        self.batches_run = 0
        self._last_size = 1

    def submit(
        self, image: str | Path, thresholds: Thresholds = Thresholds()
    ) -> Future[InferenceResult]:
        future: Future[InferenceResult] = Future()
        self._queue.put((Path(image), thresholds, future))
        return future

    def predict(
        self,
        image: str | Path,
        thresholds: Thresholds = Thresholds(),
        timeout: float | None = None,
    ) -> InferenceResult:
        return self.submit(image, thresholds).result(timeout=timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _collect(self) -> list[_Item] | None:
        first = self._queue.get()
        if first is None:
            return None
        items = [first]
        expected = min(self._last_size, self.max_batch) if self.max_wait_s > 0 else 1
        deadline = time.monotonic() + self.max_wait_s
        while len(items) < self.max_batch:
            remaining = deadline - time.monotonic() if len(items) < expected else 0
            try:
                item = (
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # finish this batch, then stop
                break
            items.append(item)
        self._last_size = len(items)
        return items

    def _work(self) -> None:
        while (items := self._collect()) is not None:
            groups: dict[Thresholds, list[_Item]] = {}
            for item in items:
                groups.setdefault(item[1], []).append(item)
            for thresholds, group in groups.items():
                self.batches_run += 1
                self._run(group, thresholds)

    def _run(self, items: list[_Item], thresholds: Thresholds) -> None:
        try:
            results = self._batch_fn([path for path, _, _ in items], thresholds)
        except Exception as e:
            if len(items) == 1:
                items[0][2].set_exception(e)
            else:
                for item in items:
                    self._run([item], thresholds)
            return
        for (_, _, future), result in zip(items, results, strict=True):
            future.set_result(result)
