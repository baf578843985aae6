"""Turning what a request says into a TrainingIntent checked against the adapter's schema."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from vision_platform.adapters.registry import registry
from vision_platform.configs import (
    Concept,
    ConfigField,
    TrainingSpec,
    inactive_fields,
    validate_config,
)
from vision_platform.errors import ConfigValidationError, InvalidInputError, UnknownNameError
from vision_platform.intent import catalog
from vision_platform.intent.datasets import apply_dataset, check_dataset
from vision_platform.intent.extract import Extraction, OptionValue
from vision_platform.intent.models import Issue, Language, TrainingIntent
from vision_platform.intent.texts import label, say

TOP_LEVEL_NUMBERS = ("num_epochs", "batch_size", "image_size", "learning_rate")


def framework_of(model_name: str | None, task: str | None) -> str | None:
    """The framework a model (or, without one, a task's default model) belongs to."""
    if model_name:
        return registry.framework_for_model(model_name)
    if task:
        return registry.framework_for_model(catalog.default_model(task))
    return None


def _concepts(framework: str, config: Mapping[str, Any]) -> dict[str, OptionValue]:
    """A framework's config as concept values (field names where a field has no concept), to
    carry the settings over to another framework."""
    try:
        by_name = {spec.name: spec for spec in registry.info(framework).config_schema()}
    except UnknownNameError:
        by_name = {}
    out: dict[str, OptionValue] = {}
    for name, value in config.items():
        spec = by_name.get(name)
        if spec is None:
            out[name] = value
        else:
            out[spec.concept or name] = spec.to_concept(value)
    return out


class IntentResolver:
    """Builds and checks intents for one request language; `datasets` are the stored data
    sets' names the caller knows (None: names are not read)."""

    def __init__(self, *, language: Language, datasets: Collection[str] | None = None) -> None:
        self.language = language
        self.datasets = datasets
        self.issues: list[Issue] = []

    def issue(
        self,
        code: Any,
        key: str,
        *,
        field: str | None = None,
        blocking: bool = False,
        suggestions: Sequence[str] = (),
        **values: Any,
    ) -> None:
        text = say(key, self.language, field=field, **values)
        self.issues.append(
            Issue(
                code=code, text=text, field=field, blocking=blocking, suggestions=list(suggestions)
            )
        )

    # --- the request's own values ---------------------------------------------------------
    def single(self, field: str, values: Sequence[Any], *, key: str = "two_values") -> Any:
        """The one value given for `field`; two different values are a question."""
        if len(values) > 1:
            shown = ", ".join(str(v) for v in values)
            self.issue("contradiction", key, field=field, blocking=True, values=shown)
            return None
        return values[0] if values else None

    def build(self, ex: Extraction, context: TrainingIntent | None) -> TrainingIntent:
        """The intent after this request: the context's values with the request's on top."""
        base = context.model_copy(deep=True) if context else TrainingIntent()
        model = self.single("model_name", [m.name for m in ex.models], key="two_models")
        task = self.single("task_type", ex.tasks, key="two_tasks")
        preset = self.single("preset", ex.presets, key="two_presets")
        path = self.single("dataset_path", ex.dataset_paths)
        intent = base.model_copy(update={"missing": [], "notes": []})
        names = [*ex.dataset_names, *ex.dataset_guesses]
        held = apply_dataset(self, intent, path=path, names=names, said=len(ex.dataset_names))
        if model is None and task is None and base.model_name is None and base.task_type is None:
            task = held  # "digits 데이터셋으로 학습해줘": the task that data set is for
        self._apply_model_and_task(intent, model=model, task=task, context=context)
        implied = next((m for m in ex.models if m.name == model and m.implied), None)
        if implied is not None:
            written, name = implied.written, intent.model_name
            self.issue("model_assumed", "model_assumed", written=written, name=name)
        if preset is not None:
            intent.preset = preset
        priority = self.single("priority", ex.priorities)
        if priority is not None:
            intent.priority = priority
        if ex.class_names:
            intent.class_names = ex.class_names
        for name in TOP_LEVEL_NUMBERS:
            value = self.single(name, ex.numbers.get(name, []))
            if value is not None:
                setattr(intent, name, float(value) if name == "learning_rate" else int(value))
        options = {k: v for k, vs in ex.options.items() if (v := self.single(k, vs)) is not None}
        self._apply_options(intent, options, context)
        return intent

    def _apply_model_and_task(
        self,
        intent: TrainingIntent,
        *,
        model: str | None,
        task: str | None,
        context: TrainingIntent | None,
    ) -> None:
        if model is not None:
            intent.model_name = model
            intent.task_type = task or catalog.task_of(model)  # type: ignore[assignment]
        elif task is not None:
            intent.task_type = task  # type: ignore[assignment]
        if intent.model_name and intent.task_type:
            intent.model_name = catalog.with_task(intent.model_name, intent.task_type)
        intent.framework = framework_of(intent.model_name, intent.task_type) or (
            context.framework if context else None
        )

    def _apply_options(
        self,
        intent: TrainingIntent,
        options: Mapping[str, OptionValue],
        context: TrainingIntent | None,
    ) -> None:
        previous = dict(context.advanced_config or {}) if context else {}
        moved = context is not None and context.framework not in (None, intent.framework)
        if not intent.framework:
            if options or previous:
                self.issue("not_honoured", "no_framework", options=", ".join([*options, *previous]))
            intent.advanced_config = previous or None
            return
        schema = self.schema(intent.framework, options=[*options, *previous])
        if schema is None:
            intent.advanced_config = None
            return
        config: dict[str, Any] = {}
        if moved:
            assert context is not None and context.framework is not None
            neutral = _concepts(context.framework, previous)
            config.update(self._map(neutral, schema, intent.framework))
        else:
            config.update(previous)
        config.update(self._map(options, schema, intent.framework))
        intent.advanced_config = config or None

    def _map(
        self, options: Mapping[str, OptionValue], schema: Sequence[ConfigField], framework: str
    ) -> dict[str, Any]:
        by_concept: dict[str, ConfigField] = {s.concept: s for s in schema if s.concept}
        by_name = {spec.name: spec for spec in schema}
        config: dict[str, Any] = {}
        for key, value in options.items():
            spec = by_concept.get(key) or by_name.get(key)  # a concept, else a field's own name
            try:
                if spec is None:
                    raise ValueError(key)
                config[spec.name] = spec.from_concept(value)
            except ValueError:
                shown = key if isinstance(value, bool) else f"{key} {value}"
                self.issue(
                    "not_honoured", "not_honoured", field=key, option=shown, framework=framework
                )
                continue
            if spec.type == "bool" and isinstance(value, float | int) and value not in (0, 1):
                self.issue(
                    "not_honoured", "on_off_only", field=spec.name, value=value, framework=framework
                )
        return config

    # --- checks against the adapter -------------------------------------------------------
    def schema(self, framework: str, *, options: Sequence[str]) -> list[ConfigField] | None:
        """The framework's schema; when its adapter cannot load, the options are reported."""
        try:
            return registry.info(framework).config_schema()
        except UnknownNameError as e:
            self.issue(
                "framework_unavailable",
                "framework_unavailable",
                field="framework",
                blocking=bool(options),
                framework=framework,
                error=str(e).split(";")[0],
                options=", ".join(options) or "-",
            )
            return None

    def check(self, intent: TrainingIntent) -> TrainingIntent:
        """`intent` with every value checked; what cannot be used is removed and reported."""
        self._check_model(intent)
        self._check_task(intent)
        self._check_numbers(intent)
        self._check_advanced(intent)
        check_dataset(self, intent)
        self._check_run(intent)
        intent.missing = self._missing(intent)
        intent.notes = [issue.text for issue in self.issues]
        return intent

    def _check_model(self, intent: TrainingIntent) -> None:
        name = intent.model_name
        if name is None or catalog.is_known(name):
            return
        canonical = catalog.canonical_name(name)
        if canonical is not None:  # "ResNet-50" from an LLM, or a state saved before
            intent.model_name = canonical
            return
        if self._known_to_adapter(intent):
            return
        hints = catalog.suggestions(name)
        hint = say("unknown_model_hint", self.language, names=", ".join(hints)) if hints else ""
        self.issue(
            "unknown_model",
            "unknown_model",
            field="model_name",
            blocking=True,
            suggestions=hints,
            name=name,
            hint=hint,
        )
        intent.model_name = None

    def _known_to_adapter(self, intent: TrainingIntent) -> bool:
        """Ask the framework itself about a name outside its list (timm's pretrained tags)."""
        assert intent.model_name is not None
        if intent.framework is None:
            return False
        try:
            registry.info(intent.framework).check_model_name(intent.model_name)
        except (UnknownNameError, AttributeError, ImportError):
            return False
        return True

    def _check_task(self, intent: TrainingIntent) -> None:
        task, model = intent.task_type, intent.model_name
        if task is None or model is None:
            return
        info = registry.info_for_model(model)
        implied = catalog.task_of(model)
        # A name outside the catalogue fits only where the framework does not derive names per
        # task (those may not exist); timm's pretrained tags are names of their own.
        if implied == task and (not info.derives_variants or catalog.is_known(model)):
            return
        shown = info.variant_for(model, implied or info.tasks[0])
        suggestion = catalog.default_model(task)
        self.issue(
            "contradiction",
            "task_mismatch",
            field="task_type",
            blocking=True,
            suggestions=[suggestion],
            model=shown,
            framework=intent.framework,
            task=label(task, self.language),
            supported=label(catalog.task_of(shown) or info.tasks[0], self.language),
            suggestion=suggestion,
        )
        intent.model_name = shown
        intent.task_type = None

    def _check_numbers(self, intent: TrainingIntent) -> None:
        lr_field = self._concept_field(intent.framework, "learning_rate")
        for name in TOP_LEVEL_NUMBERS:
            value = getattr(intent, name)
            if value is None:
                continue
            allowed = _spec_bounds(name) if _spec_problem(name, value) else None
            if allowed is None and name == "learning_rate" and lr_field is not None:
                allowed = _allowed(lr_field) if lr_field.check(value) else None
            if allowed:
                self.issue(
                    "out_of_range",
                    "out_of_range",
                    field=name,
                    blocking=True,
                    value=value,
                    allowed=allowed,
                )
                setattr(intent, name, None)

    def _concept_field(self, framework: str | None, concept: Concept) -> ConfigField | None:
        if framework is None:
            return None
        try:
            return registry.info(framework).field_for(concept)
        except UnknownNameError:
            return None

    def _check_advanced(self, intent: TrainingIntent) -> None:
        config = intent.advanced_config
        if not config or intent.framework is None:
            return
        try:
            info = registry.info(intent.framework)
        except UnknownNameError:
            return
        schema = info.config_schema()
        try:
            resolved = validate_config(config, schema)
        except ConfigValidationError as e:
            by_name = {spec.name: spec for spec in schema}
            for name, problem in e.errors.items():
                allowed = _allowed(by_name[name]) if name in by_name else problem
                self.issue(
                    "out_of_range",
                    "out_of_range",
                    field=name,
                    blocking=True,
                    value=config[name],
                    allowed=allowed,
                )
                config.pop(name)
            resolved = validate_config(config, schema)
        if intent.preset is not None:
            preset_values = info.presets().get(intent.preset, {})
            resolved = {**resolved, **preset_values, **config}
        for detail in inactive_fields(resolved, schema):
            self.issue("inactive", "inactive", detail=detail)
        intent.advanced_config = config or None

    def _check_run(self, intent: TrainingIntent) -> None:
        """What the request sets that the run contradicts (a warm-up as long as the run, …)."""
        try:
            if intent.framework is not None:
                registry.info(intent.framework).resolve_config(
                    preset=intent.preset,
                    advanced_config=intent.advanced_config,
                    learning_rate=intent.learning_rate,
                    run=intent.run_facts(),
                )
        except ConfigValidationError as e:
            by_problem: dict[str, list[str]] = {}
            for name, problem in e.errors.items():
                by_problem.setdefault(problem, []).append(name)
            for problem, names in by_problem.items():
                fields = ", ".join(names)
                self.issue("contradiction", "run_conflict", field=names[0], blocking=True,
                           fields=fields, problem=problem)  # fmt: skip
        except InvalidInputError:  # an unknown preset or framework is reported elsewhere
            return

    def _missing(self, intent: TrainingIntent) -> list[str]:
        missing = []
        if intent.model_name is None and intent.task_type is None:
            missing.append("model_name")
        if intent.dataset_path is None and intent.dataset is None:
            missing.append("dataset_path")
        return missing


def _allowed(spec: ConfigField) -> str:
    """The values `spec` allows, in a few words."""
    if spec.options is not None:
        return ", ".join(map(str, spec.options))
    if spec.type == "bool":
        return "true, false"
    return f"{_fmt(spec.min)} ~ {_fmt(spec.max)}"


def _fmt(bound: float | None) -> str:
    return "" if bound is None else f"{bound:g}"


def _spec_bounds(name: str) -> str:
    """The range TrainingSpec allows for `name`, e.g. "1 ~ 4096"."""
    low = high = None
    for rule in TrainingSpec.model_fields[name].metadata:
        low = getattr(rule, "ge", getattr(rule, "gt", low))
        high = getattr(rule, "le", getattr(rule, "lt", high))
    return f"{_fmt(low)} ~ {_fmt(high)}"


def _spec_problem(name: str, value: Any) -> str | None:
    """What TrainingSpec says is wrong with `value` for `name`, or None."""
    try:
        TrainingSpec.model_validate({"model_name": "x", "dataset_path": "x", name: value})
    except ValidationError as e:
        return str(e.errors()[0]["msg"])
    return None
