"""What preset resolution works with: a preset's intent, the run's facts, the draft config
the rules change, and the adjustments they record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from vision_platform.configs import Concept, ConfigField

Source = Literal["request", "preset", "default"]
DEFAULT_WARMUP_SHARE = 0.1
_WORDS: dict[str, tuple[str, str]] = {  # concept → (words in a message, unit)
    "warmup_epochs": ("warm-up", "epoch"),
    "learning_rate": ("learning rate", ""),
    "optimizer": ("optimizer", ""),
    "step_size": ("step size", "epoch"),
    "nominal_batch": ("nominal batch", ""),
    "image_size": ("image size", "px"),
}


@dataclass(frozen=True, kw_only=True)
class PresetIntent:
    """What a preset is for, and how its nominal values bend to a run."""

    summary: str  # a few words shown beside the preset's name ("fast and simple")
    # The learning rate at `reference_batch` from random weights and from pretrained ones;
    # None: the preset's own value stands (an optimizer that picks its own rate).
    learning_rate: tuple[float, float] | None = None
    # A preset's SGD becomes AdamW on a run of too few steps for SGD (see rules.py), with
    # these rates (random, pretrained) at `reference_batch`; None: SGD stands.
    short_run_learning_rate: tuple[float, float] | None = None
    reference_batch: int = 32
    warmup_share: float = DEFAULT_WARMUP_SHARE  # warm-up takes at most this share of the run
    # Heavy augmentation is off below the first number of epochs, at full strength from the
    # second, and eased in between (numbers scaled, switches on from halfway).
    heavy_augmentation_epochs: tuple[int, int] | None = None


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    """The numbers of the run a config is resolved for."""

    num_epochs: int
    batch_size: int
    image_size: int | None = None
    train_images: int | None = None  # None until the data set has been read
    from_checkpoint: bool = False  # starts from --checkpoint-path weights (transfer learning)

    @property
    def batches_per_epoch(self) -> float | None:
        return None if self.train_images is None else self.train_images / self.batch_size


class Adjustment(BaseModel):
    """One value the run uses that differs from the preset's (or the default's) nominal one."""

    model_config = ConfigDict(extra="forbid")

    field: str
    nominal: bool | int | float | str | None
    value: bool | int | float | str | None
    source: Source  # whose value was changed: the preset's, the default's (or, informing
    # only, the request's: a value the framework itself will change)
    reason: str
    message: str  # e.g. "warm-up 5 → 0 epochs: the run has 4 epochs; …"


@dataclass(frozen=True)
class ResolvedConfig:
    """A run's config as the trainer uses it, with every change from the nominal and why."""

    config: dict[str, Any]
    preset: str | None
    intent: str | None  # the preset's intent in words
    from_weights: bool  # starts from pretrained weights or a checkpoint
    sources: dict[str, Source]
    adjustments: list[Adjustment]
    notes: list[str]  # what changed nothing but deserves a word (unused fields, odd values)

    def log_lines(self) -> list[str]:
        """What `vp train` prints about the config it resolved."""
        lines = []
        if self.preset is not None:
            what = f" ({self.intent})" if self.intent else ""
            lines.append(f"Preset {self.preset}{what}, resolved for this run")
        lines += [f"Adjusted: {a.message}" for a in self.adjustments]
        return lines

    def record(self) -> dict[str, Any]:
        """The resolution as run.json keeps it."""
        return {
            "preset": self.preset,
            "intent": self.intent,
            "from_weights": self.from_weights,
            "adjustments": [a.model_dump() for a in self.adjustments],
            "notes": list(self.notes),
        }


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _unit(unit: str, value: Any) -> str:
    if not unit:
        return ""
    return f" {unit}" if unit == "px" or value == 1 else f" {unit}s"


@dataclass
class Draft:
    """The config being resolved: what rules read (run, intent, sources) and change."""

    schema: dict[str, ConfigField]
    config: dict[str, Any]
    run: RunFacts
    intent: PresetIntent | None
    sources: dict[str, Source]
    adjustments: list[Adjustment] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def field_for(self, concept: Concept) -> ConfigField | None:
        """The field holding `concept` when it has an effect under the config, else None."""
        spec = next((s for s in self.schema.values() if s.concept == concept), None)
        return spec if spec is not None and spec.applies(self.config) else None

    def user_set(self, name: str) -> bool:
        return self.sources.get(name) == "request"

    @property
    def from_weights(self) -> bool:
        """Whether the run starts from pretrained weights (or a checkpoint's)."""
        pretrained = self.field_for("pretrained")
        weights_file = self.field_for("pretrained_path")
        return (
            self.run.from_checkpoint
            or bool(pretrained and self.config[pretrained.name])
            or bool(weights_file and self.config[weights_file.name])
        )

    def adapt(self, name: str, value: Any, reason: str) -> None:
        """Change a value the user did not set, recording what it was and why."""
        spec = self.schema[name]
        if spec.type == "float" and not isinstance(value, bool):
            value = float(value)
        if spec.min is not None and not isinstance(value, bool | str):
            value = max(value, type(value)(spec.min))
        if spec.max is not None and not isinstance(value, bool | str):
            value = min(value, type(value)(spec.max))
        nominal = self.config[name]
        if value == nominal and type(value) is type(nominal):
            return
        self.config[name] = value
        self.inform(name, nominal=nominal, value=value, reason=reason, concept=spec.concept)

    def inform(
        self, name: str, *, nominal: Any, value: Any, reason: str, concept: str | None = None
    ) -> None:
        """Record a change (also one the framework makes itself, e.g. to the image size)."""
        words, unit = _WORDS.get(concept or name, (name, ""))
        source = self.sources.get(name, "request")
        self.adjustments.append(
            Adjustment(
                field=name,
                nominal=nominal,
                value=value,
                source=source,
                reason=reason,
                message=f"{words} {shown(nominal)} → {shown(value)}{_unit(unit, value)}: {reason}",
            )
        )

    def refuse(self, names: Sequence[str], problem: str) -> None:
        """Refuse what the user set: each named field gets the problem."""
        for name in names:
            self.problems[name] = problem


Rule = Callable[[Draft], None]
