"""Model cache (LRU by digest, bounds, one load under concurrency) and micro-batching."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vision_platform.adapters.base import InferenceResult
from vision_platform.inference.batching import MicroBatcher, Thresholds
from vision_platform.inference.cache import ModelCache


class FakeModel:
    task_type = "classification"

    def __init__(self, path: Path, size: int) -> None:
        self.path, self.size, self.warmed = path, size, False

    def warm_up(self) -> None:
        self.warmed = True

    def memory_bytes(self) -> int:
        return self.size

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        return [result(p) for p in image_paths]


def result(path: str | Path) -> InferenceResult:
    return InferenceResult(
        image_path=str(path),
        task_type="classification",
        predicted_label="x",
        confidence=1.0,
        inference_time_ms=0,
        preprocessing_time_ms=0,
        postprocessing_time_ms=0,
    )


def files(tmp_path: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        p = tmp_path / f"m{i}.pt"
        p.write_bytes(f"model {i}".encode())
        paths.append(p)
    return paths


def test_lru_eviction_by_count(tmp_path: Path) -> None:
    loaded: list[Path] = []

    def loader(path: Path, backend: str) -> FakeModel:
        loaded.append(path)
        return FakeModel(path, 1)

    cache = ModelCache(loader, max_models=2)
    a, b, c = files(tmp_path, 3)
    cache.get(a), cache.get(b), cache.get(a), cache.get(c)  # b is least recently used
    assert len(cache) == 2
    cache.get(a)
    cache.get(b)
    assert loaded == [a, b, c, b]
    assert cache.hits == 2


def test_eviction_by_memory_keeps_at_least_one(tmp_path: Path) -> None:
    cache = ModelCache(lambda p, b: FakeModel(p, 600), max_models=10, max_bytes=1000)
    a, b = files(tmp_path, 2)
    cache.get(a)
    cache.get(b)
    assert len(cache) == 1
    assert cache.get(b).path == b  # type: ignore[attr-defined]


def test_same_bytes_share_an_entry_and_a_changed_file_reloads(tmp_path: Path) -> None:
    cache = ModelCache(lambda p, b: FakeModel(p, 1))
    a, copy = tmp_path / "a.pt", tmp_path / "copy.pt"
    a.write_bytes(b"weights")
    copy.write_bytes(b"weights")
    first = cache.get(a)
    assert cache.get(copy) is first
    assert first.warmed  # type: ignore[attr-defined]
    a.write_bytes(b"new weights")
    assert cache.get(a) is not first
    assert cache.get(a, backend="onnx") is not cache.get(a, backend="eager")


def test_a_file_is_hashed_once_whatever_path_names_it_and_again_once_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from vision_platform.inference import cache as cache_module

    hashed: list[Path] = []

    def counting_sha256(path: Path) -> str:
        hashed.append(path)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    monkeypatch.setattr(cache_module, "file_sha256", counting_sha256)
    cache = ModelCache(lambda p, b: FakeModel(p, 1))
    best = tmp_path / "best.pt"
    best.write_bytes(b"one")
    link = tmp_path / "link.pt"
    link.symlink_to(best)
    assert cache.digest(best) == cache.digest(link) == hashlib.sha256(b"one").hexdigest()
    assert cache.digest(tmp_path / ".." / tmp_path.name / "best.pt") == cache.digest(best)
    assert len(hashed) == 1
    # Replaced under its name (a rename, as checkpoints are published), same size and mtime.
    before = best.stat()
    fresh = tmp_path / "best.pt.tmp"
    fresh.write_bytes(b"two")
    os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))
    fresh.replace(best)
    assert cache.digest(best) == hashlib.sha256(b"two").hexdigest()
    assert len(hashed) == 2


def test_concurrent_requests_load_a_model_once(tmp_path: Path) -> None:
    calls = 0
    lock = threading.Lock()

    def slow_loader(path: Path, backend: str) -> FakeModel:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.2)
        return FakeModel(path, 1)

    cache = ModelCache(slow_loader)
    (path,) = files(tmp_path, 1)
    with ThreadPoolExecutor(8) as pool:
        models = list(pool.map(lambda _: cache.get(path), range(16)))
    assert calls == 1
    assert all(m is models[0] for m in models)


def test_concurrent_requests_are_batched_together(tmp_path: Path) -> None:
    sizes: list[int] = []

    def batch_fn(paths: list[Path], _: Thresholds) -> list[InferenceResult]:
        sizes.append(len(paths))
        time.sleep(0.05)
        return [result(p) for p in paths]

    batcher = MicroBatcher(batch_fn, max_batch=8, max_wait_s=0.05)
    try:
        with ThreadPoolExecutor(16) as pool:
            out = list(
                pool.map(lambda i: batcher.predict(tmp_path / f"{i}.png", timeout=10), range(32))
            )
    finally:
        batcher.close()
    assert [r.image_path for r in out] == [str(tmp_path / f"{i}.png") for i in range(32)]
    assert sum(sizes) == 32
    assert max(sizes) > 1 and len(sizes) < 32


def test_one_bad_image_fails_only_its_own_request(tmp_path: Path) -> None:
    def batch_fn(paths: list[Path], _: Thresholds) -> list[InferenceResult]:
        if any(p.name == "bad.png" for p in paths):
            raise OSError("cannot identify image file")
        return [result(p) for p in paths]

    batcher = MicroBatcher(batch_fn, max_batch=8, max_wait_s=0.05)
    try:
        futures = [batcher.submit(tmp_path / n) for n in ("a.png", "bad.png", "c.png")]
        assert futures[0].result(timeout=10).image_path.endswith("a.png")
        with pytest.raises(OSError, match="cannot identify"):
            futures[1].result(timeout=10)
        assert futures[2].result(timeout=10).image_path.endswith("c.png")
    finally:
        batcher.close()


def test_a_lone_request_does_not_wait_for_companions(tmp_path: Path) -> None:
    batcher = MicroBatcher(lambda paths, _: [result(p) for p in paths], max_wait_s=2.0)
    try:
        started = time.perf_counter()
        batcher.predict(tmp_path / "a.png", timeout=10)
        batcher.predict(tmp_path / "b.png", timeout=10)
        assert time.perf_counter() - started < 0.5
    finally:
        batcher.close()


def test_under_load_it_waits_for_as_many_companions_as_last_time(tmp_path: Path) -> None:
    sizes: list[int] = []
    release = threading.Event()

    def batch_fn(paths: list[Path], _: Thresholds) -> list[InferenceResult]:
        sizes.append(len(paths))
        release.wait(10)
        return [result(p) for p in paths]

    batcher = MicroBatcher(batch_fn, max_batch=8, max_wait_s=2.0)
    try:
        first = batcher.submit(tmp_path / "0.png")
        while not sizes:  # the first batch is running: the next three queue up behind it
            time.sleep(0.01)
        queued = [batcher.submit(tmp_path / f"{i}.png") for i in (1, 2, 3)]
        release.set()
        first.result(timeout=10)
        [f.result(timeout=10) for f in queued]
        assert sizes == [1, 3]

        started = time.perf_counter()
        later = [batcher.submit(tmp_path / "4.png")]
        time.sleep(0.2)  # a lone request would have run by now; this one waits for two more
        later += [batcher.submit(tmp_path / f"{i}.png") for i in (5, 6)]
        [f.result(timeout=10) for f in later]
        assert sizes == [1, 3, 3]
        assert time.perf_counter() - started < 1.5  # it stopped waiting once all three came
    finally:
        batcher.close()


def test_requests_with_other_thresholds_share_a_batch_but_not_a_pass(tmp_path: Path) -> None:
    passes: list[tuple[Thresholds, list[str]]] = []
    release = threading.Event()

    def batch_fn(paths: list[Path], thresholds: Thresholds) -> list[InferenceResult]:
        passes.append((thresholds, [p.name for p in paths]))
        release.wait(10)
        return [result(p) for p in paths]

    batcher = MicroBatcher(batch_fn, max_batch=8, max_wait_s=0.05)
    try:
        blocker = batcher.submit(tmp_path / "first.png")
        while not passes:
            time.sleep(0.01)
        low, high = Thresholds(conf=0.05), Thresholds(conf=0.6, iou=0.5)
        futures = [
            batcher.submit(tmp_path / "a.png", low),
            batcher.submit(tmp_path / "b.png", high),
            batcher.submit(tmp_path / "c.png", low),
        ]
        release.set()
        for f in [blocker, *futures]:
            f.result(timeout=10)
    finally:
        batcher.close()
    assert passes == [
        (Thresholds(), ["first.png"]),
        (low, ["a.png", "c.png"]),
        (high, ["b.png"]),
    ]
