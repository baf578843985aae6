"""The settings a job will be created with, each marked with where its value comes from.

The chat's summary text and the web UI's settings card both show these (the card gets them in
`POST /chat`'s `settings`), so the two always agree with each other and with the job: the values
are resolved the way the trainer resolves them (`AdapterInfo.resolve_config`: defaults, then the
preset, then the request's own values, then the preset resolved for the run's numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.adapters.registry import registry
from vision_platform.configs import Concept, ConfigField, TrainingSpec, effective_config
from vision_platform.errors import ConfigValidationError, InvalidInputError
from vision_platform.intent import catalog
from vision_platform.intent.models import TrainingIntent
from vision_platform.intent.resolve import framework_of
from vision_platform.presets import Adjustment, RunFacts

# "resolved": the preset's (or default's) value changed for the run (see `adjustments`).
SettingSource = Literal["request", "preset", "default", "resolved"]
_AUGMENTATION_GROUP = "augmentation"


class SettingValue(BaseModel):
    """One resolved setting: its value and whether the request, the preset or a default set it."""

    model_config = ConfigDict(extra="forbid")

    value: bool | int | float | str | None = Field(
        description="null: not set (image_size: the trainer picks the model's own size)"
    )
    source: SettingSource
    applies: bool = Field(
        default=True, description="False when other settings make this one have no effect."
    )


class AugmentationSetting(SettingValue):
    """One augmentation the run uses (turned on), by its field name in the framework's config."""

    name: str


class WeightsSource(BaseModel):
    """Where a run with `pretrained: true` would take its weights from, or why it cannot."""

    model_config = ConfigDict(extra="forbid")

    found: bool
    place: str | None = Field(description="The place that has them (the weights store, …).")
    message: str = Field(description="The file found, or every place looked and what to do.")


class ResolvedSettings(BaseModel):
    """What a job created now would run with: every value resolved, each with its source."""

    model_config = ConfigDict(extra="forbid")

    model_name: SettingValue
    framework: str | None
    task_type: SettingValue
    preset: SettingValue
    optimizer: SettingValue
    learning_rate: SettingValue
    warmup_epochs: SettingValue
    augmentations: list[AugmentationSetting]
    num_epochs: SettingValue
    batch_size: SettingValue
    image_size: SettingValue
    dataset_path: SettingValue
    class_names: list[str] | None = None
    priority: SettingValue | None = Field(
        default=None, description="The job's priority in the queue (default normal)."
    )
    preset_intent: str | None = None
    weights: WeightsSource | None = Field(
        default=None, description="Set when the run starts from pretrained weights."
    )
    adjustments: list[Adjustment] = Field(
        default_factory=list,
        description="Each value resolved for the run unlike the preset's, and why.",
    )


def job_fields(intent: TrainingIntent) -> dict[str, Any]:
    """The TrainingSpec fields an intent stands for (None: not given, the spec's default holds);
    the task's default model when none is named."""
    model = intent.model_name or catalog.default_model(intent.task_type or "classification")
    return {
        "model_name": model,
        # A stored data set's name until the platform puts the place its version lies here.
        "dataset_path": intent.dataset_path or intent.dataset,
        "framework": intent.framework or framework_of(model, None),
        "task_type": intent.task_type or catalog.task_of(model),
        "preset": intent.preset,
        "num_epochs": intent.num_epochs,
        "batch_size": intent.batch_size,
        "learning_rate": intent.learning_rate,
        "image_size": intent.image_size,
        "advanced_config": intent.advanced_config,
    }


def _given(value: Any, default: Any = None) -> SettingValue:
    return SettingValue(
        value=value if value is not None else default,
        source="request" if value is not None else "default",
    )


