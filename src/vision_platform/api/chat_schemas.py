"""The chat's models at the API's edge: a message (POST /chat), its answer, a stored
conversation."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vision_platform.api.chat_cards import Card
from vision_platform.intent import ChatState, TrainingIntent
from vision_platform.intent.actions import ActionKind
from vision_platform.intent.chat import ChatTurn, Stage
from vision_platform.intent.models import Language
from vision_platform.intent.settings import ResolvedSettings


class ChatRequest(BaseModel):
    """One message of a conversation (POST /chat); no session_id starts a new conversation."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000)
    session_id: str | None = Field(default=None, min_length=1, max_length=64)


class ChatResponse(BaseModel):
    """The answer to one message: reply text, the intent so far, and what is still needed."""

    model_config = ConfigDict(extra="forbid")

    session_id: str
    reply: str
    intent: TrainingIntent
    missing: list[str]
    questions: list[str]
    needs_confirmation: bool
    settings: ResolvedSettings | None = Field(
        default=None,
        description="The settings the job would be created with, each value resolved (preset and "
        "defaults applied) and marked with its source; the reply text shows the same values. "
        "null until a model or task is known.",
    )
    job_id: int | None = Field(
        default=None, description="The job this message created (a 'yes' / '네' that confirmed)."
    )
    action: ActionKind | None = Field(
        default=None,
        description="The action this message asked for (status, pause, resume, cancel, compare, "
        "register, promote, predict, datasets); null for a training request.",
    )
    cards: list[Card] = Field(
        default_factory=list,
        description="What the answer shows besides its text, each card typed by `type`: a job's "
        "status (epoch i/N, best metric, ETA, curve), a confirmation awaiting yes/no (pause, "
        "cancel, promote), a comparison table, a model version, a prediction, the data sets.",
    )


class ChatSessionOut(BaseModel):
    """A stored conversation: its turns, its whole state and the newest job it created, if any."""

    model_config = ConfigDict(extra="forbid")

    session_id: str
    language: Language
    stage: Stage
    job_id: int | None
    turns: list[ChatTurn]
    state: ChatState
    created_at: datetime
    updated_at: datetime
