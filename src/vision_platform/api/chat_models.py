"""The chat's actions on models: register a job as a model version, move an alias (promote),
predict the attached image with a job or a registered model, all through the model registry
and the job service the routes use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vision_platform.adapters.base import InferenceResult
from vision_platform.api.chat_cards import Card, ConfirmCard, ModelCard, PredictionCard
from vision_platform.intent.action_texts import say_action
from vision_platform.intent.actions import DEFAULT_ALIAS, ActionRequest
from vision_platform.intent.chat import ChatState
from vision_platform.intent.models import Language
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus
from vision_platform.registry.errors import RegistryNotFoundError
from vision_platform.registry.schemas import ModelOut, ModelRef, ModelVersionOut
from vision_platform.registry.service import ModelRegistry

# The attached image through the micro-batcher of the model at a path (the upload routes' own).
Predict = Callable[[Path], InferenceResult]


def _metric(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def model_card(version: ModelVersionOut) -> ModelCard:
    return ModelCard(
        name=version.name,
        version=version.version,
        aliases=version.aliases,
        job_id=version.job_id,
        best_metric_name=version.best_metric_name,
        best_metric=version.best_metric,
    )


class ModelActions:
    """Register, promote and predict for the chat."""

    def __init__(self, jobs: JobService, models: ModelRegistry | None) -> None:
        self.jobs = jobs
        self.models = models

    def names(self) -> list[str]:
        """The registered models' names (what a message may name)."""
        return [m.name for m in self.models.list_models().items] if self.models else []

    def _registry(self) -> ModelRegistry:
        if self.models is None:
            raise RegistryNotFoundError("the model registry is not available here")
        return self.models

    # --- register ------------------------------------------------------------------------
    def register(self, action: ActionRequest, state: ChatState) -> tuple[str, list[Card]]:
        lang = state.language
        job_id = action.job_ids[0] if action.job_ids else state.last_job_id
        if job_id is None:
            return say_action("which_job", lang, recent=""), []
        name = action.name or action.model
        if name is None:
            return say_action("which_name", lang, job_id=job_id), []
        version = self._registry().register(name, job_id)
        state.last_job_id, state.last_model = job_id, f"{name}@v{version.version}"
        text = say_action("registered", lang, job_id=job_id, name=name, version=version.version)
        return text, [model_card(version)]

    # --- promote -------------------------------------------------------------------------
    def ask_promote(self, action: ActionRequest, state: ChatState) -> tuple[str, list[Card]]:
        """The confirmation card for moving an alias to the version the request means."""
        lang = state.language
        model = self._model_meant(action, state)
        if model is None:
            return self._which_model(lang), []
        version = self._version_meant(action, state, model)
        if version is None:
            job_id = action.job_ids[0] if action.job_ids else state.last_job_id
            return say_action("not_a_version", lang, job_id=job_id), []
        alias = action.alias or DEFAULT_ALIAS
        current = model.aliases.get(alias)
        was = say_action("alias_was", lang, version=current) if current else ""
        metric = f"{version.best_metric_name} {_metric(version.best_metric)}"
        question = say_action(
            "confirm_promote",
            lang,
            alias=alias,
            name=model.name,
            version=version.version,
            job_id=version.job_id,
            metric=metric,
            was=was,
        )
        update = {"model": model.name, "version": version.version, "alias": alias}
        state.pending_action = action.model_copy(update=update)
        state.last_model, state.last_job_id = f"{model.name}@v{version.version}", version.job_id
        card = ConfirmCard(action="promote", question=question, **update)
        return f"{question} {say_action('confirm_hint', lang)}", [card]

    def promote(self, action: ActionRequest, state: ChatState) -> tuple[str, Card]:
        assert action.model and action.version and action.alias
        registry = self._registry()
        registry.set_alias(action.model, action.alias, action.version)
        version = registry.get_version(action.model, action.version)
        text = say_action(
            "promoted", state.language, alias=action.alias, name=action.model,
            version=action.version,
        )  # fmt: skip
        return text, model_card(version)

    def _model_meant(self, action: ActionRequest, state: ChatState) -> ModelOut | None:
        registry = self._registry()
        if action.model:
            return registry.get_model(action.model)
        if state.last_model:
            return registry.get_model(state.last_model.partition("@")[0])
        job_id = action.job_ids[0] if action.job_ids else state.last_job_id
        models = [registry.get_model(m.name) for m in registry.list_models().items]
        if job_id is not None:
            with_job = [m for m in models if any(v.job_id == job_id for v in m.versions)]
            return with_job[0] if with_job else None
        return models[0] if len(models) == 1 else None

    def _version_meant(
        self, action: ActionRequest, state: ChatState, model: ModelOut
    ) -> ModelVersionOut | None:
        by_number = {v.version: v for v in model.versions}
        if action.version is not None:
            return self._registry().get_version(model.name, action.version)
        job_id = action.job_ids[0] if action.job_ids else None
        if job_id is not None:
            return next((v for v in model.versions if v.job_id == job_id), None)
        if action.best:
            scored = [v for v in model.versions if v.best_metric is not None]
            return max(scored, key=lambda v: v.best_metric or 0.0) if scored else None
        name, _, ref = (state.last_model or "").partition("@v")
        if name == model.name and ref.isdigit() and int(ref) in by_number:
            return by_number[int(ref)]
        if state.last_job_id is not None:
            found = [v for v in model.versions if v.job_id == state.last_job_id]
            if found:
                return found[0]
        return by_number.get(model.latest_version or 0)

    def _which_model(self, lang: Language) -> str:
        names = self.names()
        known = say_action("known_models", lang, names=", ".join(names)) if names else ""
        return say_action("which_model", lang, known=known)

    # --- predict -------------------------------------------------------------------------
    def predict(
        self, action: ActionRequest, state: ChatState, predict: Predict | None
    ) -> tuple[str, list[Card]]:
        """The attached image through the model named, else the job named, else the model the
        conversation is about, else its job, else the newest completed job."""
        lang = state.language
        if predict is None:
            return say_action("attach_image", lang), []
        ref = self._ref_meant(action, state)
        card: PredictionCard
        if ref is not None:
            registry = self._registry()
            served = registry.resolve(ModelRef.parse(ref))
            result = predict(registry.model_file(served, "eager"))
            source = f"{served.name}@v{served.version}"
            card = PredictionCard(source=source, model=served.name, version=served.version,
                                  job_id=served.job_id, result=result)  # fmt: skip
            state.last_model = source
        else:
            job_id = self._job_meant(action, state)
            if job_id is None:
                return say_action("which_job", lang, recent=""), []
            result = predict(self.jobs.model_files(job_id)[0])
            source = f"job {job_id}" if lang == "en" else f"{job_id}번 작업"
            card = PredictionCard(source=source, job_id=job_id, result=result)
            state.last_job_id = job_id
        return _prediction_text(card, lang), [card]

    def _ref_meant(self, action: ActionRequest, state: ChatState) -> str | None:
        if action.model:
            if action.version:
                return f"{action.model}@v{action.version}"
            model = self._registry().get_model(action.model)
            if DEFAULT_ALIAS in model.aliases or model.latest_version is None:
                return action.model
            return f"{action.model}@v{model.latest_version}"
        if action.job_ids:
            return None
        return state.last_model

    def _job_meant(self, action: ActionRequest, state: ChatState) -> int | None:
        if action.job_ids:
            return action.job_ids[0]
        if state.last_job_id is not None:
            return state.last_job_id
        done = self.jobs.list_jobs(status=JobStatus.COMPLETED, limit=1, with_total=False).items
        return done[0].id if done else None


def _prediction_text(card: PredictionCard, lang: Language) -> str:
    result = card.result
    if result.detections is not None:
        top = ""
        if result.detections:
            best = max(result.detections, key=lambda d: d.confidence)
            top = f": {best.class_name} {best.confidence:.2f}"
        count = len(result.detections)
        return say_action("detected", lang, source=card.source, count=count, top=top)
    return say_action("predicted", lang, source=card.source, label=result.predicted_label,
                      confidence=f"{result.confidence:.2f}")  # fmt: skip
