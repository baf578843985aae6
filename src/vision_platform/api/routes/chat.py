"""Chat routes: a conversation that ends in a training job (POST /chat, confirm, show)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from vision_platform.api.chat_sessions import (
    ChatRequest,
    ChatResponse,
    ChatSessionOut,
    ChatSessionService,
)
from vision_platform.jobs.schemas import JobOut

router = APIRouter(prefix="/chat", tags=["chat"])


def get_chat_service(request: Request) -> ChatSessionService:
    service: ChatSessionService = request.app.state.chat
    return service


Chats = Annotated[ChatSessionService, Depends(get_chat_service)]
SessionId = Annotated[str, Path(min_length=1, max_length=64, description="The chat session's id.")]


@router.post("", response_model=ChatResponse)
def chat_message(body: ChatRequest, chats: Chats) -> ChatResponse:
    """Send one message; without session_id a new conversation starts. The reply asks for what
    is missing, summarises the settings and asks to confirm; a 'yes' / '네' creates the job."""
    return chats.respond(body)


@router.post("/{session_id}/confirm", status_code=201, response_model=JobOut)
def confirm_chat(session_id: SessionId, chats: Chats) -> JobOut:
    """Create the job the conversation agreed on (409 while questions are open or once done)."""
    return chats.confirm(session_id)


@router.get("/{session_id}", response_model=ChatSessionOut)
def get_chat(session_id: SessionId, chats: Chats) -> ChatSessionOut:
    """The conversation: its turns, its state and the job it created."""
    return chats.get(session_id)
