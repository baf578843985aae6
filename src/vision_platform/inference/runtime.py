"""The inference side of a running server: one predictor, its micro-batchers, test runs."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from vision_platform.inference.batching import MicroBatcher
from vision_platform.inference.predictor import Backend, Predictor
from vision_platform.inference.test_runs import TestRunStore

log = logging.getLogger(__name__)


class InferenceRuntime:
    """Shared by all requests: models stay warm, concurrent requests share forward passes."""

    def __init__(
        self,
        *,
        home: Path,
        batch_wait_ms: float,
        max_batch: int = 16,
        s3_endpoint_url: str | None = None,
    ) -> None:
        self.predictor = Predictor()
        self.test_runs = TestRunStore(
            home / "test_runs",
            self.predictor,
            dataset_cache=home / "cache" / "datasets",
            s3_endpoint_url=s3_endpoint_url,
        )
        self._batch_wait_s = batch_wait_ms / 1000
        self._max_batch = max_batch
        self._batchers: dict[tuple[Path, str], MicroBatcher] = {}
        self._lock = threading.Lock()

    def batcher(self, model_path: Path, backend: Backend) -> MicroBatcher:
        key = (model_path, backend)
        with self._lock:
            if key not in self._batchers:
                self._batchers[key] = MicroBatcher(
                    lambda paths, thresholds: self.predictor.predict(
                        model_path,
                        paths,
                        backend=backend,
                        batch_size=self._max_batch,
                        conf_threshold=thresholds.conf,
                        iou_threshold=thresholds.iou,
                    ),
                    max_batch=self._max_batch,
                    max_wait_s=self._batch_wait_s,
                )
            return self._batchers[key]

    def warm(self, model_path: Path, backend: Backend) -> None:
        """Load a model into the cache in the background, before requests ask for it (a model
        that fails to load fails there, on first use, with its error)."""
        threading.Thread(
            target=self._warm, args=(model_path, backend), name="vp-warm-up", daemon=True
        ).start()

    def _warm(self, model_path: Path, backend: Backend) -> None:
        try:
            self.predictor.cache.get(model_path, backend)
        except Exception:
            log.warning("warming up %s (%s) failed", model_path, backend, exc_info=True)

    def close(self) -> None:
        with self._lock:
            for batcher in self._batchers.values():
                batcher.close()
            self._batchers.clear()