class _Config:
    """The run's advanced config as the trainer resolves it, and where each value comes from."""

    def __init__(self, fields: Mapping[str, Any], run: RunFacts) -> None:
        self.run = run
        requested = dict(fields["advanced_config"] or {})
        if fields["learning_rate"] is not None:
            requested["learning_rate"] = fields["learning_rate"]
        self.requested = set(requested)
        self.schema: list[ConfigField] = []
        self.preset_keys: set[str] = set()
        self.intent: str | None = None
        self.adjustments: list[Adjustment] = []
        try:
            info = registry.info(fields["framework"])
            self.schema = info.config_schema()
            presets = info.presets()
            self.preset_keys = set(presets.get(fields["preset"] or "", {}))
            self.values = self._resolve(info, fields)
        except InvalidInputError:  # the framework is not installed: what the request gave
            self.values = requested

    def _resolve(self, info: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The config resolved for the run; nominal when the request contradicts the run
        (the intent's issues say how)."""
        given = {
            "preset": fields["preset"],
            "advanced_config": fields["advanced_config"],
            "learning_rate": fields["learning_rate"],
        }
        try:
            resolved = info.resolve_config(**given, run=self.run)
        except ConfigValidationError:
            return effective_config(schema=self.schema, presets=info.presets(), **given)
        self.intent, self.adjustments = resolved.intent, resolved.adjustments
        return resolved.config

    def source(self, name: str) -> SettingSource:
        if name in self.requested:
            return "request"
        if any(a.field == name for a in self.adjustments):
            return "resolved"
        return "preset" if name in self.preset_keys else "default"

    def applies(self, name: str) -> bool:
        spec = next((spec for spec in self.schema if spec.name == name), None)
        return spec is None or spec.applies(self.values)

    def setting(self, concept: Concept) -> SettingValue:
        """The value of the field that holds `concept` in this framework's config."""
        spec = next((spec for spec in self.schema if spec.concept == concept), None)
        name = spec.name if spec is not None else concept
        return SettingValue(
            value=self.values.get(name), source=self.source(name), applies=self.applies(name)
        )

    def augmentations(self) -> list[AugmentationSetting]:
        """The augmentation fields that are on and have an effect, in the schema's order."""
        return [
            AugmentationSetting(name=spec.name, value=value, source=self.source(spec.name))
            for spec in self.schema
            if spec.group == _AUGMENTATION_GROUP
            and (value := self.values.get(spec.name)) not in (None, False, 0, "")
            and spec.applies(self.values)
        ]


def _weights(fields: Mapping[str, Any], config: _Config) -> WeightsSource | None:
    """Where the run's pretrained weights would come from (None: it starts from random ones)."""
    if not config.setting("pretrained").value or fields["framework"] is None:
        return None
    try:
        info = registry.info(fields["framework"])
        found = info.find_weights(fields["model_name"], config.values)
    except InvalidInputError as e:  # none anywhere (every place named), or no framework
        return WeightsSource(found=False, place=None, message=str(e))
    return WeightsSource(found=True, place=found.place, message=f"{found.place}: {found.path}")


def resolve_settings(intent: TrainingIntent) -> ResolvedSettings | None:
    """The settings a job made from `intent` would run with; None until a model or task is known."""
    if intent.model_name is None and intent.task_type is None:
        return None
    fields = job_fields(intent)
    config = _Config(fields, intent.run_facts())
    spec_fields = TrainingSpec.model_fields
    return ResolvedSettings(
        model_name=SettingValue(
            value=fields["model_name"], source="request" if intent.model_name else "default"
        ),
        framework=fields["framework"],
        task_type=SettingValue(
            value=fields["task_type"], source="request" if intent.task_type else "default"
        ),
        preset=_given(intent.preset),
        optimizer=config.setting("optimizer"),
        learning_rate=config.setting("learning_rate"),
        warmup_epochs=config.setting("warmup_epochs"),
        augmentations=config.augmentations(),
        num_epochs=_given(intent.num_epochs, spec_fields["num_epochs"].default),
        batch_size=_given(intent.batch_size, spec_fields["batch_size"].default),
        image_size=_given(intent.image_size),
        dataset_path=_given(intent.dataset or intent.dataset_path),
        class_names=intent.class_names,
        priority=_given(intent.priority, "normal"),
        preset_intent=config.intent,
        weights=_weights(fields, config),
        adjustments=config.adjustments,
    )
