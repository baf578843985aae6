"""Authentication before anything else: a caller without a valid token gets 401, whatever it sent.

FastAPI reads and parses a request's body before it runs a route's dependencies, so a check in a
dependency answers a bad body with 422 to a caller who may not call at all. This middleware runs
first, on every `/api/v1` route and `/metrics`: the API token (VP_API_TOKEN, when set) for the
API, the job's own token for a trainer's report route, nothing for the health probes."""

from __future__ import annotations

import re
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from vision_platform.jobs.errors import JobNotFoundError, JobTokenError
from vision_platform.settings import Settings

API_PREFIX = "/api/v1"
# The probe and the API description need no token (as before: the docs are public).
_OPEN = frozenset(
    {f"{API_PREFIX}/health", f"{API_PREFIX}/health/ready", f"{API_PREFIX}/openapi.json"}
)
# Outside the API's prefix but behind its token: Prometheus scrapes with a bearer token.
_GUARDED = frozenset({"/metrics"})
_REPORT = re.compile(rf"^{API_PREFIX}/jobs/(?P<job_id>[^/]+)/report/?$")
_MAX_JOB_ID = 2**31 - 1
_API_TOKEN_PROBLEM = "missing or wrong API token (Authorization: Bearer <VP_API_TOKEN>)"


def bearer(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class AuthenticateFirst:
    """Pure ASGI middleware (streamed bodies pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        guarded = (path.startswith(f"{API_PREFIX}/") and path not in _OPEN) or path in _GUARDED
        if scope["type"] == "http" and guarded:
            problem = await self._problem(scope, path)
            if problem is not None:
                response = JSONResponse(
                    {"detail": problem}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _problem(self, scope: Scope, path: str) -> str | None:
        state = scope["app"].state
        token = bearer(Headers(scope=scope))
        report = _REPORT.match(path)
        if report is not None and scope.get("method") == "POST":
            job_id = report["job_id"]
            # Past the ids the routes take (JobId), no job exists (and no database column fits it).
            if not job_id.isdigit() or int(job_id) > _MAX_JOB_ID or token is None:
                return f"job {job_id}: bad or missing job token"
            try:
                await run_in_threadpool(state.jobs.reports.check_token, int(job_id), token)
            except (JobTokenError, JobNotFoundError):
                # An unknown job is no different to a caller without its token.
                return f"job {job_id}: bad or missing job token"
            return None
        settings: Settings = state.settings
        expected = settings.api_token
        if expected and not secrets.compare_digest((token or "").encode(), expected.encode()):
            return _API_TOKEN_PROBLEM
        return None
