"""Which Kubernetes Job is whose: an attempt's Job told from another of the same name, the
release of a held Job, and the labels that find the platform's Jobs (pure: no API calls)."""

from __future__ import annotations

from typing import Any

from vision_platform.jobs.executors.k8s_manifests import (
    ATTEMPT_KEY_ANNOTATION,
    HOLD_LABEL,
    KUEUE_QUEUE_LABEL,
    LABEL,
    KubernetesExecutorError,
)
from vision_platform.settings import Settings

# The Jobs a platform server submitted (the trainers'), of any job and attempt, still held.
HELD_JOBS = (
    "app.kubernetes.io/managed-by=vision-platform,app.kubernetes.io/component=trainer,"
    f"{HOLD_LABEL}=held"
)


class ForeignJobError(KubernetesExecutorError):
    """A Job of this attempt's name exists but was made for another attempt (a reset database,
    another platform in the namespace): it is left alone, and this attempt does not start."""


def attempt_of(job: Any) -> tuple[int, int] | None:
    """(job id, attempt) from a Job's labels, or None when it carries none."""
    labels = job.metadata.labels or {}
    job_id, attempt = labels.get(f"{LABEL}/job-id", ""), labels.get(f"{LABEL}/attempt", "")
    return (int(job_id), int(attempt)) if job_id.isdigit() and attempt.isdigit() else None


def check_key(job: Any, key: str, job_id: int) -> None:
    """ForeignJobError unless `job` was made for the attempt whose key is `key`."""
    if (job.metadata.annotations or {}).get(ATTEMPT_KEY_ANNOTATION, "") != key:
        raise ForeignJobError(
            f"job {job_id}: a Kubernetes Job named {job.metadata.name} exists but was not made "
            "for this attempt (a reset database, or another platform in this namespace); "
            "delete it, or use another VP_K8S_NAMESPACE"
        )


def release_patch(settings: Settings) -> dict[str, Any]:
    """The patch that lets a held Job start: unsuspended, or (with Kueue) handed to its queue,
    which unsuspends it once admitted."""
    labels = {HOLD_LABEL: "released"}
    if settings.k8s_kueue_queue:
        labels[KUEUE_QUEUE_LABEL] = settings.k8s_kueue_queue
        return {"metadata": {"labels": labels}}
    return {"metadata": {"labels": labels}, "spec": {"suspend": False}}
