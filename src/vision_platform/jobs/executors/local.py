"""The local executor: each attempt is a `vp train` (or `vp infer-batch`) subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor

# Settings a trainer must not inherit: it holds no database or API credentials.
_WITHHELD_ENV = ("VP_DATABASE_URL", "VP_API_TOKEN")


@dataclass
class _Attempt:
    process: subprocess.Popen[bytes]
    log_path: Path


def _proc_start_time(pid: int) -> str | None:
    """Start time (clock ticks) of a live, non-zombie process, to tell it from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _alive(pid: int, started: str) -> bool:
    return _proc_start_time(pid) == started


def _end(pid: int, started: str, grace_seconds: float) -> None:
    """Stop the process group of `pid` (if it is still the process started then): SIGTERM, so
    that a trainer saves, and SIGKILL after `grace_seconds`."""
    if not _alive(pid, started):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(os.getpgid(pid), signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while _alive(pid, started) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid, started):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        while _alive(pid, started):
            time.sleep(0.1)


def _leftovers(work_dir: Path) -> list[tuple[int, str]]:
    """Live processes (pid, start time) still running a spec of `work_dir`: trainers whose
    server died before it stored their handle, that no one would otherwise stop."""
    marker = f"{work_dir}/logs/spec-".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
        except OSError:
            continue
        started = _proc_start_time(int(proc.name)) if marker in cmdline else None
        if started is not None and b"vision_platform" in cmdline:
            found.append((int(proc.name), started))
    return found


class LocalExecutor(Executor):
    """Runs trainers as child processes in their own session; logs go to the job's folder."""

    def __init__(self, *, python: str = sys.executable, leftover_grace_s: float = 30.0) -> None:
        self._python = python
        self._leftover_grace_s = leftover_grace_s
        self._attempts: dict[str, _Attempt] = {}
        self._lock = threading.Lock()

    def submit(self, request: ExecutionRequest) -> str:
        request.work_dir.mkdir(parents=True, exist_ok=True)
        # Never two trainers of one job: an earlier attempt's still running is stopped first.
        for pid, started in _leftovers(request.work_dir):
            _end(pid, started, self._leftover_grace_s)
        logs = request.work_dir / "logs"
        logs.mkdir(exist_ok=True)
        spec_path = logs / f"spec-{request.attempt}.json"
        spec_path.write_text(json.dumps(request.spec.model_dump(mode="json"), indent=1))
        log_path = logs / f"attempt-{request.attempt}.log"
        env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_ENV}
        env.update(request.env)
        env["PYTHONUNBUFFERED"] = "1"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [self._python, "-m", "vision_platform", request.command, "--spec", str(spec_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=request.work_dir,
                start_new_session=True,  # signals to the server's terminal do not reach it
            )
        handle = f"local:{process.pid}:{_proc_start_time(process.pid) or 0}:{log_path}"
        with self._lock:
            self._attempts[handle] = _Attempt(process, log_path)
        return handle

    def status(self, handle: str) -> ExecutionState:
        with self._lock:
            attempt = self._attempts.get(handle)
        if attempt is None:
            return ExecutionState(running=False, lost=True)
        code = attempt.process.poll()
        if code is None:
            return ExecutionState(running=True)
        # Report a signal N as 128+N, as a shell and Kubernetes do.
        return ExecutionState(running=False, exit_code=128 - code if code < 0 else code)

    def logs(self, handle: str, *, tail: int = 200) -> list[str]:
        path = Path(handle.split(":", 3)[3]) if handle.count(":") >= 3 else None
        if path is None or not path.is_file():
            return []
        with open(path, errors="replace") as f:
            return [line.rstrip("\n") for line in deque(f, maxlen=tail)]

    def stop(self, handle: str) -> None:
        self._signal(handle, signal.SIGTERM)

    def cancel(self, handle: str, *, grace_seconds: float) -> None:
        self._signal(handle, signal.SIGTERM)
        timer = threading.Timer(grace_seconds, self._kill_if_running, args=(handle,))
        timer.daemon = True
        timer.start()

    def _kill_if_running(self, handle: str) -> None:
        if self.status(handle).running:
            self._signal(handle, signal.SIGKILL)

    def _signal(self, handle: str, sig: signal.Signals) -> None:
        with self._lock:
            attempt = self._attempts.get(handle)
        if attempt is not None and attempt.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(attempt.process.pid, sig)

    def forget(self, handle: str) -> None:
        with self._lock:
            self._attempts.pop(handle, None)

    def release(self, handle: str, *, grace_seconds: float) -> None:
        parts = handle.split(":", 3)
        if len(parts) != 4 or parts[0] != "local" or not parts[1].isdigit():
            return
        # A trainer left from an earlier server run: let it save, then make sure it is gone.
        _end(int(parts[1]), parts[2], grace_seconds)
