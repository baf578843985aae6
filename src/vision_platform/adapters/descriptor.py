"""What a framework adapter says about itself, readable without importing the framework.

Like timm's `OptimInfo`, an `AdapterInfo` is a small frozen descriptor: the registry holds one
per framework, and callers ask it (which model names it serves, the task of a name, the best
metric of a task, the config schema and presets, the field of a concept) instead of testing
names or field names of their own. Each framework's package under `adapters/` exposes one as
`DESCRIPTOR`; the registry finds it there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from vision_platform.configs import Concept, ConfigField, schema_to_json_schema
from vision_platform.errors import UnknownNameError, WeightsUnavailableError
from vision_platform.presets import (
    PresetIntent,
    ResolvedConfig,
    Rule,
    RunFacts,
    resolve_run_config,
)
from vision_platform.weights.search import FoundWeights

if TYPE_CHECKING:
    from vision_platform.adapters.base import VisionAdapter


def _no_names() -> Sequence[str]:
    return ()


def _no_spellings() -> Mapping[str, str]:
    return {}


def _same_name(model_name: str, task: str) -> str:
    return model_name


@dataclass(frozen=True, kw_only=True)
class AdapterInfo:
    """One framework: its adapter, the model names and tasks it serves, its schema and presets.

    Nothing here imports the framework: `adapter` is imported on `adapter_class()`, `schema` is a
    light module holding `SCHEMA` (list of ConfigField) and `PRESETS`.
    """

    framework: str
    adapter: str  # "package.module:Class"
    schema: str  # "package.module" with SCHEMA and PRESETS
    package: str  # the framework's own import name (run.json versions, install hints)
    description: str  # a line naming its models, for people and LLM prompts
    tasks: tuple[str, ...]  # the first is the task of a name that implies none
    best_metrics: Mapping[str, str]  # task → the metrics.jsonl key that picks best.pt
    # The model names it serves; None: every name no other framework claims (the fallback).
    claims: Callable[[str], bool] | None = None
    # The task a model name implies, or None when the name implies none it knows.
    model_task: Callable[[str], str | None] | None = None
    # A model name turned into its variant for another task (yolo11n + segmentation → -seg).
    variant: Callable[[str, str], str] = _same_name
    derives_variants: bool = False  # whether `variant` makes names (that may not exist)
    default_models: Mapping[str, str] = field(default_factory=dict)  # task → model to offer
    # Names a request may use, matched without importing the framework.
    common_models: Callable[[], Sequence[str]] = _no_names
    aliases: Callable[[], Mapping[str, str]] = _no_spellings  # other spellings of exact names
    implied_models: Callable[[], Mapping[str, str]] = _no_spellings  # family word → its model
    onnx_by_adapter: bool = False  # its model.onnx runs through the adapter's `from_onnx`
    # "package.module:function" finding a model's pretrained weights (model_name, config) →
    # FoundWeights, light to import; None: the framework takes no pretrained weights.
    weights_finder: str | None = None

    # --- model names and tasks ----------------------------------------------------------
    @property
    def is_fallback(self) -> bool:
        return self.claims is None

    def serves(self, model_name: str) -> bool:
        """Whether `model_name` is claimed by this framework (the fallback claims none)."""
        return self.claims is not None and self.claims(model_name)

    def task_of(self, model_name: str) -> str | None:
        """The task `model_name` implies, None when it implies none this framework knows."""
        if self.model_task is None:
            return self.tasks[0]
        return self.model_task(model_name)

    def default_task(self, model_name: str) -> str:
        """The task a job of `model_name` gets when the request names none."""
        return self.task_of(model_name) or self.tasks[0]

    def variant_for(self, model_name: str, task: str) -> str:
        """The name of `model_name`'s variant for `task` (the name itself when it has none)."""
        return self.variant(model_name, task)

    def best_metric(self, task: str | None) -> str:
        """The metric that decides best.pt for a run of `task` (its metrics.jsonl key)."""
        return self.best_metrics.get(task or self.tasks[0], self.best_metrics[self.tasks[0]])

    # --- schema and presets -------------------------------------------------------------
    def _schema_module(self) -> ModuleType:
        return importlib.import_module(self.schema)

    def config_schema(self) -> list[ConfigField]:
        """The framework's advanced-config fields."""
        return list(self._schema_module().SCHEMA)

    def presets(self) -> dict[str, dict[str, Any]]:
        """Preset name → the values it sets (on top of the defaults)."""
        return {name: dict(values) for name, values in self._schema_module().PRESETS.items()}

    def preset_intents(self) -> dict[str, PresetIntent]:
        """Preset name → what it is for and how it bends to a run (none: copied as they are)."""
        return dict(getattr(self._schema_module(), "PRESET_INTENTS", {}))

    def run_rules(self) -> tuple[Rule, ...]:
        """The framework's own rules for resolving a config against a run."""
        return tuple(getattr(self._schema_module(), "RUN_RULES", ()))

    def resolve_config(
        self,
        *,
        preset: str | None,
        advanced_config: Mapping[str, Any] | None,
        learning_rate: float | None = None,
        run: RunFacts,
    ) -> ResolvedConfig:
        """The config a run uses, resolved for it, with every change and its reason."""
        return resolve_run_config(
            schema=self.config_schema(),
            presets=self.presets(),
            intents=self.preset_intents(),
            rules=self.run_rules(),
            preset=preset,
            advanced_config=advanced_config,
            learning_rate=learning_rate,
            run=run,
        )

    def json_schema(self) -> dict[str, Any]:
        doc = schema_to_json_schema(
            self.config_schema(), title=f"{self.framework} advanced config", presets=self.presets()
        )
        doc["x-preset-intents"] = {
            name: intent.summary for name, intent in self.preset_intents().items()
        }
        return doc

    def field_for(self, concept: Concept | str) -> ConfigField | None:
        """The field that holds `concept` in this framework's schema, if it has one."""
        return next((spec for spec in self.config_schema() if spec.concept == concept), None)

    def find_weights(self, model_name: str, config: Mapping[str, Any]) -> FoundWeights:
        """Where a run of `model_name` with `config` would take its pretrained weights from
        (WeightsUnavailableError naming every place looked)."""
        if self.weights_finder is None:
            raise WeightsUnavailableError(f"{self.framework} takes no pretrained weights")
        module_name, _, function = self.weights_finder.partition(":")
        finder = getattr(importlib.import_module(module_name), function)
        found: FoundWeights = finder(model_name, dict(config))
        return found

    # --- the adapter ----------------------------------------------------------------------
    def adapter_class(self) -> type[VisionAdapter]:
        """The adapter class (its module is imported now; the framework is not)."""
        module_name, _, class_name = self.adapter.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise UnknownNameError(
                f"framework {self.framework!r} is not installed ({e}); "
                f"install it with: pip install 'vision-platform[{self.framework}]'"
            ) from e
        adapter: type[VisionAdapter] = getattr(module, class_name)
        return adapter

    def model_names(self) -> list[str]:
        """Every model name the adapter can build (may import the framework)."""
        return self.adapter_class().model_names()

    def check_model_name(self, model_name: str) -> None:
        """UnknownNameError (with the closest names) for a model the adapter cannot build."""
        self.adapter_class().check_model_name(model_name)
