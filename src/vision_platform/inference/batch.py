"""Production batch inference: `vp infer-batch --spec FILE`, a resumable run like `vp train`.

The run writes one JSON line per input image, in input order, to a local `.jsonl` file and
flushes each batch; the number of complete lines is therefore how far it got. Restarted, it
drops a trailing partial line (the kill came mid-write) and goes on after the last complete one,
so that every image appears exactly once. SIGTERM finishes the current batch and exits 75.

An s3:// `output_path` is written locally in a work folder as well: the file so far is uploaded
beside the output as `<output_path>.partial` every `upload_every_s` and when the run stops, so
that a run restarted elsewhere (a new Kubernetes pod) goes on from it; the finished file is
uploaded to `output_path` and the partial copy removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vision_platform.configs import BatchInferenceSpec
from vision_platform.datasets.images import IMAGE_SUFFIXES
from vision_platform.errors import (
    EXIT_OK,
    EXIT_RESUMABLE,
    InvalidInputError,
    VisionPlatformError,
)
from vision_platform.storage import is_remote, store_for

__all__ = ["BatchInferenceSpec", "BatchRunner", "ResultWriter", "list_inputs"]

_PROGRESS_EVERY_S = 0.5

Report = Callable[[str, dict[str, Any]], None]


def _is_image_name(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_SUFFIXES


def list_inputs(spec: BatchInferenceSpec, *, endpoint_url: str | None = None) -> list[str]:
    """The run's images in a stable order: the given list, or the prefix's images sorted."""
    if spec.input_images is not None:
        return list(spec.input_images)
    prefix = spec.input_prefix
    assert prefix is not None  # the spec's validator: exactly one of the two
    if is_remote(prefix):
        store, key = store_for(prefix.rstrip("/"), endpoint_url=endpoint_url)
        rows = store.listing(key)
        return sorted(
            f"{prefix.rstrip('/')}/{row['key']}" for row in rows if _is_image_name(row["key"])
        )
    folder = Path(prefix)
    if not folder.is_dir():
        raise InvalidInputError(f"input_prefix: {prefix!r} is not a folder")
    return sorted(str(p) for p in folder.rglob("*") if p.is_file() and _is_image_name(p.name))


class ResultWriter:
    """The output file: counts the complete lines already there and appends whole batches."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def complete_lines(self) -> int:
        """Complete lines in the file, after cutting off a partial last line (a crash mid-write)."""
        if not self.path.is_file():
            return 0
        with open(self.path, "rb+") as f:
            data = f.read()
            end = data.rfind(b"\n") + 1
            if end < len(data):
                f.truncate(end)
        return data.count(b"\n", 0, end)

    def append(self, lines: Sequence[dict[str, Any]]) -> None:
        """Write one batch's lines and make them durable before the run counts them as done."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())


@dataclass
class _Progress:
    report: Report
    total: int
    last_sent: float = 0.0

    def __call__(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_sent >= _PROGRESS_EVERY_S:
            self.report("progress", {"done": done, "total": self.total})
            self.last_sent = now


class BatchRunner:
    """Runs one BatchInferenceSpec; `run()` returns the exit code (0 done, 75 stopped)."""

    def __init__(
        self,
        spec: BatchInferenceSpec,
        *,
        report: Report | None = None,
        stop_reason: Callable[[], str | None] = lambda: None,
        item_delay_seconds: float = 0.0,
        endpoint_url: str | None = None,
        work_dir: Path | None = None,
        upload_every_s: float = 30.0,
    ) -> None:
        self.spec = spec
        self.report: Report = report or (lambda kind, payload: None)
        self.stop_reason = stop_reason
        self.item_delay_seconds = item_delay_seconds
        self.endpoint_url = endpoint_url
        self.remote = _RemoteOutput(spec.output_path, endpoint_url, upload_every_s)
        if self.remote.enabled:
            if work_dir is None:
                raise InvalidInputError("an s3:// output_path needs a local work folder")
            self.writer = ResultWriter(work_dir / "results.jsonl")
        else:
            self.writer = ResultWriter(Path(spec.output_path))

    def _log(self, message: str) -> None:
        print(message, flush=True)
        self.report("log", {"message": message})

    def run(self) -> int:
        model_path = Path(self.spec.model_path)
        if not model_path.is_file():
            raise InvalidInputError(f"model_path: {self.spec.model_path!r} does not exist")
        images = list_inputs(self.spec, endpoint_url=self.endpoint_url)
        if not images:
            raise InvalidInputError("no images to predict (the input list or prefix is empty)")
        self.remote.restore(self.writer.path)
        done = self.writer.complete_lines()
        if done > len(images):
            raise InvalidInputError(
                f"output_path: {self.spec.output_path} already holds {done} lines for "
                f"{len(images)} images: it belongs to another run"
            )
        progress = _Progress(self.report, len(images))
        if done:
            self._log(f"Resuming batch inference at image {done + 1}/{len(images)}")
        else:
            self._log(f"Batch inference of {len(images)} image(s) started")
        progress(done, force=True)
        from vision_platform.inference.predictor import Predictor

        predictor = Predictor()
        size = self.spec.batch_size
        while done < len(images):
            reason = self.stop_reason()
            if reason is not None:
                self.remote.save_partial(self.writer.path, force=True)
                self._log(f"Stopped ({reason}) after {done}/{len(images)} images; resumable")
                progress(done, force=True)
                return EXIT_RESUMABLE
            chunk = images[done : done + size]
            self.writer.append(self._predict(predictor, chunk))
            done += len(chunk)
            if done < len(images):
                self.remote.save_partial(self.writer.path)
            progress(done, force=done == len(images))
        self.remote.finish(self.writer.path)
        self._log(f"Batch inference completed: {len(images)} image(s) to {self.spec.output_path}")
        return EXIT_OK

    def _predict(self, predictor: Any, chunk: list[str]) -> list[dict[str, Any]]:
        """One line per image of the chunk, in order; a bad image gets an error line."""
        from vision_platform.inference.images import check_image

        with self._local_copies(chunk) as local:
            lines: list[dict[str, Any] | None] = [None] * len(chunk)
            good: list[int] = []
            for i, path in enumerate(local):
                try:
                    check_image(Path(path), name=chunk[i])
                    good.append(i)
                except (VisionPlatformError, OSError) as e:
                    lines[i] = {"image_path": chunk[i], "error": str(e)}
            for i, result in self._infer(predictor, [local[i] for i in good], good):
                result["image_path"] = chunk[i]  # the name the user gave, not a local copy
                lines[i] = result
            if self.item_delay_seconds:
                time.sleep(self.item_delay_seconds * len(chunk))
        return [line if line is not None else {} for line in lines]

    def _infer(
        self, predictor: Any, paths: list[str], indexes: list[int]
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """Predict the chunk in one pass; when that fails, image by image to find the bad one."""
        if not paths:
            return
        kwargs = {"backend": self.spec.backend, "batch_size": self.spec.batch_size}
        try:
            results = predictor.predict(self.spec.model_path, paths, **kwargs)
        except InvalidInputError:
            raise  # the model itself is unusable: not one image's fault
        except Exception:
            for i, path in zip(indexes, paths, strict=True):
                try:
                    [one] = predictor.predict(self.spec.model_path, [path], **kwargs)
                    yield i, one.model_dump(mode="json")
                except Exception as e:  # one bad file never stops the batch
                    yield i, {"image_path": path, "error": f"{type(e).__name__}: {e}"}
            return
        for i, result in zip(indexes, results, strict=True):
            yield i, result.model_dump(mode="json")

    @contextmanager
    def _local_copies(self, chunk: list[str]) -> Iterator[list[str]]:
        """The chunk as local files: s3:// images are downloaded to a temporary folder."""
        if not any(is_remote(p) for p in chunk):
            yield chunk
            return
        with tempfile.TemporaryDirectory(prefix="vp-batch-") as tmp:
            local = []
            for i, uri in enumerate(chunk):
                if not is_remote(uri):
                    local.append(uri)
                    continue
                target = Path(tmp) / f"{i}{Path(uri).suffix}"
                try:
                    store, key = store_for(uri, endpoint_url=self.endpoint_url)
                    store.get_file(key, target)
                except Exception:  # a missing object: check_image gives that image its error
                    pass
                local.append(str(target))
            yield local


