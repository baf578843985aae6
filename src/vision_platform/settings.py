"""Every `VP_*` setting of the platform, in one pydantic-settings class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Platform settings read from `VP_*` environment variables and an optional `.env` file."""

    model_config = SettingsConfigDict(env_prefix="VP_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".vp"), description="Folder for the platform's own state.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite.")
    storage_uri: str | None = Field(default=None, description="Artifact storage root.")
    s3_endpoint_url: str | None = None
    executor: Literal["local", "kubernetes"] = "local"
    data_roots: str | None = Field(default=None, description="':'-separated allowed data folders.")
    api_token: str | None = None
    llm_provider: Literal["rules", "gemini", "openai"] = "rules"
    llm_model: str | None = Field(default=None, description="LLM model name for the provider.")
    llm_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible endpoint."
    )
    llm_api_key: str | None = None
    llm_timeout_seconds: float = Field(
        default=20.0, gt=0, description="How long one LLM call may take before the rules are used."
    )
    callback_url: str | None = None
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="Also log completed jobs and registered versions to this MLflow tracking "
        "server or store (needs the mlflow extra); off when unset.",
    )
    job_token: str | None = None
    job_attempt: int | None = Field(
        default=None, ge=1, description="The attempt a job's process runs (set by the scheduler)."
    )
    upload_wait_seconds: float = Field(
        default=600,
        ge=0,
        description="How long the end of a run waits for checkpoint uploads to remote storage.",
    )
    checkpoint_write_delay_seconds: float = Field(
        default=0,
        ge=0,
        description="Test hook: the background checkpoint writer waits this long between "
        "writing a checkpoint and publishing it (writes made at once do not), so that tests "
        "can kill a run mid-write.",
    )
    pretrained_dir: Path | None = Field(
        default=None, description="Folder searched for pretrained weight files (<model>.pth …)."
    )
    allow_downloads: bool = Field(
        default=False,
        description="Let `pretrained: true` fetch weights from the hubs (Hugging Face for timm, "
        "Ultralytics' release assets) when no local place has them; off: nothing is downloaded.",
    )
    max_weights_mb: float = Field(
        default=2048, gt=0, description="Largest weights file `POST /weights` accepts."
    )
    max_upload_mb: float = Field(default=20, gt=0, description="Largest image upload accepted.")
    max_dataset_mb: float = Field(
        default=2048, gt=0, description="Largest data set archive an upload may send."
    )
    max_dataset_extracted_mb: float = Field(
        default=8192, gt=0, description="Most an uploaded archive may unpack to."
    )
    max_dataset_ratio: float = Field(
        default=100,
        gt=1,
        description="Most an archive may unpack to, as a multiple of its size (zip bombs).",
    )
    max_body_mb: float = Field(
        default=32, gt=0, description="Largest request body other than an upload (JSON)."
    )
    max_concurrent_uploads: int = Field(
        default=8,
        gt=0,
        description="Uploads (multipart requests) one server process takes at once; the next "
        "is refused with 429 and Retry-After until one ends.",
    )
    batch_wait_ms: float = Field(
        default=5, ge=0, le=1000, description="How long a single request waits for others to batch."
    )
    batch_item_delay_seconds: float = Field(
        default=0,
        ge=0,
        le=60,
        description="Pause after each image of a batch inference job (slows a run down for tests).",
    )
    max_concurrent_jobs: int = Field(
        default=1,
        ge=0,
        description="Training jobs one scheduler runs at the same time (0: an API-only server).",
    )
    queues: str | None = Field(
        default=None,
        description="Named job queues and each one's concurrent-job limit, e.g. "
        "'research=2,prod=4' (within VP_MAX_CONCURRENT_JOBS); a job's `queue` must be one.",
    )
    queue_aging_seconds: float = Field(
        default=3600,
        gt=0,
        description="A waiting job's rank rises by one priority level per this many seconds "
        "waited (up to high), so that low jobs are not starved; preemption uses the job's own.",
    )
    backoff_limit: int = Field(
        default=3, ge=0, description="Retries (with --resume) of a crashed job before it fails."
    )
    stop_grace_seconds: float = Field(
        default=30.0, gt=0, description="How long cancel waits after SIGTERM before SIGKILL."
    )
    scheduler_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the scheduler looks for work and exits."
    )
    scheduler_id: str | None = Field(
        default=None, description="Name of this scheduler in the database; default the host name."
    )
    scheduler_lease_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long the scheduler lease lasts unrenewed: when its server dies, "
        "another takes over scheduling after this (at once on the same machine).",
    )

    # --- Kubernetes executor (VP_EXECUTOR=kubernetes) ---------------------------------------
    k8s_namespace: str = Field(
        default="vision-platform", description="Namespace the training Jobs are created in."
    )
    k8s_image_registry: str = Field(
        default="",
        description="Registry prefix of the trainer images, e.g. ghcr.io/acme; empty: none.",
    )
    k8s_image_tag: str = Field(default="0.1.0", description="Tag of the trainer images.")
    k8s_image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    k8s_gpu_count: int = Field(
        default=0, ge=0, le=16, description="nvidia.com/gpu per trainer pod (device auto|cuda)."
    )
    k8s_cpu_request: str = "1"
    k8s_cpu_limit: str | None = "4"
    k8s_memory_request: str = "2Gi"
    k8s_memory_limit: str = "8Gi"
    k8s_shm_size: str = Field(default="1Gi", description="Size of /dev/shm for data loaders.")
    k8s_service_account: str | None = Field(
        default=None, description="ServiceAccount of the trainer pods (e.g. for workload identity)."
    )
    k8s_s3_secret_name: str | None = Field(
        default=None, description="Secret with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for pods."
    )
    k8s_pod_identity: bool = Field(
        default=False,
        description="Trainer pods get S3 credentials from the cluster (IRSA, workload identity, "
        "a node role), not from VP_K8S_S3_SECRET_NAME.",
    )
    k8s_work_volume_claim: str | None = Field(
        default=None,
        description="PersistentVolumeClaim mounted at /work for run folders; default emptyDir.",
    )
    k8s_ttl_seconds_after_finished: int = Field(
        default=3600, ge=0, description="How long a finished Job stays before it is deleted."
    )
    k8s_stage_seconds: float | None = Field(
        default=None,
        gt=0,
        description="activeDeadlineSeconds of every Job; the trainer stops a margin before it.",
    )
    k8s_backoff_limit: int = Field(
        default=3, ge=0, description="Pod retries inside one Job (with --resume) before it fails."
    )
    k8s_kueue_queue: str | None = Field(
        default=None,
        description="Kueue LocalQueue of the training Jobs: they carry kueue.x-k8s.io/queue-name "
        "and are created suspended for Kueue to admit; unset: no Kueue.",
    )

    @field_validator("queues")
    @classmethod
    def _check_queues(cls, value: str | None) -> str | None:
        parse_queues(value)
        return value

    @property
    def queue_limits(self) -> dict[str, int]:
        """Each named queue's concurrent-job limit (VP_QUEUES)."""
        return parse_queues(self.queues)

    @property
    def artifact_root(self) -> str:
        return self.storage_uri or str(self.home / "artifacts")

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'vp.db'}"


def parse_queues(text: str | None) -> dict[str, int]:
    """'research=2,prod=4' → {"research": 2, "prod": 4}; ValueError naming what is wrong."""
    limits: dict[str, int] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, limit = item.partition("=")
        name = name.strip()
        if not sep or not name or not limit.strip().isdigit():
            raise ValueError(f"VP_QUEUES: {item.strip()!r} is not name=limit (e.g. research=2)")
        limits[name] = int(limit)
    return limits


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import)."""
    return Settings()
