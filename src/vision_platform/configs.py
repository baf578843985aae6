"""Config schemas: typed fields, ranges and groups, JSON Schema, validation and presets."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PydField

from vision_platform.errors import ConfigValidationError, UnknownNameError

FieldType = Literal["int", "float", "bool", "select", "str"]
PRESET_NAMES = ("easy", "medium", "advanced")

# Settings people ask for by one name whatever a framework calls them (`ConfigField.concept`):
# the intent layer maps a request's words to these, and each schema tags the field that holds one.
Concept = Literal[
    "optimizer",
    "learning_rate",
    "weight_decay",
    "momentum",
    "scheduler",
    "warmup_epochs",
    "patience",
    "mosaic",
    "mixup",
    "cutmix",
    "copy_paste",
    "label_smoothing",
    "flip",
    "vertical_flip",
    "color_jitter",
    "rotation",
    "dropout",
    "pretrained",
    "pretrained_path",
    "mixed_precision",
    # Read by the preset resolution (vision_platform.presets), not asked for in words:
    "step_size",
    "nominal_batch",
    "crop_scale",
    "close_mosaic",
]
ConceptValue = bool | float | str

_JSON_TYPES: dict[str, str] = {
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "select": "string",
    "str": "string",
}


@dataclass(frozen=True, kw_only=True)
class ConfigField:
    """One setting of a framework's advanced config, with the rules a value must follow."""

    name: str
    type: FieldType
    default: Any
    description: str
    group: str
    min: float | None = None
    max: float | None = None
    options: tuple[Any, ...] | None = None
    # The field applies only when every named field has one of the listed values.
    depends_on: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # The setting this field holds, in the words of every framework (see `Concept`).
    concept: Concept | None = None
    # What a request that only says "on" sets a number field to (a probability, degrees).
    on_value: float = 1.0
    # Concept words this field spells another way (a bool cos_lr: {"cosine": True, ...}).
    concept_values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type == "select" and not self.options:
            raise ValueError(f"select field {self.name!r} needs options")
        problem = self.check(self.default)
        if problem:
            raise ValueError(f"default of {self.name!r} is invalid: {problem}")

    def check(self, value: Any) -> str | None:
        """The problem with `value` for this field, or None when it is valid."""
        if self.type == "bool":
            if not isinstance(value, bool):
                return f"expected a boolean, got {_describe(value)}"
            return None
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"expected an integer, got {_describe(value)}"
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"expected a number, got {_describe(value)}"
        elif self.type in ("select", "str") and not isinstance(value, str):
            return f"expected a string, got {_describe(value)}"
        if self.options is not None and value not in self.options:
            allowed = ", ".join(map(str, self.options))
            hint = _closest(str(value), [str(o) for o in self.options])
            return f"{value!r} is not one of: {allowed}" + (
                f" (did you mean {hint!r}?)" if hint else ""
            )
        if self.min is not None and value < self.min:
            return f"{value} is below the minimum {self.min}"
        if self.max is not None and value > self.max:
            return f"{value} is above the maximum {self.max}"
        return None

    def from_concept(self, value: ConceptValue) -> Any:
        """A request's value for this field's concept in the field's own type and spelling;
        ValueError when the field cannot hold it (a word it has no option for)."""
        if self.concept_values:
            if isinstance(value, str) and value in self.concept_values:
                return self.concept_values[value]
            raise ValueError(f"{self.name} has no value for {value!r}")
        if isinstance(value, str):
            if self.type == "select" and self.options:
                for option in self.options:
                    if str(option).lower() == value.lower():
                        return option
            if self.type == "str":
                return value
            raise ValueError(f"{self.name} has no option {value!r}")
        if self.type == "bool":
            return bool(value)
        if isinstance(value, bool):
            return type(self.default)(self.on_value if value else 0)
        return int(value) if self.type == "int" else float(value)

    def to_concept(self, value: Any) -> ConceptValue:
        """This field's `value` as a concept value (to carry it over to another framework)."""
        for word, own in self.concept_values.items():
            if own == value and type(own) is type(value):
                return word
        if isinstance(value, str):
            return value.lower()
        return value if isinstance(value, bool) else float(value)

    def applies(self, config: Mapping[str, Any]) -> bool:
        """Whether this field has an effect under `config` (its depends_on conditions hold)."""
        return all(config.get(name) in values for name, values in self.depends_on.items())

    def to_json_schema(self) -> dict[str, Any]:
        prop: dict[str, Any] = {
            "type": _JSON_TYPES[self.type],
            "default": self.default,
            "description": self.description,
            "x-group": self.group,
        }
        if self.min is not None:
            prop["minimum"] = self.min
        if self.max is not None:
            prop["maximum"] = self.max
        if self.options is not None:
            prop["enum"] = list(self.options)
        if self.depends_on:
            prop["x-depends-on"] = {k: list(v) for k, v in self.depends_on.items()}
        if self.concept:
            prop["x-concept"] = self.concept  # the web UI finds the pretrained fields by it
        return prop


