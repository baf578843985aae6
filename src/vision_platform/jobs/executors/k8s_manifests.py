"""The Kubernetes objects one attempt creates: a `batch/v1` Job running `vp train --spec …
--resume` (or, for a batch inference job, `vp infer-batch --spec …`), the ConfigMap holding its
spec and the Secret holding its token.

`build_manifests` is pure (request + settings → objects): it is what `vp k8s manifest` prints and,
with `hold=True`, what `KubernetesExecutor.submit` sends, byte for byte. A held Job is created
suspended and starts no pod until the scheduler, having recorded the attempt under its lease,
lets it go (`KubernetesExecutor.go`): a server that dies or is fenced out in between leaves a Job
that never ran, which its successor adopts or deletes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from vision_platform.configs import BatchInferenceSpec, TrainingSpec
from vision_platform.errors import EXIT_RESUMABLE, InvalidInputError, VisionPlatformError
from vision_platform.jobs.executors.base import ExecutionRequest
from vision_platform.settings import Settings
from vision_platform.storage import is_remote

CONTAINER = "trainer"
SPEC_DIR = "/etc/vp"
SPEC_FILE = "spec.json"
WORK_DIR = "/work"
LABEL = "vision-platform"
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
# A label of a Job the platform submitted: "held" until the scheduler lets it start, then
# "released" (a label, so that the held ones are listed cheaply).
HOLD_LABEL = f"{LABEL}/start"
# On a Job the platform submitted: a digest of its attempt's token, which tells this attempt's
# Job from one of the same name made for another (a reset database, another platform).
ATTEMPT_KEY_ANNOTATION = f"{LABEL}/attempt-key"
GPU_RESOURCE = "nvidia.com/gpu"
# Environment keys that go into the attempt's Secret, never into the pod spec as plain values.
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)


class KubernetesExecutorError(VisionPlatformError):
    """A call to the Kubernetes API failed for one job's attempt."""


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


def check_pod_credentials(settings: Settings) -> None:
    """Refuse remote storage that trainer pods would have no way to reach.

    A pod without credentials would train and then fail every upload, which shows only in its
    log; saying so before any Job is created names the settings that fix it."""
    if not is_remote(settings.storage_uri) or settings.k8s_s3_secret_name:
        return
    if settings.k8s_pod_identity:
        return
    raise InvalidInputError(
        f"VP_STORAGE_URI is {settings.storage_uri!r} but trainer pods get no credentials for it: "
        "set VP_K8S_S3_SECRET_NAME to a Secret holding AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or VP_K8S_POD_IDENTITY=1 when pods get them from the cluster "
        "(IRSA, workload identity, a node role)"
    )


def job_name(job_id: int, attempt: int) -> str:
    """The Job's name: one per attempt, so a new attempt never meets the old one's pods."""
    return f"vp-job-{job_id}-a{attempt}"


def attempt_key(request: ExecutionRequest) -> str:
    """A digest of the attempt's report token (never the token, nor the hash the database
    keeps of it); empty without a token."""
    token = request.env.get("VP_JOB_TOKEN", "")
    return hashlib.sha256(f"vp-attempt:{token}".encode()).hexdigest()[:32] if token else ""


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


def priority_class(priority: str) -> str:
    """The PriorityClass of a job's pods (one per level, in deploy/k8s/base)."""
    return f"{LABEL}-{priority}"


def _metadata(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def _job_metadata(
    request: ExecutionRequest, settings: Settings, labels: dict[str, str], *, hold: bool
) -> tuple[dict[str, Any], bool]:
    """The Job's metadata, and whether it is created suspended.

    Kueue admits a Job by unsuspending it; a held one joins its queue only when released."""
    job_labels = dict(labels)
    if settings.k8s_kueue_queue and not hold:
        job_labels[KUEUE_QUEUE_LABEL] = settings.k8s_kueue_queue
    if hold:
        job_labels[HOLD_LABEL] = "held"
    name = job_name(request.job_id, request.attempt)
    metadata = _metadata(name, settings.k8s_namespace, job_labels)
    if hold:
        metadata["annotations"] = {ATTEMPT_KEY_ANNOTATION: attempt_key(request)}
    return metadata, hold or bool(settings.k8s_kueue_queue)


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
    request: ExecutionRequest, settings: Settings, *, stage: int | None = None, hold: bool = False
) -> JobManifests:
    """The Job, ConfigMap and Secret that run one attempt (`stage` labels it when known;
    `hold`: the Job waits, suspended, to be released, as the executor submits it)."""
    check_pod_credentials(settings)
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
    pod["priorityClassName"] = priority_class(request.priority)
    job_spec: dict[str, Any] = {
        "backoffLimit": settings.k8s_backoff_limit,
        "ttlSecondsAfterFinished": settings.k8s_ttl_seconds_after_finished,
        "podFailurePolicy": pod_failure_policy(),
        "template": {"metadata": {"labels": dict(labels)}, "spec": pod},
    }
    if deadline is not None:
        job_spec["activeDeadlineSeconds"] = deadline
    # Kueue admits it (unsuspends it) when its ClusterQueue has room; Kueue's own preemption
    # evicts the pods, a disruption the podFailurePolicy ignores.
    metadata, suspended = _job_metadata(request, settings, labels, hold=hold)
    if suspended:
        job_spec["suspend"] = True
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": job_spec}
    return JobManifests(job=job, config_map=config_map, secret=secret)
