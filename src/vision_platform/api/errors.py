"""The one place that maps the platform's domain errors to HTTP status codes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from vision_platform.api.chat_sessions import ChatSessionStateError
from vision_platform.datastore.errors import DatasetInUseError
from vision_platform.errors import (
    CheckpointError,
    ConfigValidationError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedImageError,
    VisionPlatformError,
)
from vision_platform.jobs.errors import (
    ArtifactNotFoundError,
    InvalidJobStateError,
    JobNotFoundError,
    JobTokenError,
    PathNotAllowedError,
)
from vision_platform.registry.errors import RegistryConflictError

# Looked up along the error's class hierarchy: the most specific entry wins.
STATUS_CODES: dict[type[Exception], int] = {
    JobNotFoundError: 404,
    NotFoundError: 404,
    UnsupportedImageError: 415,
    PayloadTooLargeError: 413,
    ArtifactNotFoundError: 404,
    InvalidJobStateError: 409,
    ChatSessionStateError: 409,
    RegistryConflictError: 409,
    DatasetInUseError: 409,
    JobTokenError: 401,
    PathNotAllowedError: 403,
    CheckpointError: 409,
    ConfigValidationError: 422,
    InvalidInputError: 422,
    VisionPlatformError: 500,
}


def status_code_for(error: Exception) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return 500


class ErrorOut(BaseModel):
    """The body of every error answer except 422: what went wrong, in words."""

    detail: str


# Documented on every route, so clients (and schema checks) know each error's shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409)
}


# A config refused for the run's numbers also names these fields of the request itself.
_RUN_FIELDS = ("num_epochs", "batch_size", "image_size")


def _validation_items(error: Exception) -> list[dict[str, Any]]:
    """A domain 422 in FastAPI's own shape: one item per bad field, `loc` naming it."""
    if isinstance(error, ConfigValidationError):
        return [
            {
                "loc": ["body", name] if name in _RUN_FIELDS else ["body", "advanced_config", name],
                "msg": problem,
                "type": "value_error",
            }
            for name, problem in error.errors.items()
        ]
    return [{"loc": ["body"], "msg": str(error), "type": "value_error"}]


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    code = status_code_for(error)
    body: dict[str, object] = {"detail": str(error)}
    if code == 422:
        body = {"detail": _validation_items(error), "message": str(error)}
        if isinstance(error, ConfigValidationError):
            body["fields"] = error.errors
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, JobTokenError) else None
    return JSONResponse(body, status_code=code, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def _http_error(request: Request, error: Exception) -> Response:
    """FastAPI's own HTTP errors, made to say what the API documents."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:
        # A body FastAPI could not read at all (not UTF-8, a broken form) is an invalid body.
        item = {"loc": ["body"], "msg": f"unreadable body: {error.detail}", "type": "value_error"}
        return JSONResponse({"detail": [item]}, status_code=422)
    if error.status_code == 405:
        # Starlette names the methods of the first route of the path only; list them all.
        allowed = [
            method
            for method in _METHODS
            if any(
                route.matches({**request.scope, "method": method})[0] == Match.FULL
                for route in request.app.router.routes
            )
        ]
        error.headers = {**(error.headers or {}), "Allow": ", ".join(allowed)}
    return await http_exception_handler(request, error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VisionPlatformError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