class _RemoteOutput:
    """Uploads of the local results file when `output_path` is in an object store."""

    def __init__(self, uri: str, endpoint_url: str | None, every_s: float) -> None:
        self.enabled = is_remote(uri)
        self.uri = uri
        self.endpoint_url = endpoint_url
        self.every_s = every_s
        self._last = time.monotonic()

    def _store(self) -> tuple[Any, str]:
        return store_for(self.uri, endpoint_url=self.endpoint_url)

    def restore(self, local: Path) -> None:
        """Take the uploaded partial file when this machine has no file of the run."""
        if not self.enabled or local.exists():
            return
        store, key = self._store()
        if store.exists(f"{key}.partial"):
            store.get_file(f"{key}.partial", local)

    def save_partial(self, local: Path, *, force: bool = False) -> None:
        if not self.enabled or not local.exists():
            return
        if force or time.monotonic() - self._last >= self.every_s:
            store, key = self._store()
            store.put_file(local, f"{key}.partial")
            self._last = time.monotonic()

    def finish(self, local: Path) -> None:
        if not self.enabled:
            return
        store, key = self._store()
        store.put_file(local, key)
        if store.exists(f"{key}.partial"):
            store.delete(f"{key}.partial")


def run_spec(spec: BatchInferenceSpec) -> int:
    """Run a spec as a platform job: stop on SIGTERM, report progress over HTTP when asked."""
    from vision_platform.settings import get_settings
    from vision_platform.worker.callback import callback_sinks
    from vision_platform.worker.interrupts import StopController

    settings = get_settings()
    if is_remote(spec.output_path):
        digest = hashlib.sha256(spec.output_path.encode()).hexdigest()[:16]
        work_dir = settings.home / "batch" / digest
        work_dir.mkdir(parents=True, exist_ok=True)
    else:
        work_dir = Path(spec.output_path).parent
    sinks = callback_sinks(job_id=spec.job_id, output_dir=work_dir)

    def report(kind: str, payload: dict[str, Any]) -> None:
        for sink in sinks:
            sink(kind, payload)

    stop = StopController(max_stage_seconds=None)
    stop.install()
    try:
        runner = BatchRunner(
            spec,
            report=report,
            stop_reason=stop.stop_reason,
            item_delay_seconds=settings.batch_item_delay_seconds,
            endpoint_url=settings.s3_endpoint_url,
            work_dir=work_dir,
        )
        return runner.run()
    finally:
        stop.uninstall()
        for sink in sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close()
