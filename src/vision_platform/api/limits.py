"""A cap on every request body that is not an upload: 413 with a message, before any parsing;
and a cap on how many uploads one process takes at once: 429 with Retry-After.

Uploads (multipart: images, data sets) have caps of their own, per file (VP_MAX_UPLOAD_MB), and
at most VP_MAX_CONCURRENT_UPLOADS run at once in a process (each holds a spooled file and a
worker thread); any other body (JSON) is refused over VP_MAX_BODY_MB, whether it says its
length or is chunked."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vision_platform.settings import Settings


class BodyLimit:
    """Pure ASGI middleware; multipart bodies pass through untouched (streamed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.uploads = 0  # in flight in this process (one event loop: no lock needed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        settings: Settings = scope["app"].state.settings
        if headers.get("content-type", "").startswith("multipart/"):
            await self._upload(settings, scope, receive, send)
            return
        limit = int(settings.max_body_mb * 2**20)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(settings, scope, receive, send)
            return
        if declared:
            await self.app(scope, receive, send)  # the server stops at the declared length
            return
        body = await _read_at_most(receive, limit)  # chunked: read it here, up to the cap
        if body is None:
            await self._refuse(settings, scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _upload(self, settings: Settings, scope: Scope, receive: Receive, send: Send) -> None:
        if self.uploads >= settings.max_concurrent_uploads:
            detail = (
                f"{self.uploads} uploads are in progress, the most this server takes at once "
                "(VP_MAX_CONCURRENT_UPLOADS); retry in a moment"
            )
            refusal = JSONResponse(
                {"detail": detail}, status_code=429, headers={"Retry-After": "1"}
            )
            await refusal(scope, receive, send)
            return
        self.uploads += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.uploads -= 1

    async def _refuse(self, settings: Settings, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body over {settings.max_body_mb:g} MB (VP_MAX_BODY_MB)"
        await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away: the app sees an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: the disconnect, when it comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
