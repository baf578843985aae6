"""The trainer's HTTP reporter: retries while the platform is away, never raises into training."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from vision_platform.worker.callback import HttpCallbackSink
from vision_platform.worker.outbox import OUTBOX_NAME


class Platform:
    """A stand-in for the platform's report route: down for the first `down_for` calls."""

    def __init__(self, *, down_for: int = 0, status: int = 200) -> None:
        self.down_for, self.status = down_for, status
        self.calls = 0
        self.events: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.calls += 1
            if self.calls <= self.down_for:
                raise httpx.ConnectError("connection refused", request=request)
            assert request.headers["Authorization"] == "Bearer tok"
            assert request.url.path == "/api/v1/jobs/7/report"
            if self.status == 200:
                self.events += json.loads(request.content)["events"]
            return httpx.Response(self.status, json={})


def sink(platform: Platform, tmp_path: Path, *, attempt: int | None = None) -> HttpCallbackSink:
    return HttpCallbackSink(
        url="http://platform.test/api/v1",
        token="tok",
        job_id="7",
        output_dir=tmp_path,
        attempt=attempt,
        transport=httpx.MockTransport(platform),
    )


def test_events_arrive_in_order_once_the_platform_is_back(tmp_path: Path) -> None:
    platform = Platform(down_for=3)
    reporter = sink(platform, tmp_path)
    for i in range(5):
        reporter("log", {"message": f"line {i}"})  # never raises, never blocks
    reporter.close(timeout=30)
    kinds = [e["kind"] for e in platform.events]
    assert kinds == ["status"] + ["log"] * 5
    seqs = [e["seq"] for e in platform.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert platform.calls > 3


def test_an_epoch_also_reports_the_checkpoints(tmp_path: Path) -> None:
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "last.pt").write_bytes(b"x")
    platform = Platform()
    reporter = sink(platform, tmp_path)
    reporter("epoch", {"epoch": 1, "val_acc": 0.5})
    reporter.close(timeout=30)
    checkpoint = next(e for e in platform.events if e["kind"] == "checkpoint")
    assert checkpoint["payload"] == {"last": str((tmp_path / "weights" / "last.pt").resolve())}


class RecordingPlatform(Platform):
    """Also keeps each request's events apart, to see what the platform applies together."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append([e["kind"] for e in json.loads(request.content)["events"]])
        return super().__call__(request)


def test_an_epoch_and_its_checkpoint_arrive_in_one_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform applies one request in one transaction: an epoch shown as done must come
    with its checkpoint, however slowly the checkpoint folder is listed (a CI flake once)."""
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "last.pt").write_bytes(b"x")
    platform = RecordingPlatform()
    reporter = sink(platform, tmp_path)
    listing = HttpCallbackSink._checkpoints

    def slow_listing(self: HttpCallbackSink) -> dict[str, object]:
        time.sleep(0.3)  # the sender thread is idle and would take the epoch alone
        return listing(self)

    monkeypatch.setattr(HttpCallbackSink, "_checkpoints", slow_listing)
    for epoch in (1, 2, 3):
        reporter("epoch", {"epoch": epoch})
    reporter.close(timeout=30)
    for kinds in platform.requests:
        for i, kind in enumerate(kinds):
            if kind == "epoch":
                assert kinds[i + 1 : i + 2] == ["checkpoint"], platform.requests
    assert [e["kind"] for e in platform.events].count("checkpoint") == 3


def test_refused_reports_are_not_retried_forever(tmp_path: Path) -> None:
    platform = Platform(status=401)
    reporter = sink(platform, tmp_path)
    reporter("log", {"message": "x"})
    started = time.monotonic()
    reporter.close(timeout=30)
    assert time.monotonic() - started < 10
    assert platform.calls >= 1


def test_a_platform_that_never_comes_back_costs_at_most_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = Platform(down_for=10**9)
    reporter = sink(platform, tmp_path)
    reporter("log", {"message": "lost"})
    started = time.monotonic()
    reporter.close(timeout=1.0)
    assert time.monotonic() - started < 5
    assert "could not reach the platform" in capsys.readouterr().err


def test_what_never_reached_the_platform_is_sent_by_the_next_attempt_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = sink(Platform(), tmp_path, attempt=1)
    first("log", {"message": "delivered"})
    first.close(timeout=30)
    assert not (tmp_path / OUTBOX_NAME).exists()  # nothing waits: no outbox left behind

    down = sink(Platform(down_for=10**9), tmp_path, attempt=1)
    down("epoch", {"epoch": 3})
    down("log", {"message": "Stopped early"})
    down.close(timeout=0.5)
    assert f"kept in {tmp_path / OUTBOX_NAME}" in capsys.readouterr().err

    platform = Platform()
    second = sink(platform, tmp_path, attempt=2)
    second("log", {"message": "attempt 2"})
    second.close(timeout=30)
    sent = [(e["attempt"], e["seq"], e["kind"]) for e in platform.events]
    assert sent == [
        (1, 1, "status"),
        (1, 2, "epoch"),
        (1, 3, "checkpoint"),
        (1, 4, "log"),
        (2, 1, "status"),
        (2, 2, "log"),
    ]
    assert not (tmp_path / OUTBOX_NAME).exists()


def test_a_killed_process_leaves_what_was_not_confirmed(tmp_path: Path) -> None:
    """A process killed mid-run: its outbox holds all it wrote, with confirmations of batches."""
    outbox = tmp_path / OUTBOX_NAME
    lines = [
        {"attempt": 1, "seq": 1, "kind": "status", "payload": {}},
        {"attempt": 1, "seq": 2, "kind": "epoch", "payload": {"epoch": 1}},
        {"attempt": 1, "acked": [1, 2]},
        {"attempt": 1, "seq": 3, "kind": "epoch", "payload": {"epoch": 2}},
    ]
    outbox.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"attempt": 1, "se')
    platform = Platform()
    sink(platform, tmp_path, attempt=2).close(timeout=30)
    assert [(e["attempt"], e["seq"]) for e in platform.events] == [(1, 3), (2, 1)]


def test_a_process_of_the_same_attempt_numbers_on(tmp_path: Path) -> None:
    """A Kubernetes pod retried within one attempt: its seqs follow the first pod's."""
    sink(Platform(down_for=10**9), tmp_path, attempt=4).close(timeout=0.2)
    platform = Platform()
    sink(platform, tmp_path, attempt=4).close(timeout=30)
    assert [(e["attempt"], e["seq"]) for e in platform.events] == [(4, 1), (4, 2)]


def test_refused_for_a_stale_token_stays_in_the_outbox(tmp_path: Path) -> None:
    reporter = sink(Platform(status=401), tmp_path, attempt=1)
    reporter("log", {"message": "x"})
    reporter.close(timeout=30)
    platform = Platform()
    sink(platform, tmp_path, attempt=2).close(timeout=30)
    assert [(e["attempt"], e["kind"]) for e in platform.events] == [
        (1, "status"),
        (1, "log"),
        (2, "status"),
    ]
