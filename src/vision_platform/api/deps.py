"""Request dependencies: the services of the running app, and API-token auth.

They are `async def` although nothing in them awaits: FastAPI runs a plain `def` dependency in
its thread pool, and these run on every request (a hop each, which the inference routes feel)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vision_platform.jobs.service import JobService
from vision_platform.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="VP_API_TOKEN, when the server has one.")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_job_service(request: Request) -> JobService:
    service: JobService = request.app.state.jobs
    return service


async def require_api_token(request: Request, credentials: BearerCredentials) -> None:
    """401 unless VP_API_TOKEN is unset or the request carries it as a Bearer token."""
    settings: Settings = request.app.state.settings
    expected = settings.api_token
    if not expected:
        return
    given = credentials.credentials if credentials is not None else ""
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong API token (Authorization: Bearer <VP_API_TOKEN>)",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def bearer_token(credentials: BearerCredentials) -> str | None:
    return credentials.credentials if credentials is not None else None


Jobs = Annotated[JobService, Depends(get_job_service)]
Token = Annotated[str | None, Depends(bearer_token)]
JobId = Annotated[int, Path(ge=0, le=2**31 - 1, description="The job's id.")]
