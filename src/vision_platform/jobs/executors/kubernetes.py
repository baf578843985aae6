"""The Kubernetes executor: each attempt is a `batch/v1` Job running `vp train --spec … --resume`
(or, for a batch inference job, `vp infer-batch --spec …`).

`build_manifests` (pure: request + settings → the Job, its spec ConfigMap and its token Secret)
is what `vp k8s manifest` prints and what `KubernetesExecutor.submit` sends, byte for byte.
`map_status` turns the Job's and its pods' conditions into an `ExecutionState` and a reason a
user can act on. The `kubernetes` client is imported only when the executor talks to a cluster.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.errors import EXIT_FAILURE, EXIT_RESUMABLE, VisionPlatformError
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.settings import Settings

CONTAINER = "trainer"
SPEC_DIR = "/etc/vp"
SPEC_FILE = "spec.json"
WORK_DIR = "/work"
LABEL = "vision-platform"
GPU_RESOURCE = "nvidia.com/gpu"
# 128 + SIGTERM: what a cancelled trainer is reported as once its Job is gone.
EXIT_CANCELLED = 143
# Environment keys that go into the attempt's Secret, never into the pod spec as plain values.
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)
# Waiting reasons that mean the container will not start on its own.
_STUCK_REASONS = (
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "CrashLoopBackOff",
)


class KubernetesExecutorError(VisionPlatformError):
    """A call to the Kubernetes API failed for one job's attempt."""


# --- manifests (pure) ------------------------------------------------------------------------
@dataclass(frozen=True)
class JobManifests:
    """What one attempt creates: the Job, the ConfigMap with its spec, the Secret with its token."""

    job: dict[str, Any]
    config_map: dict[str, Any]
    secret: dict[str, Any] | None

    def documents(self) -> list[dict[str, Any]]:
        """In the order they are created (the Job last, so its pod finds the rest in place)."""
        docs = [self.config_map] + ([self.secret] if self.secret else [])
        return [*docs, self.job]


def job_name(job_id: int, attempt: int) -> str:
    """The Job's name: one per attempt, so a new attempt never meets the old one's pods."""
    return f"vp-job-{job_id}-a{attempt}"


def trainer_image(framework: str, settings: Settings) -> str:
    """`<registry>/vision-platform/trainer-<framework>:<tag>`."""
    registry = settings.k8s_image_registry.rstrip("/")
    repo = f"vision-platform/trainer-{framework}"
    return f"{registry + '/' if registry else ''}{repo}:{settings.k8s_image_tag}"


def _margin(seconds: float) -> float:
    """Time the trainer gets between its own stop and the Job's deadline: to save and exit."""
    return min(max(120.0, 0.1 * seconds), 0.5 * seconds)


def stage_limits(
    spec_seconds: float | None, deadline_seconds: float | None
) -> tuple[float | None, int | None]:
    """(the trainer's --max-stage-seconds, the Job's activeDeadlineSeconds), a margin apart.

    The trainer stops itself first (saves, exits 75); the deadline only catches a hung one."""
    if deadline_seconds is None:
        if spec_seconds is None:
            return None, None
        return spec_seconds, math.ceil(spec_seconds + _margin(spec_seconds))
    deadline = math.ceil(deadline_seconds)
    trainer = deadline - _margin(deadline)
    return (trainer if spec_seconds is None else min(spec_seconds, trainer)), deadline


def gpu_count(device: str, settings: Settings) -> int:
    """GPUs to ask for: none for cpu, one per listed index ("0,1"), else the setting."""
    device = device.strip().lower()
    if device == "cpu":
        return 0
    if re.fullmatch(r"\d+(,\d+)*", device):
        return len(device.split(","))
    if device.startswith("cuda"):
        return max(1, settings.k8s_gpu_count)
    return settings.k8s_gpu_count


def _labels(request: ExecutionRequest, framework: str, stage: int | None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": "vision-platform",
        "app.kubernetes.io/component": "trainer",
        "app.kubernetes.io/part-of": "vision-platform",
        "app.kubernetes.io/managed-by": "vision-platform",
        "app.kubernetes.io/instance": job_name(request.job_id, request.attempt),
        f"{LABEL}/job-id": str(request.job_id),
        f"{LABEL}/attempt": str(request.attempt),
        f"{LABEL}/framework": framework,
    }
    if stage is not None:
        labels[f"{LABEL}/stage"] = str(stage)
    return labels


