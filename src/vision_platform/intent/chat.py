"""The conversation that turns messages into a confirmed TrainingSpec (no HTTP, no database).

`ChatService.respond(state, message)` is pure: it returns the next state inside its reply and
never changes the one it was given, so the caller may store states as JSON wherever it likes.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.configs import TrainingSpec
from vision_platform.intent.actions import ActionRequest
from vision_platform.intent.extract import extract
from vision_platform.intent.models import Language, ParseResult, TrainingIntent
from vision_platform.intent.resolve import IntentResolver
from vision_platform.intent.rules import IntentParser, RulesParser
from vision_platform.intent.settings import (
    ResolvedSettings,
    SettingValue,
    job_fields,
    resolve_settings,
)
from vision_platform.intent.texts import detect_language, label, say

Stage = Literal["collecting", "confirming", "confirmed"]

_YES = re.compile(
    r"^\s*(네|예|응|좋아요?|좋습니다|그래|진행|시작|확인|yes|y|yeah|yep|ok|okay|sure|go|start"
    r"|confirm|proceed)(?![a-z])",
    re.IGNORECASE,
)
_NO = re.compile(r"^\s*(아니|아뇨|취소|no|nope|cancel|stop)(?![a-z])", re.IGNORECASE)
_ENGLISH_WORD = re.compile(r"(?<![\w/.])[A-Za-z]{3,}(?![\w/])")


class ChatTurn(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    text: str


class ChatState(BaseModel):
    """Everything a conversation remembers between messages; stored as JSON by the caller."""

    model_config = ConfigDict(extra="forbid")

    language: Language = "en"
    stage: Stage = "collecting"
    intent: TrainingIntent = Field(default_factory=TrainingIntent)
    questions: list[str] = Field(default_factory=list)
    spec: TrainingSpec | None = None
    turns: list[ChatTurn] = Field(default_factory=list)
    # What the conversation is about ("it", "그거", "the last one") and what awaits a yes.
    last_job_id: int | None = None
    last_model: str | None = Field(default=None, description="A registered model: name@vN.")
    pending_action: ActionRequest | None = None


class ChatReply(BaseModel):
    """What one message gets back: the reply text, the intent so far and the next state."""

    model_config = ConfigDict(extra="forbid")

    reply: str
    intent: TrainingIntent
    missing: list[str]
    questions: list[str]
    needs_confirmation: bool
    spec: TrainingSpec | None = None
    settings: ResolvedSettings | None = Field(
        default=None, description="What a job made now would run with (the summary's values)."
    )
    state: ChatState


def is_yes(message: str) -> bool:
    """Whether `message` answers yes ('네', 'ok', 'yes', …)."""
    return _YES.match(message) is not None


def is_no(message: str) -> bool:
    """Whether `message` answers no ('아니요', 'no', 'cancel', …)."""
    return _NO.match(message) is not None


def message_language(message: str, state: ChatState) -> Language:
    """The language to answer in: Korean on any Hangul, English on a real English sentence."""
    if detect_language(message) == "ko":
        return "ko"
    if not state.turns or len(_ENGLISH_WORD.findall(message)) >= 2:
        return "en"
    return state.language


def intent_to_spec(intent: TrainingIntent) -> TrainingSpec:
    """The TrainingSpec an intent stands for, with the task's default model when none is named."""
    given = job_fields(intent)
    return TrainingSpec.model_validate({k: v for k, v in given.items() if v is not None})


