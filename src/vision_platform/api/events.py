"""Server-Sent Events of one job: status changes, epoch metrics and log lines as they arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio

from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


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
