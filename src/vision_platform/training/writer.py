"""Checkpoints off the critical path: an in-memory snapshot, and one background writer thread.

`Snapshots.take(state)` copies a checkpoint's state (state dicts hold the training tensors
themselves) so that training may go on changing them; `BackgroundWriter` runs one write at a
time on its own thread, and `submit` first waits for the write before it, so memory never
holds more than one snapshot being written.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Snapshots:
    """Takes snapshots of checkpoint states, reusing the storages of the one before.

    A snapshot copies every tensor's storage once (to the CPU), and tensors that shared a
    storage share its copy, so `torch.save` writes it exactly as it would the original
    (storages, offsets, strides); dicts keep their class and attributes (a state dict's
    `_metadata`); anything else is deep-copied. The copies of the previous snapshot are
    copied into again when their sizes match (a run's states keep their shapes), which spares
    allocating and faulting in a model's worth of memory each epoch: take a new snapshot only
    once the write of the one before has finished."""

    def __init__(self) -> None:
        self._kept: list[Any] = []  # the previous snapshot's storage copies, in order

    def take(self, state: Any) -> Any:
        taking = _Taking(self._kept)
        copied = taking.copy(state)
        self._kept = taking.used
        return copied


class _Taking:
    def __init__(self, spares: list[Any]) -> None:
        self._spares = iter(spares)
        self._storages: dict[tuple[str, int], Any] = {}
        self.used: list[Any] = []

    def copy(self, value: Any) -> Any:
        import torch

        if isinstance(value, torch.Tensor):
            return self._tensor(value)
        if isinstance(value, dict):
            out = type(value)((key, self.copy(item)) for key, item in value.items())
            if getattr(value, "__dict__", None):
                out.__dict__.update(copy.deepcopy(vars(value)))
            return out
        if type(value) is list:
            return [self.copy(item) for item in value]
        if type(value) is tuple:
            return tuple(self.copy(item) for item in value)
        return copy.deepcopy(value)

    def _tensor(self, tensor: Any) -> Any:
        import torch

        tensor = tensor.detach()
        if tensor.layout != torch.strided or tensor.is_quantized:
            return tensor.to("cpu", copy=True)
        source = tensor.untyped_storage()
        key = (str(source.device), source.data_ptr())
        copied = self._storages.get(key)
        if copied is None:
            copied = self._storages[key] = self._storage(source)
        out = torch.empty((0,), dtype=tensor.dtype)
        return out.set_(copied, tensor.storage_offset(), tensor.size(), tensor.stride())

    def _storage(self, source: Any) -> Any:
        spare = next(self._spares, None)
        if spare is not None and spare.nbytes() == source.nbytes():
            copied = spare.copy_(source)
        else:
            copied = source.clone() if source.device.type == "cpu" else source.cpu()
        self.used.append(copied)
        return copied


def snapshot(state: Any) -> Any:
    """A copy of `state` that later training steps cannot change (see `Snapshots`)."""
    return Snapshots().take(state)


class BackgroundWriter:
    """Runs writes on one background thread, at most one in flight.

    `submit` waits for the write in flight (raising its error, if it failed) before it hands
    over the next one; `wait` waits for it and raises its error. `when_done(fn)` runs `fn`
    after the write in flight (on the writer thread; at once when none is in flight; never
    when it failed), in the order given. The thread starts with the first write."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._inflight: Future[None] | None = None
        self._lock = threading.Lock()
        self._then: list[Callable[[], None]] | None = None  # None: nothing in flight

    @property
    def busy(self) -> bool:
        """Whether a write is in flight."""
        return self._inflight is not None and not self._inflight.done()

    def submit(self, write: Callable[[], None]) -> None:
        self.wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint-writer")
        with self._lock:
            self._then = []
        self._inflight = self._pool.submit(self._run, write)

    def when_done(self, fn: Callable[[], None]) -> None:
        with self._lock:
            if self._then is not None:
                self._then.append(fn)
                return
        fn()

    def _run(self, write: Callable[[], None]) -> None:
        try:
            write()
        except BaseException:
            with self._lock:
                self._then = None  # a failed write runs none of what waited for it
            raise
        while True:
            with self._lock:
                todo = self._then or []
                self._then = [] if todo else None
            if not todo:
                return
            for fn in todo:
                fn()

    def wait(self) -> None:
        """Wait for the write in flight; its exception, if it failed, is raised here (once)."""
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            inflight.result()

    def close(self) -> None:
        """Wait for the write in flight and stop the thread (an error is raised by `wait`)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
