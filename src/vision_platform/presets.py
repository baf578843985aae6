"""Presets resolved for the run: each preset's intent, bent to the run's numbers, with reasons.

A preset's values are nominal: written for a typical run (tens of epochs, a batch of 32, from
random weights or not). The run they are used for may be four epochs from random weights with a
batch of 7. `resolve_run_config` is the one place that turns the preset, the user's own values
and the run's numbers into the config the trainer uses. It changes only values the user did not
set (the preset's and the defaults'), and says for each what it was, what it is and why (an
`Adjustment`); a value the user set that the run contradicts is refused, naming the fields
(ConfigValidationError: 422 / exit 2). Every path reaches it through
`AdapterInfo.resolve_config`: `vp train`, job creation, the chat's settings card and the form.

The rules find their fields by `ConfigField.concept`, so they hold for every framework; a
framework adds rules of its own (`RUN_RULES` in its schema module) for what only it does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from vision_platform.configs import (
    Concept,
    ConfigField,
    effective_config,
    inactive_fields,
    validate_config,
)
from vision_platform.errors import ConfigValidationError

Source = Literal["request", "preset", "default"]
# Augmentations that regularise strongly: they cost accuracy on runs too short to profit.
HEAVY_AUGMENTATIONS: tuple[Concept, ...] = ("mixup", "cutmix", "copy_paste", "rotation")
DEFAULT_WARMUP_SHARE = 0.1
# The learning rates each optimizer family is usually run with; far outside (x10) is refused.
USUAL_LEARNING_RATES: dict[str, tuple[float, float]] = {
    "sgd": (1e-4, 0.5),
    "adam": (1e-5, 1e-2),
    "adamw": (1e-5, 1e-2),
    "rmsprop": (1e-5, 1e-2),
}
_ADAPTIVE = ("adam", "adamw", "rmsprop")  # their rate scales with √batch; SGD's linearly
_FAR = 10.0
# Accumulating gradients (a nominal batch) is undone when fewer updates a epoch would be left.
_MIN_UPDATES_PER_EPOCH = 10
_WORDS: dict[str, tuple[str, str]] = {  # concept → (words in a message, unit)
    "warmup_epochs": ("warm-up", "epoch"),
    "learning_rate": ("learning rate", ""),
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


def _shown(value: Any) -> str:
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
                message=f"{words} {_shown(nominal)} → {_shown(value)}{_unit(unit, value)}: "
                f"{reason}",
            )
        )

    def refuse(self, names: Sequence[str], problem: str) -> None:
        """Refuse what the user set: each named field gets the problem."""
        for name in names:
            self.problems[name] = problem


Rule = Callable[[Draft], None]


# --- the rules every framework shares -------------------------------------------------------
def _scaled_rate(rate: float, optimizer: str, batch: float, reference: int) -> float:
    ratio = batch / reference
    scaled = rate * (math.sqrt(ratio) if optimizer.lower() in _ADAPTIVE else ratio)
    return float(f"{scaled:.2g}")


def _effective_batch(draft: Draft) -> float:
    """The batch an optimizer step sees: the nominal batch when gradients are accumulated."""
    nominal = draft.field_for("nominal_batch")
    batch = draft.run.batch_size
    if nominal is None:
        return batch
    return batch * max(round(draft.config[nominal.name] / batch), 1)


def nominal_batch_within_data(draft: Draft) -> None:
    """Accumulating gradients up to a nominal batch is undone when it would leave too few
    updates an epoch (a small data set), else the run barely trains."""
    spec, per_epoch = draft.field_for("nominal_batch"), draft.run.batches_per_epoch
    if spec is None or per_epoch is None:
        return
    accumulate = max(round(draft.config[spec.name] / draft.run.batch_size), 1)
    updates = math.ceil(per_epoch) / accumulate
    if accumulate == 1 or updates >= _MIN_UPDATES_PER_EPOCH:
        return
    reason = (
        f"{draft.run.train_images} training images: accumulating {accumulate} batches a step "
        f"would leave {updates:.3g} updates an epoch"
    )
    if draft.user_set(spec.name):
        draft.notes.append(f"{spec.name}={draft.config[spec.name]}: {reason}")
        return
    draft.adapt(spec.name, draft.run.batch_size, reason)


def learning_rate_for_start(draft: Draft) -> None:
    """The preset's learning rate for the run's start (random or pretrained weights), scaled
    to its batch: √ for adaptive optimizers, linearly for SGD."""
    intent, spec, opt = draft.intent, draft.field_for("learning_rate"), draft.field_for("optimizer")
    if intent is None or intent.learning_rate is None or spec is None or opt is None:
        return
    if draft.user_set(spec.name) or draft.user_set(opt.name):  # a rate for another optimizer
        return
    start = "pretrained" if draft.from_weights else "random"
    rate = intent.learning_rate[1 if draft.from_weights else 0]
    optimizer = str(draft.config[opt.name])
    batch = _effective_batch(draft)
    value = _scaled_rate(rate, optimizer, batch, intent.reference_batch)
    scaling = (
        f"; {'√' if optimizer.lower() in _ADAPTIVE else 'linearly '}scaled from batch "
        f"{intent.reference_batch} to {batch:g}"
        if batch != intent.reference_batch
        else ""
    )
    draft.adapt(spec.name, value, f"the rate for {optimizer} from {start} weights{scaling}")


def warmup_within_run(draft: Draft) -> None:
    """Warm-up takes a share of the run at most; a warm-up the user set that lasts the whole
    run is refused (the rate would never leave it)."""
    spec = draft.field_for("warmup_epochs")
    if spec is None:
        return
    value, epochs = draft.config[spec.name], draft.run.num_epochs
    if draft.user_set(spec.name):
        if value >= epochs:
            draft.refuse(
                [spec.name, "num_epochs"],
                f"warm-up of {_shown(value)} epochs is not shorter than the run's {epochs}: "
                "the learning rate would never leave warm-up",
            )
        return
    share = draft.intent.warmup_share if draft.intent is not None else DEFAULT_WARMUP_SHARE
    cap = share * epochs
    cap = math.floor(cap) if spec.type == "int" else round(cap, 2)
    if value > cap:
        draft.adapt(
            spec.name,
            cap,
            f"the run has {epochs} epochs; warm-up is kept to {share:.0%} of a run",
        )


def heavy_augmentation_for_length(draft: Draft) -> None:
    """Heavy augmentation off for runs too short to profit, eased in up to its full length."""
    intent = draft.intent
    if intent is None or intent.heavy_augmentation_epochs is None:
        return
    low, full = intent.heavy_augmentation_epochs
    epochs = draft.run.num_epochs
    if epochs >= full:
        return
    strength = max(0.0, (epochs - low) / (full - low))
    how = "off below" if strength == 0 else "eased in from"
    reason = (
        f"the run has {epochs} epochs; heavy augmentation pays off from about {full} ({how} {low})"
    )
    for concept in HEAVY_AUGMENTATIONS:
        spec = draft.field_for(concept)
        if spec is None or draft.user_set(spec.name) or not draft.config[spec.name]:
            continue
        nominal = draft.config[spec.name]
        if spec.type == "bool":
            draft.adapt(spec.name, strength >= 0.5, reason)
        elif spec.type == "int":
            draft.adapt(spec.name, round(nominal * strength), reason)
        else:
            draft.adapt(spec.name, round(nominal * strength, 3), reason)


def step_within_run(draft: Draft) -> None:
    """A step schedule whose first decay lies beyond the run never decays."""
    spec = draft.field_for("step_size")
    if spec is None:
        return
    value, epochs = draft.config[spec.name], draft.run.num_epochs
    if value < epochs:
        return
    problem = f"the run has {epochs} epochs; a step of {value} would never decay the rate"
    if draft.user_set(spec.name):
        draft.refuse([spec.name, "num_epochs"], problem)
    else:
        draft.adapt(spec.name, max(1, epochs // 3), problem)


def learning_rate_in_usual_range(draft: Draft) -> None:
    """A learning rate the user set far outside its optimizer's usual range is refused;
    outside it, noted."""
    spec, opt = draft.field_for("learning_rate"), draft.field_for("optimizer")
    if spec is None or opt is None or not draft.user_set(spec.name):
        return
    optimizer = str(draft.config[opt.name])
    usual = USUAL_LEARNING_RATES.get(optimizer.lower())
    if usual is None:
        return
    low, high = usual
    rate = draft.config[spec.name]
    text = f"{_shown(rate)} is outside the usual range of {optimizer} ({low:g} – {high:g})"
    if rate > high * _FAR or rate < low / _FAR:
        draft.refuse([spec.name, opt.name], f"{text} by more than {_FAR:g}x")
    elif not low <= rate <= high:
        draft.notes.append(f"{spec.name}: {text}")


COMMON_RULES: tuple[Rule, ...] = (
    nominal_batch_within_data,  # before the learning rate: it decides the effective batch
    learning_rate_for_start,
    warmup_within_run,
    heavy_augmentation_for_length,
    step_within_run,
    learning_rate_in_usual_range,
)


def resolve_run_config(
    *,
    schema: Sequence[ConfigField],
    presets: Mapping[str, Mapping[str, Any]],
    intents: Mapping[str, PresetIntent],
    rules: Sequence[Rule] = (),
    preset: str | None,
    advanced_config: Mapping[str, Any] | None,
    learning_rate: float | None,
    run: RunFacts,
) -> ResolvedConfig:
    """The config a run uses: defaults, the preset, the user's values, then the rules (the
    shared ones, then the framework's `rules`); ConfigValidationError naming every field the
    user set that the run contradicts (and every invalid one)."""
    nominal = effective_config(
        schema=schema,
        presets=presets,
        preset=preset,
        advanced_config=advanced_config,
        learning_rate=learning_rate,
    )
    requested = set(advanced_config or {}) | ({"learning_rate"} if learning_rate else set())
    preset_keys = set(presets.get(preset, {})) if preset is not None else set()
    sources: dict[str, Source] = {
        spec.name: "request"
        if spec.name in requested
        else ("preset" if spec.name in preset_keys else "default")
        for spec in schema
    }
    intent = intents.get(preset) if preset is not None else None
    draft = Draft(
        schema={spec.name: spec for spec in schema},
        config=dict(nominal),
        run=run,
        intent=intent,
        sources=sources,
    )
    for rule in (*COMMON_RULES, *rules):
        rule(draft)
    if draft.problems:
        raise ConfigValidationError(draft.problems)
    config = validate_config(draft.config, schema)
    return ResolvedConfig(
        config=config,
        preset=preset,
        intent=intent.summary if intent is not None else None,
        from_weights=draft.from_weights,
        sources=sources,
        adjustments=draft.adjustments,
        notes=[*inactive_fields(config, schema), *draft.notes],
    )
