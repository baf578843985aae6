"""The HTTP reporter of a job's process: sends its events to the platform, never failing the run.

Events (status, log lines, epoch metrics, checkpoints) are numbered and queued; a background
thread posts them in batches to `<VP_CALLBACK_URL>/jobs/<id>/report` with the job's token, and
retries with backoff while the platform cannot be reached. The platform ignores numbers it has
already stored, so a batch sent twice is stored once. Every event is also kept in the run
folder's outbox until the platform confirms it: what this process could not deliver (the
platform was down as it ended, or it was killed) the job's next process sends first.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from vision_platform.settings import get_settings
from vision_platform.worker.outbox import OUTBOX_NAME, Outbox

# Receives a run's events (kind, payload): status, log, epoch, checkpoint, progress.
EventSink = Callable[[str, dict[str, Any]], None]

_BATCH = 200
_MAX_QUEUED = 20_000
_MAX_BACKOFF_S = 10.0
_FLUSH_AT_EXIT_S = 10.0
_AWAY_AT_EXIT_S = 3.0


class HttpCallbackSink:
    """An EventSink that reports to the platform over HTTP from a background thread."""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        job_id: str,
        output_dir: Path,
        attempt: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = f"{url.rstrip('/')}/jobs/{job_id}/report"
        self.output_dir = output_dir
        self.attempt = attempt  # the platform's attempt number; None: whatever is current
        self._client = httpx.Client(
            headers={"Authorization": f"Bearer {token}"},
            timeout=5.0,
            trust_env=False,
            transport=transport,
        )
        self._queue: deque[dict[str, Any]] = deque()
        self._outbox = Outbox(output_dir / OUTBOX_NAME)
        earlier = self._outbox.load()
        # Sent first, as they were numbered; a process of the same attempt (a Kubernetes pod
        # retried) numbers on after them, or the platform would take its events for repeats.
        self._queue.extend(earlier.pending)
        self._seq = earlier.last_seq.get(attempt, 0)
        self._spilled = False  # the queue overflowed: the rest waits in the outbox
        self._cond = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._send_loop, name="vp-callback", daemon=True)
        self._thread.start()
        self("status", {"status": "running", "pid": os.getpid()})

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "epoch":
            # One enqueue and one request: the platform must never show an epoch as done
            # without the checkpoint that was saved before it was reported.
            self._enqueue(("epoch", payload), ("checkpoint", self._checkpoints()))
        else:
            self._enqueue((kind, payload))

    def _checkpoints(self) -> dict[str, Any]:
        weights = self.output_dir / "weights"
        found: dict[str, Any] = {}
        for name in ("last", "best"):
            path = weights / f"{name}.pt"
            if path.is_file():
                found[name] = str(path.resolve())
        return found

    def _enqueue(self, *events: tuple[str, dict[str, Any]]) -> None:
        with self._cond:
            for kind, payload in events:
                self._seq += 1
                event = {"seq": self._seq, "kind": kind, "payload": payload}
                if self.attempt is not None:
                    event["attempt"] = self.attempt
                self._outbox.append(event)
                # The platform has been away long: later events wait in the outbox alone (in
                # order: the platform takes an attempt's events only in order of their seq).
                self._spilled = self._spilled or len(self._queue) >= _MAX_QUEUED
                if not self._spilled:
                    self._queue.append(event)
            self._cond.notify()

    def _send_loop(self) -> None:
        backoff = 0.5
        failing_since: float | None = None
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                batch = list(self._queue)[:_BATCH]
                if batch[-1]["kind"] == "epoch" and len(self._queue) > len(batch):
                    batch.append(self._queue[len(batch)])  # its checkpoint goes with it
            if self._post(batch):
                backoff, failing_since = 0.5, None
                with self._cond:
                    for _ in batch:  # the batch is the head of the queue; only we take from it
                        self._queue.popleft()
                    self._cond.notify_all()
            else:
                failing_since = failing_since or time.monotonic()
                away = time.monotonic() - failing_since
                with self._cond:
                    # At exit, a platform away for a while is not waited for: the outbox keeps
                    # the events for whoever comes next.
                    if self._closing and (self._give_up or away > _AWAY_AT_EXIT_S):
                        return
                    self._cond.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)

    _give_up = False

    def _post(self, batch: list[dict[str, Any]]) -> bool:
        """Send one batch; True when it is done with (stored, or refused for good)."""
        try:
            response = self._client.post(self.endpoint, json={"events": batch})
        except (httpx.HTTPError, RuntimeError):  # RuntimeError: closed after close() gave up
            return False
        if response.status_code == 401:
            # A newer attempt holds the token now: it sends what the outbox keeps of ours.
            return True
        if response.status_code in (404, 422) or response.is_success:
            # Stored, or refused for good (a deleted job): nobody needs to send it again.
            self._outbox.acked(batch)
            return True
        return False

    def close(self, *, timeout: float = _FLUSH_AT_EXIT_S) -> None:
        """Send what is queued (for at most `timeout` seconds), then stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        self._give_up = True
        with self._cond:
            self._cond.notify_all()
        left = self._outbox.close()
        if left:
            print(
                f"WARNING: {left} report(s) could not reach the platform; kept in "
                f"{self._outbox.path} for the platform or the job's next attempt",
                file=sys.stderr,
                flush=True,
            )
        self._client.close()


def callback_sinks(*, job_id: str | None, output_dir: Path) -> list[EventSink]:
    """The HTTP sink when VP_CALLBACK_URL and VP_JOB_TOKEN are set (a platform job), else none."""
    settings = get_settings()
    if not (settings.callback_url and settings.job_token and job_id):
        return []
    sink = HttpCallbackSink(
        url=settings.callback_url,
        token=settings.job_token,
        job_id=job_id,
        output_dir=output_dir,
        attempt=settings.job_attempt,
    )
    atexit.register(sink.close)
    return [sink]
