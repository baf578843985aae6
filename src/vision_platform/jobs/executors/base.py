"""The interface every executor implements: submit → handle, status, logs, stop, cancel."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vision_platform.configs import BatchInferenceSpec, TrainingSpec

# The `vp` command an attempt runs: a training run or a batch inference run.
JobCommand = Literal["train", "infer-batch"]


@dataclass(frozen=True, kw_only=True)
class ExecutionRequest:
    """One attempt of one job: the whole spec and where the platform wants reports.

    The spec's type says which command runs it: `vp train` or `vp infer-batch`."""

    job_id: int
    attempt: int
    spec: TrainingSpec | BatchInferenceSpec
    work_dir: Path
    env: dict[str, str] = field(default_factory=dict)  # VP_CALLBACK_URL, VP_JOB_TOKEN
    priority: str = "normal"  # the job's: low | normal | high (a Kubernetes PriorityClass)

    @property
    def command(self) -> JobCommand:
        return "infer-batch" if isinstance(self.spec, BatchInferenceSpec) else "train"


@dataclass(frozen=True)
class ExecutionState:
    """Whether an attempt still runs, and its exit code once it ended.

    `lost` means the executor no longer knows the handle (e.g. the server restarted); `held`
    that the attempt was submitted but not yet let go (see `Executor.go`)."""

    running: bool
    exit_code: int | None = None
    lost: bool = False
    held: bool = False


class Executor(abc.ABC):
    """Starts and steers trainers; the scheduler owns the policy, the executor the mechanism."""

    @abc.abstractmethod
    def submit(self, request: ExecutionRequest) -> str:
        """Start the attempt; returns a handle that names it for the other methods."""

    @abc.abstractmethod
    def status(self, handle: str) -> ExecutionState:
        """Whether the attempt runs, or how it exited (128+N for a signal N)."""

    @abc.abstractmethod
    def logs(self, handle: str, *, tail: int = 200) -> list[str]:
        """The last `tail` lines the trainer printed."""

    @abc.abstractmethod
    def stop(self, handle: str) -> None:
        """Ask the trainer to save and exit (SIGTERM: exit 75); used for pause and shutdown."""

    @abc.abstractmethod
    def cancel(self, handle: str, *, grace_seconds: float) -> None:
        """Stop the trainer, and kill it when it has not exited after `grace_seconds`."""

    @abc.abstractmethod
    def release(self, handle: str, *, grace_seconds: float) -> None:
        """Make sure nothing of a handle from an earlier server run is left running.

        Called on restart for attempts this executor does not know; it returns once the
        trainer is gone, so that the job can be started again with --resume."""

    def forget(self, handle: str) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Drop what the executor keeps about an attempt the scheduler has finished with."""

    # -- for executors whose trainers outlive the server (Kubernetes Jobs) --
    def planned_handle(self, job_id: int, attempt: int) -> str | None:
        """The handle `submit` will return for this attempt, when it is known before anything
        starts (a Job's name); None when only the start tells (a process id).

        The scheduler records a planned handle before it submits, so that a server dying
        while it submits leaves a handle its successor follows, never an untracked trainer."""
        return None

    def go(self, handle: str) -> None:  # noqa: B027 - optional hook, nothing to do by default
        """Let a submitted attempt start. `submit` may hold it (a suspended Job) until the
        scheduler has recorded, under its lease, that it is still the job's attempt; a
        successor that adopts a held attempt lets it go. Nothing by default (started at once)."""

    def end_orphans(self, live: Mapping[int, int]) -> list[str]:
        """End the trainers this executor finds of attempts that are not `live` (job id →
        its running attempt): left by a server that died or was fenced out while it submitted
        them. Returns their handles; nothing by default (a local trainer holds its job folder's
        lock, so that a second one cannot start)."""
        return []
