"""Server-Sent Events: one job's status, epoch metrics and log lines; the jobs list's changes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial
from typing import Any

import anyio

from vision_platform.db.models import utcnow
from vision_platform.jobs.schemas import JobOut
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus

# How far back each poll of the jobs list looks before the newest write it has seen: a write is
# stamped before its transaction commits (and servers' clocks differ a little), so a change can
# become visible with a stamp older than one already read.
CHANGE_WINDOW = timedelta(seconds=10)


async def job_events(
    service: JobService, job_id: int, *, poll_seconds: float, after_log: int = 0
) -> AsyncIterator[dict[str, Any]]:
    """Yield SSE events until the job ends; `after_log` skips log lines a client already has."""
    last_state: tuple[Any, ...] | None = None
    after_metric = 0
    while True:
        job = await anyio.to_thread.run_sync(service.get, job_id)
        logs = await anyio.to_thread.run_sync(partial(service.logs, job_id, after=after_log))
        metrics = await anyio.to_thread.run_sync(
            partial(service.metrics, job_id, after=after_metric)
        )
        for line in logs.items:
            yield {"event": "log", "id": str(line.id), "data": line.model_dump_json()}
        after_log = logs.next_after
        for point in metrics.points:
            yield {"event": "metric", "data": point.model_dump_json()}
            after_metric = max(after_metric, point.id)
        state = (job.status, job.current_epoch, job.requested_action, job.attempt_count)
        if state != last_state:
            yield {"event": "status", "data": job.model_dump_json()}
            last_state = state
        if JobStatus(job.status).terminal and not logs.items:
            return
        await anyio.sleep(poll_seconds)


async def job_list_events(
    service: JobService, *, status: JobStatus | None, limit: int, poll_seconds: float
) -> AsyncIterator[dict[str, Any]]:
    """Yield the jobs list (`snapshot`, a JobPage), then a `job` event each time a job in it
    changes or a job enters it, and `removed` when a job leaves the `status` filter.

    Each poll reads only the rows written since the last one, in a worker thread."""
    cursor = utcnow()
    page = await anyio.to_thread.run_sync(partial(service.list_jobs, status=status, limit=limit))
    yield {"event": "snapshot", "data": page.model_dump_json()}
    shown = {job.id: _shown_fields(job) for job in page.items}
    # A full page hides older jobs: they stay hidden when they change.
    oldest = min(shown) if len(shown) >= limit else 0
    while True:
        await anyio.sleep(poll_seconds)
        changed = await anyio.to_thread.run_sync(service.changed_since, cursor - CHANGE_WINDOW)
        for job in changed:
            cursor = max(cursor, job.updated_at)
            if status is not None and job.status != status:
                if shown.pop(job.id, None) is not None:
                    yield {"event": "removed", "data": json.dumps({"id": job.id})}
                continue
            fields = _shown_fields(job)
            if job.id >= oldest and shown.get(job.id) != fields:
                shown[job.id] = fields
                yield {"event": "job", "data": job.model_dump_json()}


def _shown_fields(job: JobOut) -> dict[str, Any]:
    """What a client sees of a job: a write that changes only `updated_at` (a log line) is no
    change."""
    return job.model_dump(exclude={"updated_at"})
