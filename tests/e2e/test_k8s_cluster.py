"""On a real cluster (KUBECONFIG set, the platform installed with deploy/k8s/overlays/kind):
a tiny training Job whose pod is deleted mid-run ends its stage (exit 75), and the next Job
resumes from the checkpoint on the run volume and completes."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vision_platform.configs import TrainingSpec
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.jobs.executors.kubernetes import KubernetesExecutor
from vision_platform.settings import Settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("KUBECONFIG"), reason="needs a Kubernetes cluster (KUBECONFIG)"
    ),
]

TIMEOUT = 900.0


def wait_for(what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(2.0)


@pytest.fixture
def executor() -> KubernetesExecutor:
    # The cluster reaches no callback URL here and stores no artifacts: the run folder on the
    # vp-work volume (the kind overlay) is what the next pod resumes from.
    settings = Settings(
        k8s_namespace=os.environ.get("VP_K8S_NAMESPACE", "vision-platform"),
        k8s_image_tag=os.environ.get("VP_K8S_IMAGE_TAG", "0.1.0"),
        k8s_work_volume_claim=os.environ.get("VP_K8S_WORK_VOLUME_CLAIM", "vp-work"),
        k8s_cpu_request="250m",
        k8s_memory_request="512Mi",
        k8s_memory_limit="2Gi",
        k8s_shm_size="256Mi",
        k8s_ttl_seconds_after_finished=600,
        stop_grace_seconds=60,
    )
    return KubernetesExecutor(settings)


def test_deleted_pod_resumes_in_the_next_job_and_completes(executor: KubernetesExecutor) -> None:
    job_id = int(time.time()) % 1_000_000  # a fresh Job name on a cluster that is reused
    spec = TrainingSpec(
        model_name="resnet18",
        dataset_path="/opt/vp/data/digits",  # baked into the trainer-timm image
        num_epochs=4,
        batch_size=32,
        image_size=32,
        preset="easy",
        seed=0,
        device="cpu",
    )

    def attempt(n: int) -> str:
        request = ExecutionRequest(job_id=job_id, attempt=n, spec=spec, work_dir=Path("/tmp"))
        handle = executor.submit(request)  # held, as the scheduler submits it
        executor.go(handle)  # what the scheduler does once it has recorded the attempt
        return handle

    first = attempt(1)
    try:
        wait_for(
            "the first epoch",
            lambda: any("Epoch 1/4 done" in line for line in executor.logs(first, tail=500)),
        )
        executor.stop(first)  # delete the pod: the trainer saves on SIGTERM and exits 75
        wait_for("the first Job to end", lambda: not executor.status(first).running, 180)
        state = executor.describe(first)
        assert state.state.exit_code == 75, state
    finally:
        executor.release(first, grace_seconds=30)

    second = attempt(2)
    try:
        wait_for("the second Job to end", lambda: not executor.status(second).running)
        logs = executor.logs(second, tail=2000)
        assert executor.status(second).exit_code == 0, "\n".join(logs[-40:])
        assert any(line.startswith("Resuming training from epoch") for line in logs)
        assert any("Training completed" in line for line in logs)
    finally:
        executor.release(second, grace_seconds=30)
