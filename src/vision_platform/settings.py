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
