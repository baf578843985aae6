"""Requests whose database connection is dropped under them: retried, or a clear 503."""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vision_platform.db.session import is_disconnect

# Runs of a read whose connection was dropped: the pool reconnects before each.
_READ_TRIES = 3
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

log = logging.getLogger(__name__)


class RetryOnDisconnect:
    """Pure ASGI middleware: a read whose database connection went away before it answered
    runs again on a fresh connection; a write (its body is read, its transaction rolled back)
    is answered 503 with Retry-After, so the client sends it again."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        tries = _READ_TRIES if scope["method"] in _SAFE_METHODS else 1
        # The body as read, for the next try to read again: kept only for reads (a write is
        # never tried again, and an upload's body must not pile up in memory).
        received: list[Message] = []

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received.append(message)
            return message

        for attempt in range(1, tries + 1):
            try:
                reader = _replaying(list(received), receive_and_keep) if tries > 1 else receive
                await self.app(scope, reader, send_and_note)
                return
            except Exception as e:
                if started or not is_disconnect(e):
                    raise
                log.warning(
                    "%s %s: the database connection was lost (try %d of %d)",
                    scope["method"],
                    scope["path"],
                    attempt,
                    tries,
                )
                if attempt == tries:
                    answer = JSONResponse(
                        {"detail": "the database connection was lost; send the request again"},
                        status_code=503,
                        headers={"Retry-After": "1"},
                    )
                    await answer(scope, receive, send)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first gives back what an earlier try read (the real one would wait for
    the client to go away)."""

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay
