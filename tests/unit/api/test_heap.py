"""The serving process's garbage collector (`api/heap.py`), checked in a process of its own:
settling freezes what start-up left alive, raises the young generation's threshold and counts
every collection's pause for /metrics, and freezes again what a later import brought; the test
process's own collector is left alone."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from vision_platform.api import heap
from vision_platform.api.metrics import process_metrics

def counted(generation):
    labels = {"generation": str(generation)}
    registry = process_metrics().registry
    return {
        "count": registry.get_sample_value("vp_gc_pause_seconds_count", labels),
        "seconds": registry.get_sample_value("vp_gc_pause_seconds_sum", labels),
    }

before = gc.get_freeze_count()
heap.settle()
frozen = gc.get_freeze_count()
untimed = counted(2)
heap.settle()  # again: its full collection is timed, and there is still one timer
gc.collect(0)
frozen_again = gc.get_freeze_count()
gc.collect()  # nothing new loaded: nothing more frozen
unchanged = gc.get_freeze_count()
import xml.dom.minidom  # a module loaded later: the next full collection freezes it too
gc.collect()
print(json.dumps({
    "before": before,
    "frozen": frozen,
    "frozen_again": frozen_again,
    "unchanged": unchanged,
    "after_import": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "timers": sum(type(c).__name__ == "_PauseTimer" for c in gc.callbacks),
    "untimed_full": untimed["count"],
    "full": counted(2)["count"],
    "young": counted(0)["count"],
    "full_seconds": counted(2)["seconds"],
}))
"""


def test_settle_freezes_the_heap_raises_the_threshold_and_times_each_pause() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    found = json.loads(out)
    assert found["before"] == 0
    assert found["frozen"] > 10_000  # the modules, classes and functions of a loaded app
    assert found["frozen_again"] >= found["frozen"]
    assert found["threshold"][0] == 50_000
    assert found["timers"] == 1
    assert found["untimed_full"] == 0  # settle's own collection ran before the timer
    assert found["full"] == 3 and found["young"] == 1
    assert found["unchanged"] == found["frozen_again"]
    assert found["after_import"] > found["unchanged"] + 100
    assert found["full_seconds"] > 0
