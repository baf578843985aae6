"""Every `VP_*` setting of the platform, in one pydantic-settings class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    callback_url: str | None = None
    job_token: str | None = None
    pretrained_dir: Path | None = Field(
        default=None, description="Folder searched for pretrained weight files (<model>.pth …)."
    )
    max_concurrent_jobs: int = Field(
        default=1, ge=1, description="Training jobs one scheduler runs at the same time."
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

    @property
    def artifact_root(self) -> str:
        return self.storage_uri or str(self.home / "artifacts")

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'vp.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import)."""
    return Settings()
