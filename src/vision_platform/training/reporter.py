"""Progress and metrics of a run: console lines (Rich on a terminal), metrics.jsonl, sinks."""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from vision_platform.worker.callback import EventSink

# On a pipe or file (Kubernetes logs), a step line at most this often.
_PLAIN_STEP_INTERVAL_S = 10.0


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else str(value)
    return str(value)


class Reporter:
    """Writes what a run does: verbatim log lines, step progress and one JSON line per epoch.

    Console output is flushed line by line, also when stdout is a pipe. On a terminal a Rich
    progress bar shows the steps of the current epoch. Extra sinks (e.g. the platform's HTTP
    callback) receive the same events and must never raise into training. An epoch's line may
    come from the checkpoint writer's thread (once its checkpoint is published) while the next
    epoch runs: a lock keeps the two apart.
    """

    def __init__(
        self,
        *,
        metrics_path: Path,
        stream: TextIO | None = None,
        sinks: list[EventSink] | None = None,
        rich: bool | None = None,
    ) -> None:
        self.metrics_path = metrics_path
        self.stream = stream or sys.stdout
        self.sinks = list(sinks or [])
        self._rich = self.stream.isatty() if rich is None else rich
        self._progress: Any = None
        self._task: Any = None
        self._epoch = 0
        self._num_epochs = 0
        self._num_steps = 0
        self._last_plain_step = 0.0
        self._lock = threading.RLock()

    # --- plain messages ----------------------------------------------------------------
    def info(self, message: str) -> None:
        self._write(message)
        self._emit("log", {"level": "info", "message": message})

    def warning(self, message: str) -> None:
        text = message if message.startswith("WARNING") else f"WARNING: {message}"
        self._write(text)
        self._emit("log", {"level": "warning", "message": text})

    def _write(self, line: str) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.console.print(line, markup=False, highlight=False)
            else:
                print(line, file=self.stream, flush=True)

    def _emit(self, kind: str, payload: dict[str, Any]) -> None:
        for sink in self.sinks:
            try:
                sink(kind, payload)
            except Exception as e:  # a reporting problem never stops training
                print(f"WARNING: reporting {kind} failed: {e}", file=self.stream, flush=True)

    # --- metrics file ------------------------------------------------------------------
    def truncate_after(self, epoch: int) -> None:
        """Drop metric lines of epochs after `epoch` (from a run killed before it resumed)."""
        if not self.metrics_path.exists():
            return
        kept = [
            line
            for line in self.metrics_path.read_text().splitlines()
            if line.strip() and json.loads(line).get("epoch", 0) <= epoch
        ]
        self.metrics_path.write_text("".join(f"{line}\n" for line in kept))

    # --- epochs and steps --------------------------------------------------------------
    def epoch_started(self, epoch: int, num_epochs: int, num_steps: int) -> None:
        with self._lock:
            self._close_progress()  # the epoch before may still wait for its checkpoint
            self._epoch, self._num_epochs, self._num_steps = epoch, num_epochs, num_steps
            self._last_plain_step = time.monotonic()
        self._emit("epoch_started", {"epoch": epoch, "num_epochs": num_epochs})
        with self._lock:
            self._start_progress(epoch, num_epochs, num_steps)

    def _start_progress(self, epoch: int, num_epochs: int, num_steps: int) -> None:
        if self._rich:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                "{task.fields[loss]}",
                console=Console(file=self.stream),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                f"Epoch {epoch}/{num_epochs}", total=num_steps, loss=""
            )
        else:
            self._write(f"Epoch {epoch}/{num_epochs}")

    def step(self, step: int, loss: float) -> None:
        if self._progress is not None:
            with self._lock:
                if self._progress is not None:
                    self._progress.update(self._task, completed=step, loss=f"loss {loss:.4f}")
            return
        now = time.monotonic()
        if now - self._last_plain_step >= _PLAIN_STEP_INTERVAL_S:
            self._last_plain_step = now
            self._write(
                f"Epoch {self._epoch}/{self._num_epochs} step {step}/{self._num_steps} "
                f"loss={loss:.4f}"
            )

    def _close_progress(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def epoch_finished(self, metrics: dict[str, Any]) -> None:
        """Record one epoch: a console summary line, a metrics.jsonl line and a sink event."""
        with self._lock:
            if metrics["epoch"] == self._epoch:  # not the next epoch's progress bar
                self._close_progress()
            with open(self.metrics_path, "a") as f:
                f.write(json.dumps(metrics) + "\n")
            shown = " ".join(f"{k}={_fmt(v)}" for k, v in metrics.items() if k != "epoch")
            self._write(f"Epoch {metrics['epoch']}/{self._num_epochs} done: {shown}")
        self._emit("epoch", metrics)

    def close(self) -> None:
        self._close_progress()
