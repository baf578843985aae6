"""Job routes: create, list (also live), show, change (priority), pause, resume, cancel,
metrics, logs, events, artifacts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, Response
from sse_starlette.sse import EventSourceResponse
from starlette.convertors import Convertor, register_url_convertor

from vision_platform.api.deps import JobId, Jobs
from vision_platform.api.errors import ErrorOut
from vision_platform.api.events import job_events, job_list_events
from vision_platform.api.fast_json import FastJSONResponse, dumps
from vision_platform.api.shared_reads import SharedReads
from vision_platform.errors import InvalidInputError
from vision_platform.jobs.errors import ArtifactNotFoundError
from vision_platform.jobs.queries import page_key
from vision_platform.jobs.schemas import (
    JobCreate,
    JobLogs,
    JobMetrics,
    JobOut,
    JobPage,
    JobPatch,
    JobResume,
)
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus

T = TypeVar("T")

router = APIRouter(prefix="/jobs", tags=["jobs"])

# Artifact name → where it may lie in the job's folder, first match wins.
ARTIFACTS: dict[str, tuple[str, ...]] = {
    "best.pt": ("weights/best.pt",),
    "last.pt": ("weights/last.pt",),
    "model.onnx": ("weights/model.onnx", "model.onnx"),
    "metrics.jsonl": ("metrics.jsonl",),
    "run.json": ("run.json",),
}


@router.post("", status_code=201, response_model=JobOut)
def create_job(body: JobCreate, jobs: Jobs) -> JobOut:
    """Validate the request (config against the schema, the data set, the queue) and queue
    the job at its priority."""
    return jobs.create(body)


@dataclass(frozen=True)
class SharedJobReads:
    """On PostgreSQL, the two hot reads' round trips, shared by the requests that wait at once
    (`shared_reads.py`): the jobs table's marker (a kept page is then sent without another),
    pages not kept under it (read once however many requests want one), and jobs by id."""

    marker: SharedReads[str, tuple[Any, Any]]
    pages: SharedReads[tuple[Any, ...], bytes]
    docs: SharedReads[int, dict[str, Any]]


def shared_job_reads(jobs: JobService, limiter: anyio.CapacityLimiter) -> SharedJobReads | None:
    """None on SQLite: its reads are in-process work, done sooner on the event loop than a hop
    to a worker thread takes (a hop each, which 50 clients queue for). On PostgreSQL a read is
    mostly a wait on the network, in a worker thread, at most as many at once as the pool
    keeps connections (the rest wait on the event loop, not in threads blocked on the pool)."""
    if jobs.db.dialect == "sqlite":
        return None

    def run(read: Callable[[], T]) -> Awaitable[T]:
        return anyio.to_thread.run_sync(read, limiter=limiter)

    def pages(keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], bytes | Exception]:
        return {key: jobs.rendered_page(dumps, key[1], **dict(key[0])) for key in keys}

    def marker(keys: list[str]) -> dict[str, tuple[Any, Any] | Exception]:
        return dict.fromkeys(keys, jobs.marker())  # one read, whatever the keys

    return SharedJobReads(
        marker=SharedReads(marker, run),
        pages=SharedReads(pages, run),
        docs=SharedReads(lambda ids: dict(jobs.get_docs(ids, with_standing=True)), run),
    )


@router.get("", response_model=JobPage)
async def list_jobs(
    jobs: Jobs,
    request: Request,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{0,10}$",
            description="The `next_cursor` of the page before (empty: the first page).",
        ),
    ] = None,
    total: Annotated[bool, Query(description="Count the matching jobs (`total`).")] = True,
) -> Response:
    """Jobs newest first, without their advanced config: by `offset`, or by `cursor`."""
    if cursor and offset:
        raise InvalidInputError("offset: give either offset or cursor, not both")
    query: dict[str, Any] = {
        "status": status,
        "limit": limit,
        "offset": offset,
        "cursor": int(cursor) if cursor else None,
        "with_total": total,
    }
    shared: SharedJobReads | None = request.app.state.shared_reads
    if shared is None:
        body = jobs.rendered_page(dumps, **query)
    else:
        mark = await shared.marker.get("marker")
        body = jobs.kept_page(mark, **query) or await shared.pages.get((page_key(query), mark))
    return Response(body, media_type="application/json")


# Before /{job_id}, which would take "events" for a job id.
@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def job_list_event_stream(
    jobs: Jobs,
    request: Request,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 50,
) -> EventSourceResponse:
    """Server-Sent Events of the jobs list: a `snapshot` (a JobPage, like GET /jobs), then a
    `job` event (the JobOut) each time a listed job changes or a job joins the list, and
    `removed` (`{"id": …}`) when a job leaves the `status` filter. Open until the client leaves."""
    hub = request.app.state.events
    return EventSourceResponse(job_list_events(hub, status=status, limit=limit), ping=15)


@router.get("/{job_id}", response_model=JobOut)
async def get_job(job_id: JobId, jobs: Jobs, request: Request) -> Response:
    """The job; one that waits also says its place in the queue and why it waits."""
    shared: SharedJobReads | None = request.app.state.shared_reads
    if shared is None:
        return FastJSONResponse(jobs.get_doc(job_id, with_standing=True))
    return FastJSONResponse(await shared.docs.get(job_id))


class _Integer(Convertor[int]):
    """Any integer, signed (the id's range is JobId's check: a 422 naming it)."""

    regex = "-?[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("integer", _Integer())


# An integer path: PATCH /jobs/compare or /jobs/events is those routes' 405, not a 422 here.
@router.patch(
    "/{job_id:integer}",
    response_model=JobOut,
    responses={405: {"model": ErrorOut, "description": "The path names no job id (a number)."}},
)
def patch_job(job_id: JobId, body: JobPatch, jobs: Jobs) -> JobOut:
    """Change a waiting or running job's priority (409 for a finished job). A higher one may
    preempt a running lower-priority job on the scheduler's next round; a lower one may make
    the job the one preempted."""
    return jobs.set_priority(job_id, body.priority)


@router.post("/{job_id}/pause", response_model=JobOut)
def pause_job(job_id: JobId, jobs: Jobs) -> JobOut:
    """Pause: the trainer saves its checkpoint and stops; the job turns paused."""
    return jobs.pause(job_id)


@router.post("/{job_id}/resume", response_model=JobOut)
def resume_job(job_id: JobId, jobs: Jobs, body: JobResume | None = None) -> JobOut:
    """Resume a paused job from its last checkpoint; `num_epochs` extends the run (422 when it
    is not more than the epochs already finished)."""
    return jobs.resume(job_id, num_epochs=body.num_epochs if body else None)


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: JobId, jobs: Jobs) -> JobOut:
    return jobs.cancel(job_id)


@router.get("/{job_id}/metrics", response_model=JobMetrics)
def job_metrics(job_id: JobId, jobs: Jobs) -> JobMetrics:
    return jobs.metrics(job_id)


@router.get("/{job_id}/logs", response_model=JobLogs)
def job_logs(
    job_id: JobId,
    jobs: Jobs,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> JobLogs:
    """Log lines after the id `after` (pass the answer's `next_after` to read on)."""
    return jobs.logs(job_id, after=after, limit=limit)


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def job_event_stream(
    job_id: JobId,
    jobs: Jobs,
    request: Request,
    last_event_id: Annotated[int | None, Header(ge=0, le=2**62)] = None,
) -> EventSourceResponse:
    """Server-Sent Events: `status`, `metric` and `log` events, until the job ends."""
    jobs.get(job_id)  # 404 before the stream starts
    hub = request.app.state.events
    return EventSourceResponse(job_events(hub, job_id, after_log=last_event_id or 0), ping=15)


@router.get(
    "/{job_id}/artifacts/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def job_artifact(job_id: JobId, name: str, jobs: Jobs) -> FileResponse:
    """Download one of the job's files: best.pt, last.pt, model.onnx, metrics.jsonl, run.json."""
    folder = jobs.output_dir(job_id)
    if name not in ARTIFACTS:
        raise ArtifactNotFoundError(
            f"job {job_id}: unknown artifact {name!r}; known: {', '.join(ARTIFACTS)}"
        )
    for relative in ARTIFACTS[name]:
        path = FilePath(folder) / relative
        if path.is_file():
            return FileResponse(path, filename=name, media_type="application/octet-stream")
    raise ArtifactNotFoundError(f"job {job_id} has no {name} yet")
