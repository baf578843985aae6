"""Pydantic models at the registry's edge, and the grammar of names, aliases and refs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.adapters.base import InferenceResult
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.runs import RunMetrics
from vision_platform.jobs.schemas import MODEL_NAME_PATTERN

# An alias is a slug; one that reads as a version (`v3`) is refused too, as in MLflow.
ALIAS_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
PRODUCTION = "production"
_VERSION = re.compile(r"^v?([0-9]{1,9})$")


def check_alias(alias: str) -> str:
    """`alias` when it is a slug that cannot be read as a version; 422 otherwise."""
    if not re.match(ALIAS_PATTERN, alias) or re.match(r"^v[0-9]+$", alias):
        raise InvalidInputError(
            f"alias {alias!r}: an alias is a lower-case slug ({ALIAS_PATTERN}) and not vN"
        )
    return alias


@dataclass(frozen=True)
class ModelRef:
    """What a deployment predicts with: a version by number, or whatever an alias points at."""

    name: str
    alias: str | None = None
    version: int | None = None

    @classmethod
    def parse(cls, ref: str) -> ModelRef:
        """`name` (= `name@production`), `name@alias` or `name@v3`; 422 for anything else."""
        name, at, selector = ref.partition("@")
        if not re.match(MODEL_NAME_PATTERN, name):
            raise InvalidInputError(f"model {name!r}: a name is a lower-case slug ({ref!r})")
        if not at:
            return cls(name, alias=PRODUCTION)
        if selector.startswith("v") and (number := _VERSION.match(selector)):
            return cls(name, version=int(number.group(1)))
        if not re.match(ALIAS_PATTERN, selector):
            raise InvalidInputError(
                f"model ref {ref!r}: after '@' comes an alias (a lower-case slug) or vN"
            )
        return cls(name, alias=selector)

    def __str__(self) -> str:
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}@v{self.version}"


def parse_version(text: str) -> int:
    """A version in a path: `3` or `v3`; 422 for anything else."""
    number = _VERSION.match(text)
    if number is None or int(number.group(1)) < 1:
        raise InvalidInputError(f"version {text!r}: give a number (3) or v3")
    return int(number.group(1))


class VersionCreate(BaseModel):
    """Register a completed training job as the model's next version."""

    model_config = ConfigDict(extra="forbid")
    job_id: int = Field(ge=0, le=2**31 - 1)


class AliasSet(BaseModel):
    """Point an alias at a version (moving it when it pointed elsewhere)."""

    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=2**31 - 1)


class ExportOut(BaseModel):
    """One exported form of a version's model, as it was when registered."""

    sha256: str
    size: int


class ModelVersionOut(RunMetrics):
    """One version: its job, checkpoint, data set, resolved config, metrics and exports."""

    name: str
    version: int
    aliases: list[str]
    job_id: int
    framework: str
    model_name: str
    task_type: str
    dataset: str = Field(description="The data set the job trained on: its path (or URI).")
    dataset_ref: str | None = Field(
        default=None,
        description="The stored data set version the job trained on (name@version), if it "
        "named one; null for a job given a dataset_path.",
    )
    checkpoint_sha256: str
    config: dict[str, Any]
    exports: dict[str, ExportOut]
    created_at: datetime


class ModelSummary(BaseModel):
    """A model as the list shows it."""

    name: str
    aliases: dict[str, int] = Field(description="Alias → the version it points at.")
    latest_version: int | None
    num_versions: int
    created_at: datetime
    updated_at: datetime


class ModelOut(ModelSummary):
    """A model with all its versions, oldest first."""

    versions: list[ModelVersionOut]


class ModelList(BaseModel):
    items: list[ModelSummary]


class AliasOut(BaseModel):
    name: str
    alias: str
    version: int


class ModelInferenceResult(InferenceResult):
    """An InferenceResult and the registered version that answered it."""

    model: str = Field(description="The registered model's name.")
    model_version: int = Field(description="The version that answered.")
