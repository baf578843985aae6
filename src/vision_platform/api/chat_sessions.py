"""Chat sessions kept in the database: every query and transaction behind the `/chat` routes.

This service lives in `api/` because it joins rooms that may not import each other: the
conversation (`intent/`), the database (`db/`), the job service (`jobs/`) and the data set
store (`datastore/`), whose names it passes to the conversation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import CursorResult, select, update

from vision_platform.api.chat_actions import ActionReply, ChatActions
from vision_platform.api.chat_models import Predict
from vision_platform.api.chat_schemas import ChatRequest, ChatResponse, ChatSessionOut
from vision_platform.datastore.service import DatasetService
from vision_platform.db.models import ChatSession, utcnow
from vision_platform.db.session import Database
from vision_platform.errors import (
    DatasetError,
    InvalidInputError,
    NotFoundError,
    VisionPlatformError,
)
from vision_platform.intent import ChatReply, ChatService, ChatState, TrainingIntent
from vision_platform.intent.actions import ActionKind
from vision_platform.intent.chat import ChatTurn, is_no, is_yes, message_language
from vision_platform.intent.extract import extract
from vision_platform.intent.models import Language
from vision_platform.intent.settings import resolve_settings
from vision_platform.intent.texts import say
from vision_platform.intent.tools import ActionReader, RulesActionReader
from vision_platform.jobs.errors import PathNotAllowedError
from vision_platform.jobs.schemas import JobCreate, JobOut
from vision_platform.jobs.service import JobService

_TEXTS: dict[str, tuple[str, str]] = {
    "job_created": (
        "Job {job_id} is created and waits for the scheduler.",
        "학습 작업 {job_id}을(를) 만들었습니다. 곧 시작됩니다.",
    ),
    "not_created": ("I could not create the job: {error}", "학습 작업을 만들 수 없습니다: {error}"),
}


def _text(key: str, language: Language, **values: Any) -> str:
    english, korean = _TEXTS[key]
    return (korean if language == "ko" else english).format(**values)


class ChatSessionNotFoundError(NotFoundError):
    """No chat session has this id."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        super().__init__(f"chat session {session_id!r} not found")


class ChatSessionStateError(VisionPlatformError):
    """The session cannot do what was asked: it still has questions, or it is already confirmed."""


@dataclass(frozen=True)
class _Loaded:
    session_id: str
    state: ChatState
    version: int
    job_id: int | None


def job_request(reply: ChatReply) -> JobCreate:
    """The POST /jobs body a confirmed conversation stands for: a stored data set goes as
    `dataset` (the job service finds its version), a path as `dataset_path`."""
    assert reply.spec is not None
    fields = reply.spec.model_dump(include=set(JobCreate.model_fields))
    fields["priority"] = reply.state.intent.priority or "normal"
    if reply.state.intent.dataset:
        fields["dataset"] = reply.state.intent.dataset
        del fields["dataset_path"]
    try:
        return JobCreate.model_validate(fields)
    except PydanticValidationError as e:
        raise InvalidInputError(f"the agreed settings are not a valid job: {e}") from e


