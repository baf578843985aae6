"""Stop requests: signals and the stage deadline."""

from __future__ import annotations

import os
import signal

from vision_platform.worker.interrupts import StopController


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_stage_deadline_and_whether_another_epoch_fits() -> None:
    clock = FakeClock()
    stop = StopController(max_stage_seconds=60, clock=clock)
    clock.now += 30
    assert stop.stop_reason() is None
    assert stop.next_epoch_fits(25) and not stop.next_epoch_fits(31)
    clock.now += 30
    assert stop.stop_reason() == "deadline"


def test_no_deadline_means_every_epoch_fits() -> None:
    assert StopController(max_stage_seconds=None).next_epoch_fits(1e9)


def test_sigterm_becomes_a_stop_request() -> None:
    stop = StopController(max_stage_seconds=None)
    stop.install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.stop_reason() == "SIGTERM"
    finally:
        stop.uninstall()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
