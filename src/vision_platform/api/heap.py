"""The garbage collector of a serving process (`vp serve`, each of its workers).

CPython's full collection walks every object that can hold references, and a server holds a
few hundred thousand of them (its modules, classes and functions; each open SSE stream's
coroutines and queues). With the defaults (a young collection every 700 net allocations), the
objects of the requests in flight at each young collection survive into the old generation, a
full collection follows about once a second, and every request of the process waits for it:
~200 ms on the 2-core machine of docs/benchmarks.md, which was the whole p99 of the hot reads.

So, once the server is built: collect what start-up left, freeze the rest (what is alive then
lives as long as the process, and a full collection no longer walks it), and collect the young
generation after 50,000 net allocations, so that what a request allocates is mostly freed by
reference counting before a collection promotes it. Every collection's pause is counted in
`/metrics` (`vp_gc_pause_seconds`, by generation).

A framework imported later (the first prediction loads torch and timm: ~350,000 more objects)
would make full collections as slow as before, so a full collection that ends with more modules
loaded than the last freeze knew freezes again: what survives a full collection right then is
the framework and the model, which live as long as the process."""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from vision_platform.api.metrics import process_metrics

YOUNG_THRESHOLD = 50_000


def settle() -> None:
    """Collect, freeze what is left, raise the young generation's threshold, time each pause."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    if not any(isinstance(c, _PauseTimer) for c in gc.callbacks):
        gc.callbacks.append(_PauseTimer())


class _PauseTimer:
    """A `gc.callbacks` entry that observes each collection's duration, and freezes again
    after a full collection once more modules are loaded than at the last freeze."""

    def __init__(self) -> None:
        # One series per generation, each counted from 0, also before its first pause.
        pauses = process_metrics().gc_pauses
        self._pauses = tuple(pauses.labels(str(generation)) for generation in range(3))
        self._started = 0.0
        self._modules = len(sys.modules)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._pauses[info["generation"]].observe(time.perf_counter() - self._started)
            if info["generation"] == 2 and len(sys.modules) != self._modules:
                self._modules = len(sys.modules)
                gc.freeze()
