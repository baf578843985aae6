"""The typed cards a chat answer carries (POST /chat's `cards`): what the web UI draws beside the
reply text. Each card's `type` names it; the values are the services' own (the job's status,
the comparison, the registry's version, the prediction), never re-derived from the text."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from vision_platform.adapters.base import InferenceResult
from vision_platform.intent.actions import ActionKind


class StatusCard(BaseModel):
    """A job's progress: epoch i/N, the best metric so far, the time left, its curve."""

    type: Literal["status"] = "status"
    job_id: int
    status: str
    model_name: str
    task_type: str
    dataset: str
    epoch: int = Field(description="Epochs finished.")
    num_epochs: int
    progress: float = Field(ge=0, le=1, description="epoch / num_epochs.")
    best_metric_name: str
    best_metric: float | None
    eta_seconds: float | None = Field(
        description="Time left at the pace of the epochs so far; null when unknown or done."
    )
    requested_action: str | None = Field(
        description="A pause or cancel the trainer has yet to act on."
    )
    curve: list[float | None] = Field(
        description="The best metric at each finished epoch (null where an epoch lacks it)."
    )


class ConfirmCard(BaseModel):
    """A state change waiting for a yes: 'yes' / '네' does it, 'no' / '아니요' drops it."""

    type: Literal["confirm"] = "confirm"
    action: ActionKind
    question: str
    job_id: int | None = None
    model: str | None = Field(default=None, description="promote: the registered model.")
    version: int | None = None
    alias: str | None = None


class ComparedRow(BaseModel):
    """One job of a comparison card."""

    job_id: int
    status: str
    model_name: str
    epochs: int = Field(description="Epochs finished.")
    best_metric: float | None
    best_epoch: int | None
    final_metrics: dict[str, float]


class ComparisonCard(BaseModel):
    """Jobs side by side (GET /jobs/compare's figures): the best one, the settings that differ."""

    type: Literal["comparison"] = "comparison"
    job_ids: list[int]
    best_metric_name: str | None
    best_job_id: int | None
    rows: list[ComparedRow]
    differences: dict[str, list[str | int | float | bool | None]]


class ModelCard(BaseModel):
    """A registered model version after register or promote."""

    type: Literal["model"] = "model"
    name: str
    version: int
    aliases: list[str]
    job_id: int
    best_metric_name: str
    best_metric: float | None


class PredictionCard(BaseModel):
    """The attached image's prediction: top-5 classes, or boxes for detection."""

    type: Literal["prediction"] = "prediction"
    source: str = Field(description="What answered: 'job 3' or 'digits-cls@v2'.")
    job_id: int | None = None
    model: str | None = None
    version: int | None = None
    result: InferenceResult


class DatasetRow(BaseModel):
    name: str
    version: str
    task_type: str
    num_images: int
    num_classes: int
    versions: int


class DatasetsCard(BaseModel):
    """The stored data sets, each with its newest version."""

    type: Literal["datasets"] = "datasets"
    items: list[DatasetRow]


Card = Annotated[
    StatusCard | ConfirmCard | ComparisonCard | ModelCard | PredictionCard | DatasetsCard,
    Field(discriminator="type"),
]
