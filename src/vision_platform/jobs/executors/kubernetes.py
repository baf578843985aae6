"""The Kubernetes executor: each attempt is a `batch/v1` Job (see `k8s_manifests`), watched
through its pods (see `k8s_status`). It needs only a namespaced Role, and imports the
`kubernetes` client only when it talks to a cluster.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.jobs.executors.k8s_manifests import (
    CONTAINER,
    KubernetesExecutorError,
    build_manifests,
    check_pod_credentials,
)
from vision_platform.jobs.executors.k8s_status import (
    EXIT_CANCELLED,
    KubernetesStatus,
    by_age,
    map_status,
)
from vision_platform.settings import Settings


def _parse_handle(handle: str) -> tuple[str, str]:
    kind, _, rest = handle.partition(":")
    namespace, _, name = rest.partition("/")
    if kind != "k8s" or not namespace or not name:
        raise KubernetesExecutorError(f"not a Kubernetes executor handle: {handle!r}")
    return namespace, name


class KubernetesExecutor(Executor):
    """Runs each attempt as a Job in one namespace; needs only a namespaced Role.

    `batch_api` and `core_api` (a `BatchV1Api` and a `CoreV1Api`) are built from the in-cluster
    or kubeconfig credentials on first use when not given."""

    def __init__(self, settings: Settings, *, batch_api: Any = None, core_api: Any = None) -> None:
        check_pod_credentials(settings)  # at start-up, not at the first job
        self.settings = settings
        self._batch = batch_api
        self._core = core_api
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()

    # -- clients --
    def _apis(self) -> tuple[Any, Any]:
        if self._batch is None or self._core is None:
            from kubernetes import client, config

            try:
                config.load_incluster_config()
            except config.ConfigException:
                config.load_kube_config()
            self._batch = self._batch or client.BatchV1Api()
            self._core = self._core or client.CoreV1Api()
        return self._batch, self._core

    # -- Executor --
    def submit(self, request: ExecutionRequest) -> str:
        batch, core = self._apis()
        manifests = build_manifests(request, self.settings)
        namespace = self.settings.k8s_namespace
        name = manifests.job["metadata"]["name"]
        created: list[tuple[str, str]] = []
        try:
            core.create_namespaced_config_map(namespace=namespace, body=manifests.config_map)
            created.append(("config_map", f"{name}-spec"))
            if manifests.secret is not None:
                core.create_namespaced_secret(namespace=namespace, body=manifests.secret)
                created.append(("secret", f"{name}-token"))
            job = batch.create_namespaced_job(namespace=namespace, body=manifests.job)
        except Exception as e:
            self._delete_owned(namespace, created)
            raise KubernetesExecutorError(
                f"job {request.job_id}: could not create Kubernetes Job {name}: {e}"
            ) from e
        self._adopt(namespace, job, created)
        return f"k8s:{namespace}/{name}"

    def _adopt(self, namespace: str, job: Any, owned: list[tuple[str, str]]) -> None:
        """Make the Job own its ConfigMap and Secret, so that its TTL deletes them too."""
        owner = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": job.metadata.name,
            "uid": job.metadata.uid,
        }
        body = {"metadata": {"ownerReferences": [owner]}}
        _, core = self._apis()
        for kind, name in owned:
            patch = getattr(core, f"patch_namespaced_{kind}")
            # Not fatal: the labels still let `release` find and delete them.
            with _ignore_api_errors():
                patch(name=name, namespace=namespace, body=body)

    def describe(self, handle: str) -> KubernetesStatus:
        """The attempt's state with the reason Kubernetes gives (Unschedulable, OOMKilled, …)."""
        from kubernetes.client.exceptions import ApiException

        batch, _ = self._apis()
        namespace, name = _parse_handle(handle)

        try:
            job = batch.read_namespaced_job(name=name, namespace=namespace)
        except ApiException as e:
            if e.status != 404:
                raise KubernetesExecutorError(f"{handle}: could not read the Job: {e}") from e
            with self._lock:
                cancelled = handle in self._cancelled
            if cancelled:
                state = ExecutionState(running=False, exit_code=EXIT_CANCELLED)
                return KubernetesStatus(state, "Cancelled")
            return KubernetesStatus(ExecutionState(running=False, lost=True), "NotFound")
        return map_status(job, self._pods(namespace, name))

    def status(self, handle: str) -> ExecutionState:
        return self.describe(handle).state

    def logs(self, handle: str, *, tail: int = 200) -> list[str]:
        _, core = self._apis()
        namespace, name = _parse_handle(handle)
        pods = by_age(self._pods(namespace, name))
        lines: list[str] = []
        if pods:
            with _ignore_api_errors():  # a pod still pulling its image has no log yet
                text = core.read_namespaced_pod_log(
                    name=pods[-1].metadata.name,
                    namespace=namespace,
                    container=CONTAINER,
                    tail_lines=tail,
                )
                lines = str(text).splitlines()
        with contextlib.suppress(KubernetesExecutorError):
            why = self.describe(handle).describe()
            if why:
                lines.append(f"[kubernetes] Job {name}: {why}")
        return lines[-tail:] if tail > 0 else lines

    def stop(self, handle: str) -> None:
        """Delete the pods with a grace period: the trainer saves on SIGTERM and exits 75."""
        namespace, name = _parse_handle(handle)
        self._delete_pods(namespace, name, math.ceil(self.settings.stop_grace_seconds))

    def cancel(self, handle: str, *, grace_seconds: float) -> None:
        batch, _ = self._apis()
        namespace, name = _parse_handle(handle)
        with self._lock:
            self._cancelled.add(handle)
        with _ignore_api_errors(not_found_only=True):
            batch.delete_namespaced_job(
                name=name, namespace=namespace, propagation_policy="Foreground"
            )
        self._delete_pods(namespace, name, math.ceil(grace_seconds))

    def release(self, handle: str, *, grace_seconds: float) -> None:
        try:
            namespace, name = _parse_handle(handle)
        except KubernetesExecutorError:
            return  # another executor's handle: nothing of ours to clean up
        self.cancel(handle, grace_seconds=grace_seconds)
        self._delete_owned(namespace, [("config_map", f"{name}-spec"), ("secret", f"{name}-token")])
        deadline = time.monotonic() + grace_seconds + 30
        while self._pods(namespace, name) and time.monotonic() < deadline:
            time.sleep(1.0)
        self.forget(handle)

    def forget(self, handle: str) -> None:
        # The finished Job stays for `kubectl logs` until ttlSecondsAfterFinished removes it.
        with self._lock:
            self._cancelled.discard(handle)

    # -- helpers --
    def _pods(self, namespace: str, name: str) -> list[Any]:
        _, core = self._apis()
        result = core.list_namespaced_pod(namespace=namespace, label_selector=f"job-name={name}")
        return list(result.items or [])

    def _delete_pods(self, namespace: str, name: str, grace_seconds: int) -> None:
        _, core = self._apis()
        for pod in self._pods(namespace, name):
            if pod.status and pod.status.phase in ("Succeeded", "Failed"):
                continue
            with _ignore_api_errors(not_found_only=True):
                core.delete_namespaced_pod(
                    name=pod.metadata.name,
                    namespace=namespace,
                    grace_period_seconds=grace_seconds,
                )

    def _delete_owned(self, namespace: str, owned: list[tuple[str, str]]) -> None:
        _, core = self._apis()
        for kind, name in owned:
            delete = getattr(core, f"delete_namespaced_{kind}")
            with _ignore_api_errors():
                delete(name=name, namespace=namespace)


@contextlib.contextmanager
def _ignore_api_errors(*, not_found_only: bool = False) -> Iterator[None]:
    """Ignore a Kubernetes API error: any of them, or only 404 Not Found."""
    from kubernetes.client.exceptions import ApiException

    try:
        yield
    except ApiException as e:
        if not_found_only and e.status != 404:
            raise
