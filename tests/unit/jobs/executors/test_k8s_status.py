"""The status mapping, from real client objects: an attempt's state and the reason for it."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from tests.unit.jobs.executors.conftest import policy_message, v1_job, v1_pod
from vision_platform.jobs.executors.k8s_status import map_status

UNSCHEDULABLE = k8s.V1PodCondition(
    type="PodScheduled",
    status="False",
    reason="Unschedulable",
    message="0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
)
DISRUPTED = k8s.V1PodCondition(
    type="DisruptionTarget", status="True", reason="EvictionByEvictionAPI", message="drained"
)

STATUS_CASES: dict[str, tuple[k8s.V1Job, list[k8s.V1Pod], bool, int | None, str | None]] = {
    # name: (job, pods, running, exit code, reason)
    "pending": (v1_job(), [], True, None, None),
    "suspended-for-kueue": (v1_job("Suspended"), [], True, None, "Suspended"),
    "running": (v1_job(), [v1_pod(0, running=True)], True, None, None),
    "succeeded": (
        v1_job("Complete"),
        [v1_pod(0, phase="Succeeded", exit_code=0)],
        False,
        0,
        None,
    ),
    "exit-2": (
        v1_job("Failed", "PodFailurePolicy", policy_message(2)),
        [v1_pod(0, phase="Failed", exit_code=2)],
        False,
        2,
        "PodFailurePolicy",
    ),
    "exit-2-pod-gone": (
        v1_job("Failed", "PodFailurePolicy", policy_message(2)),
        [],
        False,
        2,
        "PodFailurePolicy",
    ),
    "exit-75-stage-ended": (
        v1_job("Failed", "PodFailurePolicy", policy_message(75)),
        [v1_pod(0, phase="Failed", exit_code=75)],
        False,
        75,
        "StageEnded",
    ),
    "oom-killed-retrying": (
        v1_job(),
        [
            v1_pod(0, phase="Failed", exit_code=137, term_reason="OOMKilled"),
            v1_pod(1, running=True),
        ],
        True,
        None,
        "OOMKilled",
    ),
    "oom-killed-out-of-retries": (
        v1_job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        [v1_pod(i, phase="Failed", exit_code=137, term_reason="OOMKilled") for i in range(4)],
        False,
        137,
        "BackoffLimitExceeded",
    ),
    "crash-out-of-retries": (
        v1_job("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        [v1_pod(i, phase="Failed", exit_code=1) for i in range(4)],
        False,
        1,
        "BackoffLimitExceeded",
    ),
    "image-pull-backoff": (
        v1_job(),
        [v1_pod(0, phase="Pending", waiting="ImagePullBackOff")],
        True,
        None,
        "ImagePullBackOff",
    ),
    "err-image-pull": (
        v1_job(),
        [v1_pod(0, phase="Pending", waiting="ErrImagePull")],
        True,
        None,
        "ErrImagePull",
    ),
    "unschedulable": (
        v1_job(),
        [v1_pod(0, phase="Pending", conditions=[UNSCHEDULABLE])],
        True,
        None,
        "Unschedulable",
    ),
    "deadline-exceeded-after-training": (
        v1_job("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
        [v1_pod(0, phase="Failed", exit_code=75)],
        False,
        75,
        "DeadlineExceeded",
    ),
    "deadline-exceeded-never-started": (
        v1_job("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
        [v1_pod(0, phase="Pending", waiting="ImagePullBackOff")],
        False,
        1,
        "DeadlineExceeded",
    ),
    "disrupted-and-replaced": (
        v1_job(),
        [v1_pod(0, phase="Failed", exit_code=75, conditions=[DISRUPTED]), v1_pod(1, running=True)],
        True,
        None,
        "Disrupted (EvictionByEvictionAPI)",
    ),
    "cancelled-pods-gone": (v1_job(deleting=True), [], False, 143, "Cancelled"),
    "cancelled-pod-terminating": (
        v1_job(deleting=True),
        [v1_pod(0, running=True)],
        True,
        None,
        None,
    ),
}


@pytest.mark.parametrize("case", STATUS_CASES)
def test_status_from_job_and_pod_conditions(case: str) -> None:
    job, pods, running, code, reason = STATUS_CASES[case]
    status = map_status(job, pods)
    assert status.state.running is running
    assert status.state.exit_code == code
    assert status.reason == reason


def test_reasons_carry_what_a_user_needs_to_act() -> None:
    job, pods, *_ = STATUS_CASES["unschedulable"]
    assert "Insufficient nvidia.com/gpu" in (map_status(job, pods).describe() or "")
    job, pods, *_ = STATUS_CASES["oom-killed-out-of-retries"]
    assert "VP_K8S_MEMORY_LIMIT" in (map_status(job, pods).describe() or "")
    job, pods, *_ = STATUS_CASES["deadline-exceeded-never-started"]
    assert "ImagePullBackOff" in (map_status(job, pods).describe() or "")
