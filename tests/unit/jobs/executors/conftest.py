"""Kubernetes objects the executor tests share: one attempt's request and settings, and real
client `V1Job`/`V1Pod` objects as a cluster would return them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kubernetes import client as k8s

from vision_platform.configs import TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.settings import Settings

TOKEN = "s3cr3t-job-token"
NAME = "vp-job-7-a2"
HANDLE = f"k8s:vision-platform/{NAME}"


def request(
    model: str = "resnet18", *, device: str = "auto", stage_seconds: float | None = None
) -> ExecutionRequest:
    spec = TrainingSpec(
        model_name=model,
        dataset_path="s3://bucket/data/digits",
        num_epochs=3,
        device=device,
        max_stage_seconds=stage_seconds,
        output_dir="/srv/vp/jobs/job_7",
        job_id="7",
    )
    env = {"VP_CALLBACK_URL": "http://vp-api:8000/api/v1", "VP_JOB_TOKEN": TOKEN}
    return ExecutionRequest(job_id=7, attempt=2, spec=spec, work_dir=Path("/srv"), env=env)


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "k8s_image_registry": "ghcr.io/acme",
        "k8s_image_tag": "1.2.3",
        "k8s_s3_secret_name": "vp-s3",
        "storage_uri": "s3://vp-artifacts/prod",
        "s3_endpoint_url": "https://acct.r2.cloudflarestorage.com",
    }
    return Settings(**{**base, **overrides})


T0 = datetime(2025, 1, 1, tzinfo=UTC)


def v1_job(
    condition: str | None = None,
    reason: str | None = None,
    message: str | None = None,
    *,
    deleting: bool = False,
) -> k8s.V1Job:
    conditions = (
        [k8s.V1JobCondition(type=condition, status="True", reason=reason, message=message)]
        if condition
        else None
    )
    return k8s.V1Job(
        metadata=k8s.V1ObjectMeta(name=NAME, deletion_timestamp=T0 if deleting else None),
        status=k8s.V1JobStatus(conditions=conditions),
    )


def v1_pod(
    n: int,
    *,
    phase: str = "Running",
    running: bool = False,
    exit_code: int | None = None,
    term_reason: str | None = None,
    waiting: str | None = None,
    conditions: list[k8s.V1PodCondition] | None = None,
) -> k8s.V1Pod:
    state = k8s.V1ContainerState(
        running=k8s.V1ContainerStateRunning(started_at=T0) if running else None,
        terminated=(
            k8s.V1ContainerStateTerminated(exit_code=exit_code, reason=term_reason)
            if exit_code is not None
            else None
        ),
        waiting=k8s.V1ContainerStateWaiting(reason=waiting, message=f"{waiting} detail")
        if waiting
        else None,
    )
    status = k8s.V1ContainerStatus(
        name="trainer", image="img", image_id="", ready=running, restart_count=0, state=state
    )
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=f"{NAME}-{n}", creation_timestamp=T0 + timedelta(n)),
        status=k8s.V1PodStatus(phase=phase, container_statuses=[status], conditions=conditions),
    )


def policy_message(code: int) -> str:
    """The Job condition message Kubernetes writes when the exit code rule `code` fires."""
    return (
        f"Container trainer for pod vision-platform/{NAME}-0 failed with exit code {code} "
        f"matching FailJob rule at index {1 if code == 2 else 2}"
    )
