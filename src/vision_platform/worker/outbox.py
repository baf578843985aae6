"""A job process's outbox: every event it reports stays on disk until the platform has it.

The HTTP sink appends each event (its attempt, seq, kind and payload) to `<output dir>/
outbox.jsonl` before sending it, and one `{"attempt": a, "acked": [seq, …]}` line after the
platform has confirmed a batch. What the platform never confirmed (it was down or shutting down,
the process was killed) the job's next process sends first, under the attempt and seq it was
written with, so the platform stores each event once and no epoch or log line is lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

OUTBOX_NAME = "outbox.jsonl"


@dataclass
class OutboxContents:
    """What an outbox file holds: the events never confirmed, and the highest seq per attempt."""

    pending: list[dict[str, Any]] = field(default_factory=list)
    last_seq: dict[int | None, int] = field(default_factory=dict)


def read_outbox(path: Path) -> OutboxContents:
    """The unconfirmed events of `path` in the order they were written (none when it is absent)."""
    found = OutboxContents()
    if not path.is_file():
        return found
    events: list[dict[str, Any]] = []
    acked: set[tuple[int | None, int]] = set()
    for line in path.read_text(errors="replace").splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue  # the last line of a process killed while writing it
        if not isinstance(doc, dict):
            continue
        attempt = doc.get("attempt")
        if isinstance(doc.get("acked"), list):
            acked.update((attempt, seq) for seq in doc["acked"])
        elif isinstance(doc.get("seq"), int) and isinstance(doc.get("kind"), str):
            events.append(doc)
            found.last_seq[attempt] = max(found.last_seq.get(attempt, 0), doc["seq"])
    found.pending = [e for e in events if (e.get("attempt"), e["seq"]) not in acked]
    return found


class Outbox:
    """The append-only outbox file of one process; safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = None

    def load(self) -> OutboxContents:
        """Read what earlier processes left, and keep only their unconfirmed events."""
        with self._lock:
            found = read_outbox(self.path)
            self._rewrite(found.pending)
            return found

    def append(self, event: dict[str, Any]) -> None:
        self._write([event])

    def acked(self, batch: list[dict[str, Any]]) -> None:
        """Record that the platform has stored `batch`."""
        by_attempt: dict[int | None, list[int]] = {}
        for event in batch:
            by_attempt.setdefault(event.get("attempt"), []).append(event["seq"])
        self._write([{"attempt": a, "acked": seqs} for a, seqs in by_attempt.items()])

    def close(self) -> int:
        """Close the file (removed when nothing in it waits for delivery); the events left."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            left = read_outbox(self.path).pending
            self._rewrite(left)
            return len(left)

    def _write(self, docs: list[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(doc, separators=(",", ":")) + "\n" for doc in docs)
        with self._lock:
            try:
                if self._file is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = open(self.path, "a")  # noqa: SIM115 (kept open: one per event)
                # Flushed, not fsynced: a killed process's lines are in the page cache already.
                self._file.write(lines)
                self._file.flush()
            except OSError:
                pass  # a full disk must not stop training; the events still go over HTTP

    def _rewrite(self, events: list[dict[str, Any]]) -> None:
        """Replace the file with `events` alone, or remove it when there are none."""
        with contextlib.suppress(OSError):
            if not events:
                self.path.unlink(missing_ok=True)
                return
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
            os.replace(tmp, self.path)
