"""The body of POST /datasets: a multipart upload of an archive, spooled to disk as it arrives
(never held in memory, refused with 413 the moment it passes VP_MAX_DATASET_MB), or a JSON
document registering a folder or a bucket prefix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

from anyio import to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vision_platform.api.multipart_stream import PartEnd, PartStart, multipart_parts
from vision_platform.configs import TaskType
from vision_platform.datastore.names import check_name
from vision_platform.errors import InvalidInputError, PayloadTooLargeError

FILE_FIELD = "file"
MAX_FIELD_BYTES = 4096
MAX_JSON_BYTES = 64 * 1024
_WRITE_BYTES = 1 << 20  # network chunks are gathered into writes of this size


class DatasetForm(BaseModel):
    """The fields beside the archive (in any order: the archive goes to disk first)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, description="A slug: a-z, 0-9, '-', '_'.")
    description: str | None = Field(default=None, max_length=2000)
    skip_bad_images: bool = Field(
        default=False, description="Leave corrupt images out (listed in the report)."
    )
    task_type: TaskType | None = Field(
        default=None, description="Only when the labels do not tell (detection vs segmentation)."
    )


class DatasetSource(DatasetForm):
    """Register a folder under a data root, or an s3:// prefix under VP_STORAGE_URI."""

    source: str = Field(min_length=1, max_length=4096)


def openapi_request_body() -> dict[str, Any]:
    """Both bodies as OpenAPI describes them (the route reads the body itself)."""
    form = DatasetForm.model_json_schema()
    form["properties"][FILE_FIELD] = {
        "type": "string",
        "format": "binary",
        "description": "A .zip, .tar or .tar.gz of an ImageFolder, YOLO or COCO data set.",
    }
    form["required"] = [*form.get("required", []), FILE_FIELD]
    form["title"] = "DatasetUploadForm"
    return {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": form},
            "application/json": {"schema": DatasetSource.model_json_schema()},
        },
    }


def _validated(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        items = e.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError([{**i, "loc": ("body", *i["loc"])} for i in items]) from e


async def read_source(request: Request) -> DatasetSource:
    """The JSON body, at most MAX_JSON_BYTES; RequestValidationError (422) names bad fields."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise PayloadTooLargeError(f"the JSON body is over {MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError as e:
        raise InvalidInputError(f"the body is not JSON: {e}") from e
    source: DatasetSource = _validated(DatasetSource, data)
    return source


class _Spool:
    """The archive on its way to disk; 413 as soon as it passes the limit."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.size = 0
        self.max_bytes = max_bytes
        self._pending = bytearray()
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 (closed in close())

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise PayloadTooLargeError(
                f"the archive is over {self.max_bytes / 2**20:g} MB (VP_MAX_DATASET_MB)"
            )
        self._pending += data
        if len(self._pending) >= _WRITE_BYTES:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = bytes(self._pending), bytearray()
        await to_thread.run_sync(self._file.write, pending)

    def close(self) -> None:
        self._file.close()


async def receive_archive(
    request: Request, boundary: bytes, target: Path, *, max_mb: float
) -> DatasetForm:
    """Spool the `file` part to `target` and return the other fields, validated.

    Raises PayloadTooLargeError (413) past `max_mb`, InvalidInputError (422) for a body cut
    off before its end, RequestValidationError (422) for missing or bad fields."""
    fields: dict[str, str] = {}
    current: str | None = None
    value = bytearray()
    spool: _Spool | None = None
    got_file = False
    try:
        async for event in multipart_parts(request, boundary):
            if isinstance(event, PartStart):
                current, value = event.name, bytearray()
                if current == FILE_FIELD and not got_file:
                    spool, got_file = _Spool(target, int(max_mb * 2**20)), True
            elif isinstance(event, PartEnd):
                if spool is not None:
                    await spool.flush()
                    spool.close()
                    spool = None
                elif current is not None and current != FILE_FIELD:
                    fields[current] = value.decode(errors="replace")
                    if current == "name":  # before the archive is sent, when it comes first
                        check_name(fields["name"])
                current = None
            elif spool is not None:
                await spool.write(event)
            elif current is not None and current != FILE_FIELD:
                value += event
                if len(value) > MAX_FIELD_BYTES:
                    raise InvalidInputError(
                        f"form field {current!r} is over {MAX_FIELD_BYTES} bytes"
                    )
    finally:
        if spool is not None:
            spool.close()
    return _form(fields, got_file=got_file)


def _form(fields: dict[str, str], *, got_file: bool) -> DatasetForm:
    errors: list[dict[str, Any]] = []
    form = None
    try:
        form = DatasetForm.model_validate(fields)
    except ValidationError as e:
        items = e.errors(include_url=False, include_context=False, include_input=False)
        errors += [{**i, "loc": ("body", *i["loc"])} for i in items]
    if not got_file:
        errors.append({"type": "missing", "loc": ("body", FILE_FIELD), "msg": "Field required"})
    if errors or form is None:
        raise RequestValidationError(errors)
    return form
