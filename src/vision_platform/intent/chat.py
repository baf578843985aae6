"""The conversation that turns messages into a confirmed TrainingSpec (no HTTP, no database).

`ChatService.respond(state, message)` is pure: it returns the next state inside its reply and
never changes the one it was given, so the caller may store states as JSON wherever it likes.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.adapters.registry import registry
from vision_platform.configs import TrainingSpec, merge_config
from vision_platform.errors import UnknownNameError
from vision_platform.intent import catalog
from vision_platform.intent.extract import extract
from vision_platform.intent.models import Language, ParseResult, TrainingIntent
from vision_platform.intent.resolve import IntentResolver, framework_of
from vision_platform.intent.rules import IntentParser, RulesParser
from vision_platform.intent.texts import detect_language, label, say

Stage = Literal["collecting", "confirming", "confirmed"]

_YES = re.compile(
    r"^\s*(네|예|응|좋아요?|좋습니다|그래|진행|시작|확인|yes|y|yeah|yep|ok|okay|sure|go|start"
    r"|confirm|proceed)(?![a-z])",
    re.IGNORECASE,
)
_NO = re.compile(r"^\s*(아니|아뇨|취소|no|nope|cancel|stop)(?![a-z])", re.IGNORECASE)
_ENGLISH_WORD = re.compile(r"(?<![\w/.])[A-Za-z]{3,}(?![\w/])")
_AUGMENTATION_FIELDS = (
    "mosaic",
    "mixup",
    "cutmix",
    "copy_paste",
    "label_smoothing",
    "random_flip",
    "fliplr",
    "color_jitter",
    "random_rotation",
    "degrees",
)


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


class ChatReply(BaseModel):
    """What one message gets back: the reply text, the intent so far and the next state."""

    model_config = ConfigDict(extra="forbid")

    reply: str
    intent: TrainingIntent
    missing: list[str]
    questions: list[str]
    needs_confirmation: bool
    spec: TrainingSpec | None = None
    state: ChatState


def message_language(message: str, state: ChatState) -> Language:
    """The language to answer in: Korean on any Hangul, English on a real English sentence."""
    if detect_language(message) == "ko":
        return "ko"
    if not state.turns or len(_ENGLISH_WORD.findall(message)) >= 2:
        return "en"
    return state.language


def intent_to_spec(intent: TrainingIntent) -> TrainingSpec:
    """The TrainingSpec an intent stands for, with the task's default model when none is named."""
    model = intent.model_name or catalog.DEFAULT_MODELS[intent.task_type or "classification"]
    given: dict[str, Any] = {
        "model_name": model,
        "dataset_path": intent.dataset_path,
        "framework": intent.framework or framework_of(model, None),
        "task_type": intent.task_type or catalog.task_of(model),
        "preset": intent.preset,
        "num_epochs": intent.num_epochs,
        "batch_size": intent.batch_size,
        "learning_rate": intent.learning_rate,
        "image_size": intent.image_size,
        "advanced_config": intent.advanced_config,
    }
    return TrainingSpec.model_validate({k: v for k, v in given.items() if v is not None})


