"""Chat routes: a conversation that makes training jobs and acts on jobs and models (POST
/chat, with an image, confirm, show)."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile

from vision_platform.adapters.base import InferenceResult
from vision_platform.api.chat_schemas import ChatRequest, ChatResponse, ChatSessionOut
from vision_platform.api.chat_sessions import ChatSessionService
from vision_platform.api.predictions import predict_uploaded
from vision_platform.inference.batching import Thresholds
from vision_platform.jobs.schemas import JobOut

router = APIRouter(prefix="/chat", tags=["chat"])


def get_chat_service(request: Request) -> ChatSessionService:
    service: ChatSessionService = request.app.state.chat
    return service


Chats = Annotated[ChatSessionService, Depends(get_chat_service)]
SessionId = Annotated[str, Path(min_length=1, max_length=64, description="The chat session's id.")]


@router.post("", response_model=ChatResponse)
def chat_message(body: ChatRequest, chats: Chats) -> ChatResponse:
    """Send one message; without session_id a new conversation starts. A training request gets
    a reply that asks for what is missing, summarises the settings and asks to confirm; a
    'yes' / '네' creates the job. A request about what exists (job status, pause, resume with
    "to N epochs", cancel, compare, register, promote, list data sets) is run through the same
    services as the API's routes and answered with typed `cards`; pause, cancel and promote
    first answer a `confirm` card and run on the next 'yes' / '네'. "it" / "그거" / "the last
    one" mean the job or model the conversation is about."""
    return chats.respond(body)


@router.post("/messages/image", response_model=ChatResponse)
def chat_message_with_image(
    request: Request,
    chats: Chats,
    file: Annotated[UploadFile, File(description="The image the message is about.")],
    message: Annotated[str, Form(min_length=1, max_length=4000)],
    session_id: Annotated[str | None, Form(min_length=1, max_length=64)] = None,
) -> ChatResponse:
    """A message with an image attached (multipart: `message`, `file`, `session_id`?), e.g.
    "이 이미지 뭐야?" / "what is this?": the image is predicted with the job or registered
    model the message names, else the one the conversation is about, else the newest completed
    job (through the same micro-batchers as /jobs/{id}/predict; 413 and 415 as there). The
    answer carries a `prediction` card; a message that asks for no prediction ignores the image."""
    body = ChatRequest(message=message, session_id=session_id)

    def predict(model_path: FilePath) -> InferenceResult:
        return predict_uploaded(request, file, model_path, "eager", Thresholds(None, None))

    return chats.respond(body, predict=predict)


@router.post("/{session_id}/confirm", status_code=201, response_model=JobOut)
def confirm_chat(session_id: SessionId, chats: Chats) -> JobOut:
    """Create the job the conversation agreed on (409 while questions are open or once done)."""
    return chats.confirm(session_id)


@router.get("/{session_id}", response_model=ChatSessionOut)
def get_chat(session_id: SessionId, chats: Chats) -> ChatSessionOut:
    """The conversation: its turns, its state and the job it created."""
    return chats.get(session_id)
