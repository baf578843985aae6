"""Processes on this machine by pid and start time, so that a reused pid is never mistaken for
the process it once named (trainers of the local executor, scheduler lease holders)."""

from __future__ import annotations

import os
from pathlib import Path


def proc_start_time(pid: int) -> str | None:
    """Start time (clock ticks) of a live, non-zombie process; None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def alive(pid: int, started: str) -> bool:
    return proc_start_time(pid) == started


def this_process() -> tuple[int, str]:
    """This process's pid and start time ("0" where /proc is not there)."""
    pid = os.getpid()
    return pid, proc_start_time(pid) or "0"
