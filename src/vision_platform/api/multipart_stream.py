"""A multipart/form-data request body read part by part, as it arrives, with python-multipart.

Starlette's `request.form()` parses the whole body before a route runs (every file spooled);
this reader hands each part's start, data and end to the route while the client is still
sending the next part, so memory holds one network chunk at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import StreamingResponse
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from vision_platform.errors import InvalidInputError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks


@dataclass(frozen=True)
class PartStart:
    """A part's headers are read: its form field name, and its file name for a file part."""

    name: str
    filename: str | None


@dataclass(frozen=True)
class PartEnd:
    """The current part is complete."""


PartEvent = PartStart | bytes | PartEnd


class _Collector:
    """python-multipart callbacks that turn one written chunk into a list of part events."""

    def __init__(self) -> None:
        self.events: list[PartEvent] = []
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._headers.clear,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": lambda data, start, end: self.events.append(bytes(data[start:end])),
            "on_part_end": lambda: self.events.append(PartEnd()),
            "on_end": self._end,
        }

    def take(self) -> list[PartEvent]:
        events, self.events = self.events, []
        return events

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        filename = options.get(b"filename")
        self.events.append(
            PartStart(
                name=options.get(b"name", b"").decode(errors="replace"),
                filename=None if filename is None else filename.decode(errors="replace"),
            )
        )

    def _end(self) -> None:
        self.ended = True


def multipart_boundary(request: Request) -> bytes:
    """The body's boundary; InvalidInputError (422) unless the body is multipart/form-data."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInputError("the request body must be multipart/form-data (with a boundary)")
    return boundary


async def multipart_parts(request: Request, boundary: bytes) -> AsyncIterator[PartEvent]:
    """Each part as PartStart, its data as bytes (any number of pieces), then PartEnd.

    Raises InvalidInputError for a malformed body or one that ends before its closing
    boundary, and starlette's ClientDisconnect when the client goes away."""
    collector = _Collector()
    parser = MultipartParser(boundary, collector.callbacks())
    async for chunk in request.stream():
        try:
            parser.write(chunk)
        except MultipartParseError as e:
            raise InvalidInputError(f"malformed multipart body: {e}") from e
        for event in collector.take():
            yield event
    if not collector.ended:
        raise InvalidInputError("the multipart body ended before its closing boundary")


class BodyReadingStreamingResponse(StreamingResponse):
    """A StreamingResponse whose content is made while the request body is still being read.

    Under ASGI < 2.4 (uvicorn) StreamingResponse also calls receive() in a second task to notice
    a disconnect, which would take body chunks away from the content's own reader; here that
    reader notices the disconnect itself (ClientDisconnect from request.stream())."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.stream_response(send)
        except OSError as e:
            raise ClientDisconnect() from e
        if self.background is not None:
            await self.background()
