"""The reporter's outputs: console lines, metrics.jsonl and sink events."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

from vision_platform.training.reporter import Reporter


def test_reporter_writes_plain_lines_metrics_and_events(tmp_path: Path) -> None:
    stream = io.StringIO()
    events: list[tuple[str, dict[str, object]]] = []
    reporter = Reporter(
        metrics_path=tmp_path / "metrics.jsonl",
        stream=stream,
        sinks=[lambda kind, payload: events.append((kind, payload))],
        rich=False,
    )
    reporter.epoch_started(1, 2, 10)
    reporter.epoch_finished({"epoch": 1, "train_loss": 0.5, "val_acc": 0.25})
    reporter.info("Training completed")
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1] == "Epoch 1/2 done: train_loss=0.5 val_acc=0.25"
    assert lines[2] == "Training completed"
    row = json.loads((tmp_path / "metrics.jsonl").read_text())
    assert row == {"epoch": 1, "train_loss": 0.5, "val_acc": 0.25}
    assert [kind for kind, _ in events] == ["epoch_started", "epoch", "log"]


def test_an_epoch_reported_late_leaves_the_next_epochs_progress_bar(tmp_path: Path) -> None:
    reporter = Reporter(metrics_path=tmp_path / "m.jsonl", stream=io.StringIO(), rich=True)
    reporter.epoch_started(1, 2, 10)
    reporter.epoch_started(2, 2, 10)  # epoch 1's checkpoint is still being written
    late = threading.Thread(target=reporter.epoch_finished, args=({"epoch": 1},))
    late.start()
    late.join()
    assert reporter._progress is not None  # epoch 2's bar goes on
    reporter.step(3, 0.5)
    reporter.epoch_finished({"epoch": 2})
    assert reporter._progress is None
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_a_failing_sink_never_stops_the_run(tmp_path: Path) -> None:
    def broken(kind: str, payload: dict[str, object]) -> None:
        raise ConnectionError("platform down")

    stream = io.StringIO()
    reporter = Reporter(
        metrics_path=tmp_path / "m.jsonl", stream=stream, sinks=[broken], rich=False
    )
    reporter.info("hello")
    assert "hello" in stream.getvalue() and "platform down" in stream.getvalue()


def test_metrics_after_the_resumed_epoch_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"epoch": e}) + "\n" for e in (1, 2, 3)))
    Reporter(metrics_path=path, stream=io.StringIO(), rich=False).truncate_after(2)
    assert [json.loads(x)["epoch"] for x in path.read_text().splitlines()] == [1, 2]


def test_network_is_blocked_in_tests() -> None:
    import socket

    import pytest

    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("198.51.100.1", 80), timeout=1)