# How often a run writes its checkpoint: fields every framework's schema ends with (read by
# the training runner's checkpoint store, not by the framework).
CHECKPOINT_FIELDS: tuple[ConfigField, ...] = (
    ConfigField(
        name="save_period",
        type="int",
        default=1,
        min=0,
        max=10_000,
        group="checkpoints",
        description="Write last.pt every this many epochs (0: by save_every_minutes alone). "
        "An epoch that improves the best metric, the last epoch and a stop (SIGTERM, stage "
        "deadline) are always saved.",
    ),
    ConfigField(
        name="save_every_minutes",
        type="float",
        default=0.0,
        min=0.0,
        max=7 * 24 * 60,
        group="checkpoints",
        description="Also write last.pt at the end of an epoch once this many minutes have "
        "passed since the last one (0 = off): for models whose checkpoints are costly.",
    ),
)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(
        name.lower(), [c.lower() for c in candidates], n=1, cutoff=0.5
    )
    if not matches:
        return None
    by_lower = {c.lower(): c for c in candidates}
    return by_lower[matches[0]]


def unknown_name_message(kind: str, name: str, valid: Sequence[str]) -> str:
    """An error message for an unknown name that lists the valid ones and the closest match."""
    hint = _closest(name, valid)
    shown = ", ".join(valid[:40]) + (" …" if len(valid) > 40 else "")
    return (
        f"unknown {kind} {name!r}"
        + (f"; did you mean {hint!r}?" if hint else "")
        + f" Valid: {shown}"
    )


def validate_config(
    config: Mapping[str, Any] | None, schema: Sequence[ConfigField]
) -> dict[str, Any]:
    """Check `config` against `schema` and return it with defaults filled in.

    Every bad field is reported at once in one ConfigValidationError: unknown fields, wrong
    types, values out of range and options that are not allowed.
    """
    config = dict(config or {})
    by_name = {f.name: f for f in schema}
    errors: dict[str, str] = {}
    for name in config:
        if name not in by_name:
            hint = _closest(name, by_name)
            errors[name] = "unknown field" + (f"; did you mean {hint!r}?" if hint else "")
    for name, spec in by_name.items():
        if name in config:
            problem = spec.check(config[name])
            if problem:
                errors[name] = problem
    if errors:
        raise ConfigValidationError(errors)
    resolved = {f.name: f.default for f in schema}
    resolved.update(config)
    # An integer given for a float field is stored as a float, so checkpoints compare equal.
    for name, spec in by_name.items():
        if spec.type == "float":
            resolved[name] = float(resolved[name])
    return resolved


def inactive_fields(config: Mapping[str, Any], schema: Sequence[ConfigField]) -> list[str]:
    """Fields set away from their default that have no effect because a depends_on fails."""
    notes = []
    for spec in schema:
        if not spec.applies(config) and config.get(spec.name, spec.default) != spec.default:
            cond = ", ".join(f"{k} in {list(v)}" for k, v in spec.depends_on.items())
            notes.append(
                f"{spec.name}={config[spec.name]!r} has no effect: it applies only when {cond}"
            )
    return notes


