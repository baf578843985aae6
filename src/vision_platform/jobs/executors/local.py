"""The local executor: each attempt is a `vp train` (or `vp infer-batch`) subprocess."""

from __future__ import annotations

import contextlib
import fcntl
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

from vision_platform.errors import VisionPlatformError
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.jobs.processes import alive as _alive
from vision_platform.jobs.processes import proc_start_time as _proc_start_time

# Settings a trainer must not inherit: it holds no database or API credentials.
_WITHHELD_ENV = ("VP_DATABASE_URL", "VP_API_TOKEN")
# Held by every trainer of a job (and by its data loader workers) for as long as it lives.
_TRAINER_LOCK = "trainer.lock"


class TrainerStillRunningError(VisionPlatformError):
    """A trainer of an earlier attempt of the job would not end: no second one is started."""


@dataclass
class _Attempt:
    process: subprocess.Popen[bytes]
    log_path: Path


class LocalExecutor(Executor):
    """Runs trainers as child processes in their own session; logs go to the job's folder.

    Each trainer holds its job folder's lock (flock, taken before it starts and inherited),
    so that two trainers of one job never run at once, whichever server started them."""

    def __init__(self, *, python: str = sys.executable, grace_seconds: float = 30.0) -> None:
        self._python = python
        self._grace_seconds = grace_seconds
        self._attempts: dict[str, _Attempt] = {}
        self._lock = threading.Lock()

    def submit(self, request: ExecutionRequest) -> str:
        request.work_dir.mkdir(parents=True, exist_ok=True)
        logs = request.work_dir / "logs"
        logs.mkdir(exist_ok=True)
        spec_path = logs / f"spec-{request.attempt}.json"
        spec_path.write_text(json.dumps(request.spec.model_dump(mode="json"), indent=1))
        log_path = logs / f"attempt-{request.attempt}.log"
        env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_ENV}
        env.update(request.env)
        env["PYTHONUNBUFFERED"] = "1"
        command = [self._python, "-m", "vision_platform", request.command, "--spec", str(spec_path)]
        lock = _lock_folder(logs / _TRAINER_LOCK, self._grace_seconds)
        try:
            with open(log_path, "ab") as log:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=request.work_dir,
                    start_new_session=True,  # signals to the server's terminal do not reach it
                    pass_fds=(lock,),  # the trainer holds the lock from here on
                )
        finally:
            os.close(lock)
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
        pid, started = int(parts[1]), parts[2]
        if not _alive(pid, started):
            return
        # A trainer left from an earlier server run: let it save, then make sure it is gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        while _alive(pid, started) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid, started):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            while _alive(pid, started):
                time.sleep(0.1)


def _lock_folder(path: Path, grace_seconds: float) -> int:
    """An open descriptor holding the job folder's trainer lock.

    The scheduler starts a new attempt only once the last one is over, so a holder left is a
    trainer its leader lost track of (it died while starting it): that one saves and ends."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if _try_lock(fd):
            return fd
        for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 10.0)):
            for pgid in _holder_groups(path):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if _try_lock(fd):
                    return fd
                time.sleep(0.1)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    raise TrainerStillRunningError(f"{path.parent.parent}: a trainer still runs there")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder_groups(path: Path) -> set[int]:
    """The process groups (a trainer and its workers) of the processes that hold `path` open."""
    target, own = str(path.resolve()), os.getpgrp()
    groups = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == target for fd in (proc / "fd").iterdir()):
                pgid = os.getpgid(int(proc.name))
                if pgid != own:
                    groups.add(pgid)
    return groups