class ChatService:
    """The multi-turn conversation: ask for what is missing, summarise, change, confirm."""

    def __init__(self, *, parser: IntentParser | None = None) -> None:
        self.parser = parser or RulesParser()

    def respond(self, state: ChatState | None, message: str) -> ChatReply:
        """The reply to `message` in a conversation that is at `state` (None: a new one)."""
        state = (state or ChatState()).model_copy(deep=True)
        state.language = message_language(message, state)
        state.turns.append(ChatTurn(role="user", text=message))
        quiet = extract(message).is_empty()
        if quiet and state.stage == "confirming" and _YES.match(message):
            return self._confirmed(state)
        if quiet and state.stage == "confirming" and _NO.match(message):
            state.stage = "collecting"
            return self._reply(state, say("what_to_change", state.language))
        result = self._read(state, message)
        state.intent = result.intent
        state.spec = None
        return self._after_update(state, result)

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
    def _read(self, state: ChatState, message: str) -> ParseResult:
        token = message.strip().strip("'\"`").rstrip(".,")
        awaiting_path = "dataset_path" in state.intent.missing
        bare = token and not re.search(r"\s", token) and not _YES.match(token)
        if awaiting_path and bare and not extract(token).models:
            resolver = IntentResolver(language=state.language)
            intent = state.intent.model_copy(update={"dataset_path": token})
            return ParseResult(
                intent=resolver.check(intent), language=state.language, issues=resolver.issues
            )
        return self.parser.parse(message, context=state.intent, language=state.language)

    def _after_update(self, state: ChatState, result: ParseResult) -> ChatReply:
        lang = state.language
        state.questions = result.questions
        notes = [issue.text for issue in result.issues if not issue.blocking]
        lines = [*notes]
        if state.intent.model_name or state.intent.task_type:
            lines = [*self._summary(state.intent, lang), *notes]
        asks = self._asks(state)
        if asks:
            state.stage = "collecting"
            return self._reply(state, "\n".join([*lines, *asks]))
        state.stage = "confirming"
        return self._reply(state, "\n".join([*lines, say("confirm", lang)]))

    def _confirmed(self, state: ChatState) -> ChatReply:
        state.spec = intent_to_spec(state.intent)
        state.stage = "confirmed"
        return self._reply(state, say("started", state.language))

    def _asks(self, state: ChatState) -> list[str]:
        asks = list(state.questions)
        for name in state.intent.missing:
            asks.append(say(f"ask_{name}", state.language))
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
            state=state,
        )

    # --- the summary ----------------------------------------------------------------------
    def _summary(self, intent: TrainingIntent, lang: Language) -> list[str]:
        """Short lines with the settings that will be used, defaults marked as such."""
        config = _effective_config(intent)

        def default(value: object) -> str:
            return say("default_value", lang, value=value)

        model = intent.model_name or say(
            "default_model",
            lang,
            model=catalog.DEFAULT_MODELS[intent.task_type or "detection"],
            task=label(intent.task_type or "detection", lang),
        )
        task = intent.task_type or (
            catalog.task_of(intent.model_name) if intent.model_name else None
        )
        lr = intent.learning_rate or config.get("learning_rate") or config.get("lr0")
        optimizer = config.get("optimizer_type", config.get("optimizer", "-"))
        augs = [_aug_text(k, v) for k, v in config.items() if k in _AUGMENTATION_FIELDS and v]
        rows = [
            ("model", model),
            ("task", label(task, lang) if task else "-"),
            ("preset", intent.preset or "-"),
            ("dataset", intent.dataset_path or "-"),
            ("optimizer", f"{optimizer} / {lr}"),
            ("warmup", config.get("warmup_epochs", "-")),
            ("augmentation", ", ".join(augs) or label("none", lang)),
            (
                "epochs",
                intent.num_epochs or default(TrainingSpec.model_fields["num_epochs"].default),
            ),
            (
                "batch",
                intent.batch_size or default(TrainingSpec.model_fields["batch_size"].default),
            ),
            ("image_size", intent.image_size or default("auto")),
        ]
        if intent.class_names:
            rows.append(("classes", ", ".join(intent.class_names)))
        return [say("summary_title", lang), *(f"- {label(k, lang)}: {v}" for k, v in rows)]


def _aug_text(name: str, value: Any) -> str:
    return name if value is True else f"{name} {value}"


def _effective_config(intent: TrainingIntent) -> dict[str, Any]:
    """Defaults, then the preset, then the intent's own values (as the runner will merge them)."""
    framework = intent.framework
    if framework is None:
        return dict(intent.advanced_config or {})
    try:
        adapter = registry.get(framework)
        return merge_config(
            schema=adapter.config_schema(),
            presets=adapter.presets(),
            preset=intent.preset,
            overrides=intent.advanced_config,
        )
    except (UnknownNameError, ValueError):
        return dict(intent.advanced_config or {})
