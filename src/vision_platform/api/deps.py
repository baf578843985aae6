"""Request dependencies: the services of the running app, and API-token auth.

They are `async def` although nothing in them awaits: FastAPI runs a plain `def` dependency in
its thread pool, and these run on every request (a hop each, which the inference routes feel)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vision_platform.jobs.service import JobService

_bearer = HTTPBearer(auto_error=False, description="VP_API_TOKEN, when the server has one.")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
# Declares the Bearer scheme in the OpenAPI document; the check itself is api.auth's middleware,
# which runs before a request's body is read.
API_SECURITY = Depends(_bearer)


async def get_job_service(request: Request) -> JobService:
    service: JobService = request.app.state.jobs
    return service


async def bearer_token(credentials: BearerCredentials) -> str | None:
    return credentials.credentials if credentials is not None else None


Jobs = Annotated[JobService, Depends(get_job_service)]
Token = Annotated[str | None, Depends(bearer_token)]
JobId = Annotated[int, Path(ge=0, le=2**31 - 1, description="The job's id.")]
