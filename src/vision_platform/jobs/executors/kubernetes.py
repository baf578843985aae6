"""The Kubernetes executor: each attempt is a `batch/v1` Job (see `k8s_manifests`), watched
through its pods (see `k8s_status`). It needs only a namespaced Role, and imports the
`kubernetes` client only when it talks to a cluster.

No job has two trainers: the scheduler records an attempt's handle (the Job's name, known
beforehand) before it submits; the Job is created held (suspended) and let go only once the
scheduler has confirmed, under its lease, that the attempt is still the job's; a submit first
ends any other attempt's Job of the same job; and each round deletes the held Jobs of attempts
that are not running (a dead or stale leader's: they never ran).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.jobs.executors.k8s_attempts import (
    HELD_JOBS,
    ForeignJobError,
    attempt_of,
    check_key,
    release_patch,
)
from vision_platform.jobs.executors.k8s_manifests import (
    CONTAINER,
    LABEL,
    KubernetesExecutorError,
    attempt_key,
    build_manifests,
    check_pod_credentials,
    job_name,
)
from vision_platform.jobs.executors.k8s_status import (
    EXIT_CANCELLED,
    KubernetesStatus,
    by_age,
    finished,
    map_status,
)
from vision_platform.settings import Settings

# How long past its grace period a trainer's pod gets to be gone, and how often that is asked.
_GONE_WAIT_S = 30.0
_POLL_S = 1.0


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
    def planned_handle(self, job_id: int, attempt: int) -> str | None:
        return f"k8s:{self.settings.k8s_namespace}/{job_name(job_id, attempt)}"

    def submit(self, request: ExecutionRequest) -> str:
        """Create the attempt's ConfigMap, Secret and Job, the Job held until `go`.

        Another attempt's Job of the job is ended first (its trainer saves and goes); a Job of
        this attempt that exists already (a submit whose answer was lost) is adopted."""
        manifests = build_manifests(request, self.settings, hold=True)
        namespace = self.settings.k8s_namespace
        name = manifests.job["metadata"]["name"]
        handle = f"k8s:{namespace}/{name}"
        key = attempt_key(request)
        existing = self._clear_the_way(namespace, request)
        if existing is not None:
            check_key(existing, key, request.job_id)
            return handle
        created: list[tuple[str, str]] = []
        try:
            self._create(namespace, "config_map", manifests.config_map)
            created.append(("config_map", f"{name}-spec"))
            if manifests.secret is not None:
                self._create(namespace, "secret", manifests.secret)
                created.append(("secret", f"{name}-token"))
            job = self._create_job(namespace, manifests.job, key, request.job_id)
        except ForeignJobError:
            self._delete_owned(namespace, created)
            raise
        except Exception as e:
            self._delete_owned(namespace, created)
            with contextlib.suppress(Exception):  # best effort: end_orphans catches the rest
                self._delete_job(namespace, name)  # in case it was made and the answer lost
            raise KubernetesExecutorError(
                f"job {request.job_id}: could not create Kubernetes Job {name}: {e}"
            ) from e
        self._adopt(namespace, job, created)
        return handle

    def go(self, handle: str) -> None:
        """Release the held Job: its pod starts (or, with Kueue, it joins its queue)."""
        from kubernetes.client.exceptions import ApiException

        batch, _ = self._apis()
        namespace, name = _parse_handle(handle)
        try:
            batch.patch_namespaced_job(
                name=name, namespace=namespace, body=release_patch(self.settings)
            )
        except ApiException as e:
            if e.status != 404:  # gone: the next status says so
                raise KubernetesExecutorError(f"{handle}: could not start the Job: {e}") from e

    def end_orphans(self, live: Mapping[int, int]) -> list[str]:
        """Delete the held Jobs of attempts that are not live (a server died or was fenced out
        before it let them go: they never ran). One cheap list a round: only held Jobs match.

        A released Job of an attempt that does not run is not made by the scheduler (it
        adopts or ends what it finds); the next attempt's submit ends one left from before."""
        batch, _ = self._apis()
        namespace = self.settings.k8s_namespace
        found = batch.list_namespaced_job(namespace=namespace, label_selector=HELD_JOBS)
        ended = []
        for job in found.items or []:
            attempt = attempt_of(job)
            if attempt is None or live.get(attempt[0]) == attempt[1]:
                continue
            if job.metadata.deletion_timestamp is not None:
                continue  # already going
            self._end(namespace, job.metadata.name, 0)  # held: no trainer to let save
            ended.append(f"k8s:{namespace}/{job.metadata.name}")
        return ended

    def _clear_the_way(self, namespace: str, request: ExecutionRequest) -> Any:
        """End every other attempt's unfinished Job of the job and wait until their pods are
        gone; returns this attempt's Job when it exists already."""
        batch, _ = self._apis()
        selector = f"{LABEL}/job-id={request.job_id}"
        mine = job_name(request.job_id, request.attempt)
        jobs = batch.list_namespaced_job(namespace=namespace, label_selector=selector).items
        grace = math.ceil(self.settings.stop_grace_seconds)
        for job in jobs or []:
            if job.metadata.name != mine and not finished(job):
                self._end(namespace, job.metadata.name, grace)
        deadline = time.monotonic() + grace + _GONE_WAIT_S
        while left := self._live_pods(namespace, selector, but=mine):
            if time.monotonic() >= deadline:
                raise KubernetesExecutorError(
                    f"job {request.job_id}: pod {left[0].metadata.name} of an earlier attempt "
                    "would not end; no second trainer is started"
                )
            time.sleep(_POLL_S)
        return next((j for j in jobs or [] if j.metadata.name == mine), None)

    def _create(self, namespace: str, kind: str, body: dict[str, Any]) -> None:
        """Create a ConfigMap or Secret; one left by an earlier try of the attempt is updated."""
        from kubernetes.client.exceptions import ApiException

        _, core = self._apis()
        try:
            getattr(core, f"create_namespaced_{kind}")(namespace=namespace, body=body)
        except ApiException as e:
            if e.status != 409:
                raise
            name = body["metadata"]["name"]
            getattr(core, f"patch_namespaced_{kind}")(name=name, namespace=namespace, body=body)

    def _create_job(self, namespace: str, body: dict[str, Any], key: str, job_id: int) -> Any:
        from kubernetes.client.exceptions import ApiException

        batch, _ = self._apis()
        try:
            return batch.create_namespaced_job(namespace=namespace, body=body)
        except ApiException as e:
            if e.status != 409:
                raise
        existing = batch.read_namespaced_job(name=body["metadata"]["name"], namespace=namespace)
        check_key(existing, key, job_id)
        return existing

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
        namespace, name = _parse_handle(handle)
        with self._lock:
            self._cancelled.add(handle)
        self._delete_job(namespace, name)
        self._delete_pods(namespace, name, math.ceil(grace_seconds))

    def release(self, handle: str, *, grace_seconds: float) -> None:
        try:
            namespace, name = _parse_handle(handle)
        except KubernetesExecutorError:
            return  # another executor's handle: nothing of ours to clean up
        self.cancel(handle, grace_seconds=grace_seconds)
        self._delete_owned(namespace, [("config_map", f"{name}-spec"), ("secret", f"{name}-token")])
        deadline = time.monotonic() + grace_seconds + _GONE_WAIT_S
        while self._pods(namespace, name) and time.monotonic() < deadline:
            time.sleep(_POLL_S)
        self.forget(handle)

    def forget(self, handle: str) -> None:
        # The finished Job stays for `kubectl logs` until ttlSecondsAfterFinished removes it.
        with self._lock:
            self._cancelled.discard(handle)

    # -- helpers --
    def _end(self, namespace: str, name: str, grace_seconds: int) -> None:
        """Delete a Job, its live pods (after `grace_seconds`) and its ConfigMap and Secret."""
        self._delete_job(namespace, name)
        self._delete_pods(namespace, name, grace_seconds)
        self._delete_owned(namespace, [("config_map", f"{name}-spec"), ("secret", f"{name}-token")])

    def _delete_job(self, namespace: str, name: str) -> None:
        batch, _ = self._apis()
        with _ignore_api_errors(not_found_only=True):
            batch.delete_namespaced_job(
                name=name, namespace=namespace, propagation_policy="Foreground"
            )

    def _live_pods(self, namespace: str, selector: str, *, but: str) -> list[Any]:
        """The pods of `selector` that still run, other than Job `but`'s."""
        _, core = self._apis()
        pods = core.list_namespaced_pod(namespace=namespace, label_selector=selector).items
        return [
            p
            for p in pods or []
            if (p.metadata.labels or {}).get("job-name") != but
            and (p.status is None or p.status.phase not in ("Succeeded", "Failed"))
        ]

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
