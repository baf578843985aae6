"""Stop requests for a job's process: SIGTERM/SIGINT (pause, eviction) and the stage deadline."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import FrameType


class StopController:
    """Decides when a run stops early; checked by the loop (training steps, batch images)."""

    def __init__(
        self, *, max_stage_seconds: float | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._started = clock()
        self._max = max_stage_seconds
        self._signal: str | None = None
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        """Turn SIGTERM and the first SIGINT into a stop request (a second SIGINT aborts)."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self._signal is not None:
            raise KeyboardInterrupt
        self._signal = signal.Signals(signum).name

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def stop_reason(self) -> str | None:
        """Why the run must stop now ("SIGTERM", "SIGINT", "deadline"), or None to go on."""
        if self._signal is not None:
            return self._signal
        if self._max is not None and self.elapsed >= self._max:
            return "deadline"
        return None

    def next_epoch_fits(self, epoch_seconds: float) -> bool:
        """Whether another epoch of `epoch_seconds` ends before the stage deadline."""
        return self._max is None or self.elapsed + epoch_seconds <= self._max
