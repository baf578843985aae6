"""The local executor's mechanics: exit codes, logs, stop, cancel escalation, release.

A small shell script stands in for `python -m vision_platform train` (the process boundary).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from vision_platform.configs import TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState
from vision_platform.jobs.executors.local import LocalExecutor

# Prints its arguments, then waits; SIGTERM ends it with 75 unless IGNORE_TERM is set.
FAKE_TRAINER = """#!/bin/sh
echo "args: $*"
echo "token: $VP_JOB_TOKEN db: ${VP_DATABASE_URL:-none}"
if [ -n "$IGNORE_TERM" ]; then trap '' TERM; else trap 'echo saved; exit 75' TERM; fi
if [ -n "$EXIT_AT_ONCE" ]; then exit "$EXIT_AT_ONCE"; fi
while :; do sleep 0.05; done
"""


def fake_executor(tmp_path: Path) -> LocalExecutor:
    script = tmp_path / "fake-python"
    script.write_text(FAKE_TRAINER)
    script.chmod(0o755)
    return LocalExecutor(python=str(script), grace_seconds=5)


@pytest.fixture
def executor(tmp_path: Path) -> LocalExecutor:
    return fake_executor(tmp_path)


def submit(executor: LocalExecutor, tmp_path: Path, *, attempt: int = 1, **env: str) -> str:
    spec = TrainingSpec(model_name="resnet10t", dataset_path="/data", job_id="7")
    return executor.submit(
        ExecutionRequest(job_id=7, attempt=attempt, spec=spec, work_dir=tmp_path / "job_7", env=env)
    )


def wait_exit(executor: LocalExecutor, handle: str) -> ExecutionState:
    while (state := executor.status(handle)).running:
        time.sleep(0.05)
    return state


def wait_for_line(executor: LocalExecutor, handle: str, text: str) -> None:
    while not any(text in line for line in executor.logs(handle)):
        assert executor.status(handle).running, executor.logs(handle)
        time.sleep(0.05)


def test_runs_the_spec_with_the_token_and_without_database_credentials(
    executor: LocalExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VP_DATABASE_URL", "postgresql://secret")
    handle = submit(executor, tmp_path, VP_JOB_TOKEN="t0k", EXIT_AT_ONCE="3")
    assert wait_exit(executor, handle) == ExecutionState(running=False, exit_code=3)
    lines = executor.logs(handle)
    assert "train --spec" in lines[0] and "spec-1.json" in lines[0]
    assert lines[1] == "token: t0k db: none"
    assert (tmp_path / "job_7/logs/spec-1.json").is_file()


def test_stop_is_sigterm_and_a_kill_reads_as_137(executor: LocalExecutor, tmp_path: Path) -> None:
    paused = submit(executor, tmp_path)
    wait_for_line(executor, paused, "token:")
    executor.stop(paused)
    assert wait_exit(executor, paused).exit_code == 75
    assert executor.logs(paused)[-1] == "saved"

    killed = submit(executor, tmp_path)
    wait_for_line(executor, killed, "token:")
    os.kill(int(killed.split(":")[1]), signal.SIGKILL)
    assert wait_exit(executor, killed).exit_code == 137


def test_cancel_kills_a_trainer_that_ignores_sigterm(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    handle = submit(executor, tmp_path, IGNORE_TERM="1")
    wait_for_line(executor, handle, "token:")
    executor.cancel(handle, grace_seconds=0.2)
    assert wait_exit(executor, handle).exit_code == 137


def test_release_ends_a_trainer_left_from_an_earlier_server(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    handle = submit(executor, tmp_path)
    wait_for_line(executor, handle, "token:")
    restarted = LocalExecutor()
    assert restarted.status(handle).lost
    restarted.release(handle, grace_seconds=5)  # returns once the trainer is gone
    assert executor.logs(handle)[-1] == "saved"  # it was asked to save first
    assert wait_exit(executor, handle).exit_code == 75


def test_a_trainer_left_running_ends_before_the_next_attempt_of_its_job_starts(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    """A server died while starting a trainer (no handle recorded): whoever starts the job's
    next attempt finds the trainer by its folder lock and makes it save and end first."""
    left = submit(executor, tmp_path)
    wait_for_line(executor, left, "token:")
    another_server = fake_executor(tmp_path)
    started = submit(another_server, tmp_path, attempt=2)
    assert executor.status(left) == ExecutionState(running=False, exit_code=75)
    assert executor.logs(left)[-1] == "saved"
    wait_for_line(another_server, started, "token:")
    another_server.stop(started)  # the new attempt is a trainer like any other: it saves and ends
    assert wait_exit(another_server, started).exit_code == 75