class ChatService:
    """The multi-turn conversation: ask for what is missing, summarise, change, confirm."""

    def __init__(self, *, parser: IntentParser | None = None) -> None:
        self.parser = parser or RulesParser()

    def respond(
        self, state: ChatState | None, message: str, *, datasets: Collection[str] | None = None
    ) -> ChatReply:
        """The reply to `message` in a conversation that is at `state` (None: a new one);
        `datasets`: the stored data sets' names the caller knows, which the message may name."""
        state = (state or ChatState()).model_copy(deep=True)
        state.language = message_language(message, state)
        state.turns.append(ChatTurn(role="user", text=message))
        quiet = extract(message).is_empty()
        if quiet and state.stage == "confirming" and _YES.match(message):
            return self._confirmed(state)
        if quiet and state.stage == "confirming" and _NO.match(message):
            state.stage = "collecting"
            return self._reply(state, say("what_to_change", state.language))
        result = self._read(state, message, datasets)
        state.intent = result.intent
        state.spec = None
        return self._after_update(state, result, datasets)

    def confirm(self, state: ChatState) -> ChatReply:
        """Confirm the settings (what `POST /chat/{id}/confirm` does): the final spec or why not."""
        state = state.model_copy(deep=True)
        if state.stage == "confirmed" and state.spec is not None:
            return self._reply(state, say("started", state.language))
        if state.questions or state.intent.missing:
            return self._reply(
                state, "\n".join([say("not_ready", state.language), *self._asks(state)])
            )
        return self._confirmed(state)

    # --- steps --------------------------------------------------------------------------
    def _read(
        self, state: ChatState, message: str, datasets: Collection[str] | None
    ) -> ParseResult:
        token = message.strip().strip("'\"`").rstrip(".,")
        awaiting_path = "dataset_path" in state.intent.missing
        bare = token and not re.search(r"\s", token) and not _YES.match(token)
        if awaiting_path and bare and not extract(token).models:
            resolver = IntentResolver(language=state.language, datasets=datasets)
            intent = state.intent.model_copy(update={"dataset_path": token})
            return ParseResult(
                intent=resolver.check(intent), language=state.language, issues=resolver.issues
            )
        lang = state.language
        return self.parser.parse(message, context=state.intent, language=lang, datasets=datasets)

    def _after_update(
        self, state: ChatState, result: ParseResult, datasets: Collection[str] | None
    ) -> ChatReply:
        lang = state.language
        state.questions = result.questions
        notes = [issue.text for issue in result.issues if not issue.blocking]
        lines = [*notes]
        if state.intent.model_name or state.intent.task_type:
            lines = [*self._summary(state.intent, lang), *notes]
        asks = self._asks(state, datasets)
        if asks:
            state.stage = "collecting"
            return self._reply(state, "\n".join([*lines, *asks]))
        state.stage = "confirming"
        return self._reply(state, "\n".join([*lines, say("confirm", lang)]))

    def _confirmed(self, state: ChatState) -> ChatReply:
        state.spec = intent_to_spec(state.intent)
        state.stage = "confirmed"
        return self._reply(state, say("started", state.language))

    def _asks(self, state: ChatState, datasets: Collection[str] | None = None) -> list[str]:
        asks = list(state.questions)
        for name in state.intent.missing:
            asks.append(say(f"ask_{name}", state.language))
        if datasets and "dataset_path" in state.intent.missing:
            asks.append(say("ask_dataset_names", state.language, names=", ".join(datasets)))
        return asks

    def _reply(self, state: ChatState, text: str) -> ChatReply:
        state.turns.append(ChatTurn(role="assistant", text=text))
        return ChatReply(
            reply=text,
            intent=state.intent,
            missing=list(state.intent.missing),
            questions=list(state.questions),
            needs_confirmation=state.stage == "confirming",
            spec=state.spec,
            settings=resolve_settings(state.intent),
            state=state,
        )

    # --- the summary ----------------------------------------------------------------------
    def _summary(self, intent: TrainingIntent, lang: Language) -> list[str]:
        """Short lines with the settings that will be used, each marked with where it comes from."""
        settings = resolve_settings(intent)
        assert settings is not None

        def shown(setting: SettingValue, *, empty: str | None = None) -> str:
            if setting.value is None and empty is None:
                return "-"
            value = empty if setting.value is None else _value_text(setting.value)
            marks = [] if setting.source == "request" else [label(f"source_{setting.source}", lang)]
            if not setting.applies:
                marks.append(label("not_used", lang))
            return f"{value} ({', '.join(marks)})" if marks else str(value)

        model = shown(settings.model_name)
        if settings.model_name.source == "default":
            task = label(str(settings.task_type.value), lang)
            model = say("default_model", lang, model=settings.model_name.value, task=task)
        task_value = settings.task_type.value
        intent_text = settings.preset_intent
        augs = [
            shown(aug.model_copy(update={"value": _aug_text(aug.name, aug.value)}))
            for aug in settings.augmentations
        ]
        rows = [
            ("model", model),
            ("task", label(str(task_value), lang) if task_value else "-"),
            ("preset", shown(settings.preset) + (f": {intent_text}" if intent_text else "")),
            ("dataset", shown(settings.dataset_path)),
            ("optimizer", f"{shown(settings.optimizer)} / {shown(settings.learning_rate)}"),
            ("warmup", shown(settings.warmup_epochs)),
            ("augmentation", ", ".join(augs) or label("none", lang)),
            ("epochs", shown(settings.num_epochs)),
            ("batch", shown(settings.batch_size)),
            ("image_size", shown(settings.image_size, empty=label("auto", lang))),
        ]
        if settings.class_names:
            rows.append(("classes", ", ".join(settings.class_names)))
        if settings.weights is not None:
            rows.append(("weights", settings.weights.message))
        lines = [f"- {label(k, lang)}: {v}" for k, v in rows]
        lines += [f"- {say('adjusted', lang, message=a.message)}" for a in settings.adjustments]
        return [say("summary_title", lang), *lines]


def _value_text(value: bool | int | float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _aug_text(name: str, value: Any) -> str:
    return name if value is True else f"{name} {_value_text(value)}"