class ChatSessionService:
    """Loads a conversation, lets `ChatService` answer, stores the new state, creates the job."""

    def __init__(
        self,
        db: Database,
        *,
        jobs: JobService,
        chat: ChatService,
        datasets: DatasetService | None = None,
        actions: ChatActions | None = None,
        reader: ActionReader | None = None,
    ) -> None:
        self.db = db
        self.jobs = jobs
        self.chat = chat
        self.datasets = datasets
        self.actions = actions or ChatActions(jobs, datasets=datasets)
        self.reader = reader or RulesActionReader()

    def _dataset_names(self) -> dict[str, str] | None:
        """The stored data sets a message may name, each with its newest version's task (None
        without a store)."""
        if self.datasets is None:
            return None
        return {d.name: d.latest.task_type for d in self.datasets.list().items}

    # --- reading ---------------------------------------------------------------------------
    def _load(self, session_id: str) -> _Loaded:
        with self.db.session() as session:
            row = session.get(ChatSession, session_id)
            if row is None:
                raise ChatSessionNotFoundError(session_id)
            return _Loaded(
                session_id=row.id,
                state=ChatState.model_validate(row.state),
                version=row.version,
                job_id=row.job_id,
            )

    def get(self, session_id: str) -> ChatSessionOut:
        with self.db.session() as session:
            row = session.get(ChatSession, session_id)
            if row is None:
                raise ChatSessionNotFoundError(session_id)
            state = ChatState.model_validate(row.state)
            return ChatSessionOut(
                session_id=row.id,
                language=state.language,
                stage=state.stage,
                job_id=row.job_id,
                turns=state.turns,
                state=state,
                created_at=row.created_at,
                updated_at=row.updated_at,
            )

    # --- a conversation's turns ------------------------------------------------------------
    def respond(self, request: ChatRequest, *, predict: Predict | None = None) -> ChatResponse:
        """Answer one message: an action on what exists (`predict`: the attached image through
        a model), else a turn of the training conversation, where a 'yes' that confirms the
        settings creates the job."""
        loaded = self._load(request.session_id) if request.session_id else None
        acted = self._act(loaded.state if loaded else ChatState(), request.message, predict)
        if acted is not None:
            return self._acted(loaded, acted)
        if loaded is not None and loaded.state.stage == "confirmed":
            if not extract(request.message).is_empty():  # a new request after a job was made
                loaded = replace(loaded, state=_next_request(loaded.state))
            _refuse_when_confirmed(loaded)
        state = loaded.state if loaded else None
        reply = self.chat.respond(state, request.message, datasets=self._dataset_names())
        session_id = loaded.session_id if loaded else str(uuid.uuid4())
        version = loaded.version if loaded else None
        job_id = None
        if reply.spec is not None and version is not None:
            version = self._claim(session_id, version)
            try:
                job = self.jobs.create(job_request(reply))
            except InvalidInputError as e:
                reply = _not_created(reply, e)
            else:
                job_id = job.id
                reply = _created(reply, job)
        self._store(session_id, reply.state, expected=version, job_id=job_id)
        return ChatResponse(
            session_id=session_id,
            reply=reply.reply,
            intent=reply.intent,
            missing=reply.missing,
            questions=reply.questions,
            needs_confirmation=reply.needs_confirmation,
            settings=reply.settings,
            job_id=job_id,
        )

    # --- actions ---------------------------------------------------------------------------
    def _act(
        self, state: ChatState, message: str, predict: Predict | None
    ) -> tuple[ActionReply, ActionKind] | None:
        """The answer to an action (or to a confirmation card); None: a training turn."""
        state = state.model_copy(deep=True)
        state.language = message_language(message, state)
        state.turns.append(ChatTurn(role="user", text=message))
        pending = state.pending_action
        if pending is not None and is_yes(message):
            return self.actions.confirmed(state), pending.kind
        if pending is not None and is_no(message):
            return self.actions.declined(state), pending.kind
        if state.stage == "confirming" and (is_yes(message) or is_no(message)):
            return None
        context = f"Conversation: last job {state.last_job_id}, last model {state.last_model}"
        reading = self.reader.read(message, models=self.actions.model_names(), context=context)
        if reading.action is None:
            return None
        reply = self.actions.run(reading.action, state, predict=predict)
        if reading.fallback is not None:
            note = say("llm_fallback", state.language, provider=self.reader.name,
                       error=reading.fallback)  # fmt: skip
            reply.text = f"{note}\n{reply.text}"
        return reply, reading.action.kind

    def _acted(self, loaded: _Loaded | None, acted: tuple[ActionReply, ActionKind]) -> ChatResponse:
        reply, kind = acted
        reply.state.turns.append(ChatTurn(role="assistant", text=reply.text))
        session_id = loaded.session_id if loaded else str(uuid.uuid4())
        self._store(session_id, reply.state, expected=loaded.version if loaded else None,
                    job_id=None)  # fmt: skip
        intent = reply.state.intent
        return ChatResponse(
            session_id=session_id,
            reply=reply.text,
            intent=intent,
            missing=list(intent.missing),
            questions=list(reply.state.questions),
            needs_confirmation=False,
            job_id=None,
            action=kind,
            cards=reply.cards,
        )

    def confirm(self, session_id: str) -> JobOut:
        """Create the job of a conversation whose settings are complete (POST /chat/{id}/confirm).

        The job service's own checks apply; when one fails, its error is raised and the
        conversation stays as it was."""
        loaded = self._load(session_id)
        _refuse_when_confirmed(loaded)
        reply = self.chat.confirm(loaded.state)
        if reply.spec is None:
            raise ChatSessionStateError(f"chat session {session_id} is not ready: {reply.reply}")
        version = self._claim(session_id, loaded.version)
        job = self.jobs.create(job_request(reply))
        reply = _created(reply, job)
        self._store(session_id, reply.state, expected=version, job_id=job.id)
        return job

    # --- writing ---------------------------------------------------------------------------
    def _claim(self, session_id: str, version: int) -> int:
        """Take the session for this request (its state unchanged); the version it now has."""
        self._update(session_id, expected=version, values={})
        return version + 1

    def _store(
        self, session_id: str, state: ChatState, *, expected: int | None, job_id: int | None
    ) -> None:
        values: dict[str, Any] = {
            "state": state.model_dump(mode="json"),
            "language": state.language,
        }
        if job_id is not None:
            values["job_id"] = job_id
        if expected is not None:
            self._update(session_id, expected=expected, values=values)
            return
        with self.db.session() as session:
            session.add(ChatSession(id=session_id, version=1, **values))

    def _update(self, session_id: str, *, expected: int, values: dict[str, Any]) -> None:
        with self.db.session() as session:
            done: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(ChatSession)
                .where(ChatSession.id == session_id, ChatSession.version == expected)
                .values(version=expected + 1, updated_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                exists = session.scalar(select(ChatSession.id).where(ChatSession.id == session_id))
                if exists is None:
                    raise ChatSessionNotFoundError(session_id)
                raise ChatSessionStateError(
                    f"chat session {session_id} was changed by another request; send it again"
                )


def _next_request(state: ChatState) -> ChatState:
    """The conversation ready for another training request: the job and model it is about
    stay (for "it"), the settings agreed for the last job do not."""
    fresh = {"stage": "collecting", "intent": TrainingIntent(), "questions": [], "spec": None}
    return state.model_copy(update=fresh)


def _refuse_when_confirmed(loaded: _Loaded) -> None:
    """A conversation whose settings made a job makes no second one from them."""
    if loaded.job_id is not None and loaded.state.stage == "confirmed":
        raise ChatSessionStateError(
            f"chat session {loaded.session_id} is already confirmed: it created job "
            f"{loaded.job_id}; send a message without session_id to start a new one"
        )


def _created(reply: ChatReply, job: JobOut) -> ChatReply:
    """The reply naming the job made; the stored spec says where its data lies (a stored data
    set's version, which the job service chose)."""
    reply = _with_line(reply, _text("job_created", reply.state.language, job_id=job.id))
    reply.state.last_job_id = job.id
    if reply.state.spec is not None and reply.state.intent.dataset:
        state = reply.state.model_copy(deep=True)
        assert state.spec is not None
        state.spec.dataset_path = job.dataset_path
        reply = reply.model_copy(update={"state": state, "spec": state.spec})
    return reply


def _with_line(reply: ChatReply, line: str) -> ChatReply:
    """The reply with one more line, in its text and in the stored conversation."""
    text = f"{reply.reply}\n{line}"
    state = reply.state.model_copy(deep=True)
    state.turns[-1] = ChatTurn(role="assistant", text=text)
    return reply.model_copy(update={"reply": text, "state": state})


def _not_created(reply: ChatReply, error: InvalidInputError) -> ChatReply:
    """Back to collecting, with why the job could not be created as the question to answer.

    A data set the server may not or cannot read is asked for again; anything else asks what
    to change. Nothing the user said is lost: the other settings stay as they were."""
    state = reply.state.model_copy(deep=True)
    lang = state.language
    problem = _text("not_created", lang, error=error)
    if isinstance(error, PathNotAllowedError | DatasetError):
        missing = [*(m for m in state.intent.missing if m != "dataset_path"), "dataset_path"]
        cleared = {"dataset_path": None, "dataset": None, "missing": missing}
        state.intent = state.intent.model_copy(update=cleared)
        ask = say("ask_dataset_path", lang)
    else:
        ask = say("what_to_change", lang)
    text = f"{problem}\n{ask}"
    state.stage = "collecting"
    state.spec = None
    state.questions = [problem]
    state.turns[-1] = ChatTurn(role="assistant", text=text)
    return ChatReply(
        reply=text,
        intent=state.intent,
        missing=list(state.intent.missing),
        questions=list(state.questions),
        needs_confirmation=False,
        spec=None,
        settings=resolve_settings(state.intent),
        state=state,
    )
