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

from collections.abc import Mapping, Sequence
from typing import Any

from vision_platform.configs import ConfigField, effective_config, inactive_fields, validate_config
from vision_platform.errors import ConfigValidationError
from vision_platform.presets.model import (
    Adjustment,
    Draft,
    PresetIntent,
    ResolvedConfig,
    Rule,
    RunFacts,
    Source,
)
from vision_platform.presets.rules import COMMON_RULES

__all__ = [
    "Adjustment",
    "Draft",
    "PresetIntent",
    "ResolvedConfig",
    "Rule",
    "RunFacts",
    "resolve_run_config",
]


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
