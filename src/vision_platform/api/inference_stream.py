"""POST /inference/stream (and /models/{ref}/predict/stream): uploads read one at a time, each
predicted as soon as it has arrived.

The form fields come first (curl -F and browsers send parts in the order given) and are checked
when the first file starts, so a bad field, an unknown job or a job without a model is answered
with a status code before any NDJSON line. Then each file is spooled to a temporary file (at
most VP_MAX_UPLOAD_MB of it), predicted in a worker thread, answered with one line and deleted
before the next part is read: memory stays flat however many files are sent.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

from anyio import to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.constants import REF_PREFIX
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect

from vision_platform.api.multipart_stream import PartEnd, PartEvent, PartStart, multipart_parts
from vision_platform.errors import InvalidInputError, VisionPlatformError
from vision_platform.inference.images import check_size
from vision_platform.inference.predictor import Backend

FILES_FIELD = "files"
MAX_FIELD_BYTES = 1024  # job_id, backend and the thresholds are a few characters each

# Predicts one spooled image: (path, name shown) -> the finished NDJSON line.
PredictLine = Callable[[Path, str], str]


class StreamOptions(BaseModel):
    """The form fields of a stream that names its model in the URL (/models/{ref}/predict/
    stream); they must come before the files."""

    model_config = ConfigDict(extra="forbid")
    backend: Backend = "eager"
    conf_threshold: float | None = Field(default=None, ge=0, le=1)
    iou_threshold: float | None = Field(default=None, ge=0, le=1)


class StreamForm(StreamOptions):
    """The form fields of POST /inference/stream; they must come before the files."""

    job_id: int = Field(ge=0, le=2**31 - 1)


Form = TypeVar("Form", bound=StreamOptions)


def openapi_request_body(
    form_model: type[StreamOptions] = StreamForm, title: str = "StreamInferenceForm"
) -> dict[str, Any]:
    """The multipart body as OpenAPI describes it (the route reads the body itself)."""
    schema = form_model.model_json_schema()
    schema["properties"][FILES_FIELD] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "title": "Files",
        "description": "The images, after the other fields.",
    }
    schema["required"] = [*schema.get("required", []), FILES_FIELD]
    schema["title"] = title
    return {
        "required": True,
        "content": {"multipart/form-data": {"schema": schema}},
    }


STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One JSON object per line, one line per file in the order sent: an "
        "InferenceResult, or `{image_path, error}` for a file that is not a readable image (415) "
        "or is over VP_MAX_UPLOAD_MB (413).",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    },
    422: {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
    },
}


def error_line(name: str | None, reason: str) -> str:
    return json.dumps({"image_path": name, "error": reason}) + "\n"


class _Spool:
    """One file part on its way to disk, capped at `max_bytes`; the rest of a larger part is
    counted and dropped."""

    def __init__(self, folder: Path, filename: str | None, max_bytes: int) -> None:
        self.name = Path(filename or "upload").name or "upload"
        # The suffix stays: some loaders pick the decoder by it.
        self.path = folder / f"upload{Path(self.name).suffix}"
        self.size = 0
        self._max_bytes = max_bytes
        self._file: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 (closed in close())

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is None:
            return
        if self.size > self._max_bytes:
            self.close()
            return
        await to_thread.run_sync(self._file.write, data)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


class UploadStream(Generic[Form]):
    """The request body of a stream, read part by part; its fields are a `form_model`."""

    def __init__(
        self, request: Request, boundary: bytes, *, max_upload_mb: float, form_model: type[Form]
    ) -> None:
        self._parts = multipart_parts(request, boundary)
        self._max_upload_mb = max_upload_mb
        self._form_model = form_model
        self._first_file: PartStart | None = None

    async def read_form(self) -> Form:
        """Read the fields up to the first file; RequestValidationError (422) names a missing,
        bad or misplaced field, or says that no file was sent."""
        fields: dict[str, str] = {}
        current: str | None = None
        value = bytearray()
        async for event in self._parts:
            if isinstance(event, PartStart):
                if event.name == FILES_FIELD:
                    self._first_file = event
                    break
                current, value = event.name, bytearray()
            elif isinstance(event, PartEnd):
                if current in self._form_model.model_fields and value:
                    fields[current] = value.decode(errors="replace")
                current = None
            elif current in self._form_model.model_fields:
                value += event
                if len(value) > MAX_FIELD_BYTES:
                    raise InvalidInputError(
                        f"form field {current!r} is over {MAX_FIELD_BYTES} bytes"
                    )
        return self._validate(fields)

    def _validate(self, fields: dict[str, str]) -> Form:
        errors: list[dict[str, Any]] = []
        form = None
        try:
            form = self._form_model.model_validate(fields)
        except ValidationError as e:
            hint = " before the first file (form fields must come before the files)"
            for item in e.errors(include_url=False, include_context=False, include_input=False):
                if item["type"] == "missing" and self._first_file is not None:
                    item["msg"] += hint
                errors.append({**item, "loc": ("body", *item["loc"])})
        if self._first_file is None:
            missing = {"type": "missing", "loc": ("body", FILES_FIELD), "msg": "Field required"}
            errors.append(missing)
        if errors or form is None:
            raise RequestValidationError(errors)
        return form

    async def lines(self, predict: PredictLine) -> AsyncIterator[str]:
        """One NDJSON line per file, each as soon as its part has arrived and been predicted."""
        with tempfile.TemporaryDirectory(prefix="vp-stream-") as tmp:
            spool: _Spool | None = None
            try:
                async for event in self._remaining_parts():
                    if isinstance(event, PartStart):
                        if event.name == FILES_FIELD:
                            spool = _Spool(Path(tmp), event.filename, self._max_bytes)
                        elif event.name in self._form_model.model_fields:
                            yield error_line(
                                None,
                                f"form field {event.name!r} came after the files and was ignored "
                                "(form fields must come before the files)",
                            )
                    elif isinstance(event, PartEnd):
                        if spool is not None:
                            yield await self._finish(spool, predict)
                            spool = None
                    elif spool is not None:
                        await spool.write(event)
            except InvalidInputError as e:  # a malformed or cut-off body: say so and stop
                yield error_line(spool.name if spool else None, str(e))
            except ClientDisconnect:
                pass
            finally:
                if spool is not None:
                    spool.discard()

    @property
    def _max_bytes(self) -> int:
        return int(self._max_upload_mb * 2**20)

    async def _remaining_parts(self) -> AsyncIterator[PartEvent]:
        if self._first_file is not None:
            yield self._first_file
        async for event in self._parts:
            yield event

    async def _finish(self, spool: _Spool, predict: PredictLine) -> str:
        spool.close()
        try:
            check_size(spool.size, max_mb=self._max_upload_mb, name=spool.name)
            return await to_thread.run_sync(predict, spool.path, spool.name)
        except VisionPlatformError as e:
            return error_line(spool.name, str(e))
        finally:
            spool.discard()