def schema_to_json_schema(
    schema: Sequence[ConfigField],
    *,
    title: str,
    presets: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Render a schema as a JSON Schema object, with its groups in `x-groups`."""
    groups: dict[str, list[str]] = {}
    for spec in schema:
        groups.setdefault(spec.group, []).append(spec.name)
    doc: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "properties": {spec.name: spec.to_json_schema() for spec in schema},
        "x-groups": [{"name": g, "fields": names} for g, names in groups.items()],
    }
    if presets is not None:
        doc["x-presets"] = {name: dict(values) for name, values in presets.items()}
    return doc


def merge_config(
    *,
    schema: Sequence[ConfigField],
    presets: Mapping[str, Mapping[str, Any]],
    preset: str | None,
    overrides: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The effective config: defaults, then the preset, then the user's own values."""
    if preset is not None and preset not in presets:
        raise UnknownNameError(unknown_name_message("preset", preset, list(presets)))
    base = dict(presets[preset]) if preset is not None else {}
    base.update(overrides or {})
    return validate_config(base, schema)


def effective_config(
    *,
    schema: Sequence[ConfigField],
    presets: Mapping[str, Mapping[str, Any]],
    preset: str | None,
    advanced_config: Mapping[str, Any] | None,
    learning_rate: float | None = None,
) -> dict[str, Any]:
    """A run's config: defaults, then the preset, then advanced_config, then learning_rate."""
    overrides = dict(advanced_config or {})
    if learning_rate is not None:
        overrides["learning_rate"] = learning_rate
    return merge_config(schema=schema, presets=presets, preset=preset, overrides=overrides)


TaskType = Literal["classification", "detection", "segmentation", "pose", "obb"]
# A job's priority in the queue (the scheduler's order, preemption, Kubernetes PriorityClass).
Priority = Literal["low", "normal", "high"]


class TrainingSpec(BaseModel):
    """One training run, whole: what `vp train` runs and what the platform stores for a job."""

    model_config = ConfigDict(extra="forbid")

    model_name: str
    dataset_path: str
    framework: str | None = None
    task_type: TaskType | None = None
    num_epochs: int = PydField(default=10, ge=1, le=100_000)
    batch_size: int = PydField(default=16, ge=1, le=4096)
    learning_rate: float | None = PydField(default=None, gt=0, le=10)
    image_size: int | None = PydField(default=None, ge=8, le=4096)
    preset: str | None = None
    advanced_config: dict[str, Any] = PydField(default_factory=dict)
    job_id: str | None = None
    output_dir: str | None = None
    checkpoint_path: str | None = None
    resume: bool = False
    max_stage_seconds: float | None = PydField(default=None, gt=0)
    seed: int | None = PydField(default=None, ge=0, le=2**31 - 1)
    device: str = "auto"
    workers: int = PydField(default=0, ge=0, le=64)
    skip_bad_images: bool = False
    # Platform jobs export model.onnx from best.pt when training completes.
    export_onnx: bool = False


class BatchInferenceSpec(BaseModel):
    """One batch inference run, whole: what `vp infer-batch` runs and a batch job stores.

    It lives beside TrainingSpec so that the jobs service (which may not import inference code)
    can check and store it; `vision_platform.inference.batch` runs it."""

    model_config = ConfigDict(extra="forbid")

    job_id: str | None = None
    model_path: str = PydField(min_length=1)
    backend: Literal["eager", "onnx"] = "eager"
    input_images: list[str] | None = PydField(default=None, min_length=1, max_length=1_000_000)
    input_prefix: str | None = PydField(default=None, min_length=1)
    output_path: str = PydField(min_length=1)
    batch_size: int = PydField(default=16, ge=1, le=4096)
    # The trained model's framework: the Kubernetes executor picks the trainer image by it.
    framework: str | None = None
    device: str = "auto"

    @model_validator(mode="after")
    def _one_input(self) -> BatchInferenceSpec:
        if (self.input_images is None) == (self.input_prefix is None):
            raise ValueError("give exactly one of input_images and input_prefix")
        if not self.output_path.endswith(".jsonl"):
            raise ValueError(f"output_path: {self.output_path!r} must be a .jsonl file")
        return self


# The contract's name for the error `validate_config` raises (`from vision_platform.configs import
# validate_config, ValidationError`); the same class as errors.ConfigValidationError.
ValidationError = ConfigValidationError