def _metadata(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def _pod_device(device: str) -> str:
    if re.fullmatch(r"\d+(,\d+)*", device.strip()):
        # The pod sees only the GPUs it was given, numbered from 0.
        return ",".join(str(i) for i in range(len(device.split(","))))
    return device


def _batch_spec(spec: BatchInferenceSpec, job_id: int, framework: str) -> dict[str, Any]:
    """A batch run's spec as the pod runs it (its paths must be reachable there: S3 or a PVC)."""
    update = {
        "device": _pod_device(spec.device),
        "framework": framework,
        "job_id": spec.job_id or str(job_id),
    }
    return spec.model_copy(update=update).model_dump(mode="json")


def _trainer_spec(
    request: ExecutionRequest, framework: str, trainer_seconds: float | None
) -> dict[str, Any]:
    if isinstance(request.spec, BatchInferenceSpec):
        return _batch_spec(request.spec, request.job_id, framework)
    job_id = request.spec.job_id or str(request.job_id)
    return request.spec.model_copy(
        update={
            "device": _pod_device(request.spec.device),
            "framework": framework,
            "job_id": job_id,
            # The server's folder does not exist in the pod; the run folder lives under /work.
            "output_dir": f"{WORK_DIR}/job_{job_id}",
            "resume": True,
            "max_stage_seconds": trainer_seconds,
        }
    ).model_dump(mode="json")


def _env(request: ExecutionRequest, settings: Settings, secret_name: str) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [{"name": "PYTHONUNBUFFERED", "value": "1"}]
    if settings.storage_uri:
        env.append({"name": "VP_STORAGE_URI", "value": settings.storage_uri})
    if settings.s3_endpoint_url:
        env.append({"name": "VP_S3_ENDPOINT_URL", "value": settings.s3_endpoint_url})
    for key in sorted(request.env):
        if _SECRET_ENV.search(key):
            ref = {"secretKeyRef": {"name": secret_name, "key": key}}
            env.append({"name": key, "valueFrom": ref})
        else:
            env.append({"name": key, "value": request.env[key]})
    return env


def _resources(settings: Settings, gpus: int) -> dict[str, Any]:
    requests = {"cpu": settings.k8s_cpu_request, "memory": settings.k8s_memory_request}
    limits = {"memory": settings.k8s_memory_limit}
    if settings.k8s_cpu_limit:
        limits["cpu"] = settings.k8s_cpu_limit
    if gpus:
        # An extended resource is asked for by its limit; Kubernetes sets the request equal.
        limits[GPU_RESOURCE] = str(gpus)
    return {"requests": requests, "limits": limits}


def _volumes(settings: Settings, config_map: str) -> list[dict[str, Any]]:
    work: dict[str, Any] = (
        {"persistentVolumeClaim": {"claimName": settings.k8s_work_volume_claim}}
        if settings.k8s_work_volume_claim
        else {"emptyDir": {}}
    )
    return [
        {"name": "spec", "configMap": {"name": config_map}},
        {"name": "work", **work},
        # Data loader workers share batches through /dev/shm, which is 64 MiB by default.
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": settings.k8s_shm_size}},
    ]


def pod_failure_policy() -> dict[str, Any]:
    """Exit 2 fails the Job at once; exit 75 ends it as a stage; disruptions are not failures.

    Rules apply in order: a drained node's trainer also exits 75 on SIGTERM, and the first rule
    makes the Job replace that pod (it resumes) instead of ending the stage."""
    return {
        "rules": [
            {
                "action": "Ignore",
                "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
            },
            {
                "action": "FailJob",
                "onExitCodes": {"containerName": CONTAINER, "operator": "In", "values": [2]},
            },
            {
                "action": "FailJob",
                "onExitCodes": {
                    "containerName": CONTAINER,
                    "operator": "In",
                    "values": [EXIT_RESUMABLE],
                },
            },
        ]
    }


def _args(request: ExecutionRequest) -> list[str]:
    """`train --spec … --resume` always; `infer-batch --spec …` (it always resumes)."""
    if request.command == "infer-batch":
        return ["infer-batch", "--spec", f"{SPEC_DIR}/{SPEC_FILE}"]
    return ["train", "--spec", f"{SPEC_DIR}/{SPEC_FILE}", "--resume"]


def _framework(spec: TrainingSpec | BatchInferenceSpec) -> str:
    from vision_platform.adapters.registry import registry

    if isinstance(spec, BatchInferenceSpec):
        if spec.framework is None:
            raise KubernetesExecutorError(
                f"batch job {spec.job_id}: the spec names no framework (for the trainer image)"
            )
        return spec.framework
    return spec.framework or registry.framework_for_model(spec.model_name)


def _container(
    request: ExecutionRequest, settings: Settings, framework: str, gpus: int, secret: str
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": trainer_image(framework, settings),
        "imagePullPolicy": settings.k8s_image_pull_policy,
        "command": ["vp"],
        "args": _args(request),
        "workingDir": WORK_DIR,
        "env": _env(request, settings, secret),
        "resources": _resources(settings, gpus),
        "volumeMounts": [
            {"name": "spec", "mountPath": SPEC_DIR, "readOnly": True},
            {"name": "work", "mountPath": WORK_DIR},
            {"name": "dshm", "mountPath": "/dev/shm"},
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    if settings.k8s_s3_secret_name:
        container["envFrom"] = [{"secretRef": {"name": settings.k8s_s3_secret_name}}]
    return container


def _pod_spec(
    container: dict[str, Any], settings: Settings, gpus: int, config_map: str
) -> dict[str, Any]:
    pod: dict[str, Any] = {
        "restartPolicy": "Never",  # podFailurePolicy needs it, and a retry is a fresh pod
        "automountServiceAccountToken": False,  # the trainer holds no cluster credentials
        "terminationGracePeriodSeconds": max(30, math.ceil(settings.stop_grace_seconds)),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "runAsGroup": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": _volumes(settings, config_map),
    }
    if settings.k8s_service_account:
        pod["serviceAccountName"] = settings.k8s_service_account
    if gpus:
        pod["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    return pod


def build_manifests(
    request: ExecutionRequest, settings: Settings, *, stage: int | None = None
) -> JobManifests:
    """The Job, ConfigMap and Secret that run one attempt (`stage` labels it when known)."""
    spec = request.spec
    framework = _framework(spec)
    name = job_name(request.job_id, request.attempt)
    namespace = settings.k8s_namespace
    labels = _labels(request, framework, stage)
    stage_seconds = spec.max_stage_seconds if isinstance(spec, TrainingSpec) else None
    trainer_seconds, deadline = stage_limits(stage_seconds, settings.k8s_stage_seconds)
    gpus = gpu_count(spec.device, settings)
    secret_name = f"{name}-token"
    secret_env = {k: v for k, v in request.env.items() if _SECRET_ENV.search(k)}

    config_map: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(f"{name}-spec", namespace, labels),
        "data": {SPEC_FILE: json.dumps(_trainer_spec(request, framework, trainer_seconds))},
    }
    secret = (
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _metadata(secret_name, namespace, labels),
            "type": "Opaque",
            "stringData": dict(sorted(secret_env.items())),
        }
        if secret_env
        else None
    )
    container = _container(request, settings, framework, gpus, secret_name)
    pod = _pod_spec(container, settings, gpus, f"{name}-spec")
    job_spec: dict[str, Any] = {
        "backoffLimit": settings.k8s_backoff_limit,
        "ttlSecondsAfterFinished": settings.k8s_ttl_seconds_after_finished,
        "podFailurePolicy": pod_failure_policy(),
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
    }
    if deadline is not None:
        job_spec["activeDeadlineSeconds"] = deadline
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(name, namespace, labels),
        "spec": job_spec,
    }
    return JobManifests(job=job, config_map=config_map, secret=secret)


# --- status (pure) ---------------------------------------------------------------------------
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


def _by_age(pods: Iterable[Any]) -> list[Any]:
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


def map_status(job: Any, pods: list[Any]) -> KubernetesStatus:
    """The state of an attempt from its `V1Job` and the `V1Pod`s the Job made."""
    pods = _by_age(pods)
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


# --- the executor ----------------------------------------------------------------------------
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
        pods = _by_age(self._pods(namespace, name))
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
