"""The data that flows out of the intent parsers: TrainingIntent, issues and parse results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.configs import Priority, TrainingSpec
from vision_platform.presets import RunFacts

Language = Literal["ko", "en"]
IntentTask = Literal["classification", "detection", "segmentation", "pose"]
PresetName = Literal["easy", "medium", "advanced"]
IssueCode = Literal[
    "unknown_model",
    "unknown_dataset",
    "model_assumed",
    "out_of_range",
    "contradiction",
    "not_honoured",
    "unparseable",
    "not_understood",
    "framework_unavailable",
    "llm_fallback",
    "inactive",
]


class TrainingIntent(BaseModel):
    """What a request asks for (CONTRACT.md's `vp parse` output); null = not given."""

    model_config = ConfigDict(extra="forbid")

    model_name: str | None = None
    framework: str | None = None
    task_type: IntentTask | None = None
    preset: PresetName | None = None
    dataset_path: str | None = None
    dataset: str | None = Field(
        default=None,
        description="A stored data set the request names (`name` or `name@version`), instead "
        "of a path; read only where the caller passes in the names it knows (the chat).",
    )
    num_epochs: int | None = None
    batch_size: int | None = None
    image_size: int | None = None
    learning_rate: float | None = None
    class_names: list[str] | None = None
    advanced_config: dict[str, Any] | None = Field(
        default=None, description="The framework's own field names and option spellings."
    )
    missing: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    priority: Priority | None = Field(
        default=None, description="The job's priority in the queue: low | normal | high."
    )

    def run_facts(self) -> RunFacts:
        """The run this intent stands for, with the spec's defaults for what it does not say."""
        spec = TrainingSpec.model_fields
        return RunFacts(
            num_epochs=self.num_epochs or spec["num_epochs"].default,
            batch_size=self.batch_size or spec["batch_size"].default,
            image_size=self.image_size,
        )


class Issue(BaseModel):
    """One thing the parser could not honour as asked, worded in the request's language."""

    model_config = ConfigDict(extra="forbid")

    code: IssueCode
    text: str
    field: str | None = None
    blocking: bool = Field(
        default=False, description="True when the user must answer before training can start."
    )
    suggestions: list[str] = Field(default_factory=list)


class ParseResult(BaseModel):
    """A parser's answer: the intent, the request's language and what could not be honoured."""

    model_config = ConfigDict(extra="forbid")

    intent: TrainingIntent
    language: Language
    issues: list[Issue] = Field(default_factory=list)
    provider: str = "rules"

    @property
    def questions(self) -> list[str]:
        """The clarifying questions to ask before training can start."""
        return [issue.text for issue in self.issues if issue.blocking]
