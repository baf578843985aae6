"""An attempt's state from its Job's and its pods' conditions (pure: client objects in, an
`ExecutionState` and a reason a user can act on out)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vision_platform.errors import EXIT_FAILURE, EXIT_RESUMABLE
from vision_platform.jobs.executors.base import ExecutionState
from vision_platform.jobs.executors.k8s_manifests import CONTAINER, HOLD_LABEL

# 128 + SIGTERM: what a cancelled trainer is reported as once its Job is gone.
EXIT_CANCELLED = 143
# Waiting reasons that mean the container will not start on its own.
_STUCK_REASONS = (
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "CrashLoopBackOff",
)


@dataclass(frozen=True)
class KubernetesStatus:
    """An attempt's state for the scheduler, and why, in the words `kubectl describe` uses."""

    state: ExecutionState
    reason: str | None = None
    message: str | None = None

    def describe(self) -> str | None:
        if self.reason is None:
            return None
        return f"{self.reason}: {self.message}" if self.message else self.reason


def _trainer_status(pod: Any) -> Any:
    for status in (pod.status and pod.status.container_statuses) or []:
        if status.name == CONTAINER:
            return status
    return None


def _exit_code(pod: Any) -> int | None:
    status = _trainer_status(pod)
    terminated = status and status.state and status.state.terminated
    return None if not terminated else int(terminated.exit_code)


def _oom_killed(pod: Any) -> bool:
    status = _trainer_status(pod)
    if status is None:
        return False
    states = (status.state, status.last_state)
    return any(s and s.terminated and s.terminated.reason == "OOMKilled" for s in states)


def _ever_started(pod: Any) -> bool:
    status = _trainer_status(pod)
    state = status and status.state
    return bool(state and (state.running or state.terminated))


def _pod_condition(pod: Any, kind: str) -> Any:
    for condition in (pod.status and pod.status.conditions) or []:
        if condition.type == kind:
            return condition
    return None


def by_age(pods: Iterable[Any]) -> list[Any]:
    """Oldest first: the last pod is the Job's current try."""

    def created(pod: Any) -> float:
        stamp = pod.metadata.creation_timestamp
        return stamp.timestamp() if stamp is not None else 0.0

    return sorted(pods, key=created)


def _pod_reason(pod: Any) -> tuple[str, str | None] | None:
    """Why a pod is not (or no longer) training, when Kubernetes says so."""
    disrupted = _pod_condition(pod, "DisruptionTarget")
    if disrupted is not None and disrupted.status == "True":
        return f"Disrupted ({disrupted.reason})", disrupted.message
    if _oom_killed(pod):
        return "OOMKilled", f"pod {pod.metadata.name} ran out of memory"
    status = _trainer_status(pod)
    waiting = status and status.state and status.state.waiting
    if waiting and waiting.reason in _STUCK_REASONS:
        return waiting.reason, waiting.message
    scheduled = _pod_condition(pod, "PodScheduled")
    if scheduled is not None and scheduled.status == "False":
        return scheduled.reason or "Unschedulable", scheduled.message
    return None


def _first_reason(pods: list[Any]) -> tuple[str, str | None] | None:
    """The newest pod's reason, else an older pod's (the OOMKilled one before a retry)."""
    for pod in reversed(pods):
        found = _pod_reason(pod)
        if found is not None:
            return found
    return None


def _failed_code(message: str | None, pods: list[Any]) -> int:
    codes = [c for c in (_exit_code(p) for p in pods) if c not in (None, 0)]
    match = re.search(r"exit code (\d+)", message or "")
    if match:
        return int(match.group(1))
    return codes[-1] if codes else EXIT_FAILURE


def finished(job: Any) -> bool:
    """Whether the Job has ended (its Complete or Failed condition is true)."""
    conditions = (job.status and job.status.conditions) or []
    return any(c.type in ("Complete", "Failed") and c.status == "True" for c in conditions)


def map_status(job: Any, pods: list[Any]) -> KubernetesStatus:
    """The state of an attempt from its `V1Job` and the `V1Pod`s the Job made."""
    pods = by_age(pods)
    conditions = {
        c.type: c for c in (job.status and job.status.conditions) or [] if c.status == "True"
    }
    if "Complete" in conditions:
        return KubernetesStatus(ExecutionState(running=False, exit_code=0))
    failed = conditions.get("Failed")
    if failed is not None:
        return _map_failed(failed, pods)
    active = [p for p in pods if (p.status and p.status.phase) not in ("Succeeded", "Failed")]
    if job.metadata.deletion_timestamp is not None and not active:
        code = _failed_code(None, pods) if pods else EXIT_CANCELLED
        return KubernetesStatus(ExecutionState(running=False, exit_code=code), "Cancelled")
    if (job.metadata.labels or {}).get(HOLD_LABEL) == "held":
        state = ExecutionState(running=True, held=True)
        return KubernetesStatus(state, "Held", "waiting for the scheduler to let it start")
    if "Suspended" in conditions or (job.spec is not None and job.spec.suspend):
        # Queued in Kueue (VP_K8S_KUEUE_QUEUE): it waits to be admitted, or was preempted.
        return KubernetesStatus(ExecutionState(running=True), "Suspended", "waiting for Kueue")
    found = _first_reason(pods)
    if found is None:
        return KubernetesStatus(ExecutionState(running=True))
    return KubernetesStatus(ExecutionState(running=True), reason=found[0], message=found[1])


def _map_failed(condition: Any, pods: list[Any]) -> KubernetesStatus:
    reason, message = condition.reason or "Failed", condition.message
    if reason == "DeadlineExceeded":
        if any(_ever_started(p) for p in pods):
            # The trainer ran a whole stage (it saves on SIGTERM): the next stage resumes.
            return KubernetesStatus(ExecutionState(False, EXIT_RESUMABLE), reason, message)
        # It never started (image, scheduling): another stage would wait the same way.
        stuck = _first_reason(pods)
        detail = f"{message}; {stuck[0]}: {stuck[1]}" if stuck else message
        return KubernetesStatus(ExecutionState(False, EXIT_FAILURE), reason, detail)
    code = _failed_code(message if reason == "PodFailurePolicy" else None, pods)
    if reason == "PodFailurePolicy" and code == EXIT_RESUMABLE:
        return KubernetesStatus(ExecutionState(False, code), "StageEnded", message)
    if reason == "BackoffLimitExceeded" and any(_oom_killed(p) for p in pods):
        message = f"{message or ''} (OOMKilled: raise VP_K8S_MEMORY_LIMIT)".strip()
    return KubernetesStatus(ExecutionState(False, code), reason, message)
