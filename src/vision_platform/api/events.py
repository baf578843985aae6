"""Server-Sent Events: one job's status, epoch metrics and log lines; the jobs list's changes.

One poller per process (`EventHub`) reads what changed and fans it out to every open stream:
each poll costs one query for the whole process, plus a few for each job that was written since
and has a stream of its own open, whatever the number of streams. A stream queries the database only
once, when it opens (its snapshot or its catch-up)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import anyio

from vision_platform.db.models import utcnow
from vision_platform.jobs.schemas import JobOut, JobSummary, LogLineOut, MetricPointOut
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus

# How far back each poll looks before the newest write it has seen: a write is stamped before
# its transaction commits (and servers' clocks differ a little), so a change can become visible
# with a stamp older than one already read.
CHANGE_WINDOW = timedelta(seconds=10)
# A stream this far behind (a client that stopped reading) is closed; its client reconnects.
_QUEUE_MAX = 10_000
log = logging.getLogger(__name__)

Event = dict[str, Any]


@dataclass
class _JobFeed:
    """What the hub has passed on of one job that has streams: the last ids and the streams."""

    streams: set[asyncio.Queue[Event | None]] = field(default_factory=set)
    after_log: int | None = None  # None until a stream's catch-up says where to start
    after_metric: int = 0
    # The job row's write last read for them: every write of a log line, metric or status
    # stamps the row, one after the other (the row is locked), so an unchanged stamp means
    # nothing new, however often the change window shows the job again.
    fed: datetime | None = None


class EventHub:
    """The process's one poller of job changes, and the streams it feeds."""

    def __init__(
        self,
        service: JobService,
        *,
        poll_seconds: float,
        on_poll: Callable[[int], None] | None = None,
    ) -> None:
        self.service = service
        self.poll_seconds = poll_seconds
        self._on_poll = on_poll  # told the database reads of each poll (/metrics)
        self.polls = 0  # polls done (for /metrics and tests)
        self._lists: set[asyncio.Queue[Event | None]] = set()
        self._jobs: dict[int, _JobFeed] = {}
        self._cursor = utcnow()
        self._passed: dict[int, tuple[datetime, dict[str, Any]]] = {}  # id → (written, fields)
        self._task: asyncio.Task[None] | None = None

    @property
    def streams(self) -> int:
        return len(self._lists) + sum(len(feed.streams) for feed in self._jobs.values())

    # --- streams come and go -------------------------------------------------------------
    def _queue(self) -> asyncio.Queue[Event | None]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return asyncio.Queue(_QUEUE_MAX)

    def open_list(self) -> asyncio.Queue[Event | None]:
        queue = self._queue()
        self._lists.add(queue)
        return queue

    def open_job(self, job_id: int) -> asyncio.Queue[Event | None]:
        queue = self._queue()
        self._jobs.setdefault(job_id, _JobFeed()).streams.add(queue)
        return queue

    def caught_up(self, job_id: int, *, after_log: int, after_metric: int) -> None:
        """A stream of the job has read up to these ids itself: the hub goes on from there."""
        feed = self._jobs[job_id]
        if feed.after_log is None:
            feed.after_log, feed.after_metric = after_log, after_metric

    def close(self, queue: asyncio.Queue[Event | None], job_id: int | None = None) -> None:
        self._lists.discard(queue)
        feed = self._jobs.get(job_id) if job_id is not None else None
        if feed is not None:
            feed.streams.discard(queue)
            if not feed.streams:
                del self._jobs[job_id]  # type: ignore[arg-type]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # --- the one poller ------------------------------------------------------------------
    async def _run(self) -> None:
        while self._lists or self._jobs:
            await anyio.sleep(self.poll_seconds)
            try:
                await self._poll()
            except Exception:  # a database hiccup: the next poll reads the window again
                log.exception("event poll failed")

    async def _poll(self) -> None:
        since = self._cursor - CHANGE_WINDOW
        changed = await anyio.to_thread.run_sync(self.service.changed_since, since)
        for job in changed:
            self._cursor = max(self._cursor, job.updated_at)
        fresh = self._fresh(changed, since)
        for queue in list(self._lists):
            for job in fresh:
                self._send(queue, {"event": "job", "job": job})
        reads = 1
        for job in changed:
            feed = self._jobs.get(job.id)
            if feed is not None and feed.after_log is not None and feed.fed != job.updated_at:
                feed.fed = job.updated_at
                await self._feed_job(job.id, feed)
                reads += 3
        self.polls += 1
        if self._on_poll is not None:
            self._on_poll(reads)

    def _fresh(self, changed: list[JobSummary], since: datetime) -> list[JobSummary]:
        """The changed jobs whose shown fields differ from what was passed on last time."""
        fresh = []
        for job in changed:
            fields = _shown_fields(job)
            passed = self._passed.get(job.id)
            if passed is None or passed[1] != fields:
                fresh.append(job)
            self._passed[job.id] = (job.updated_at, fields)
        for job_id in [j for j, (written, _) in self._passed.items() if written < since]:
            del self._passed[job_id]  # out of the window: a new write shows up again
        return fresh

    async def _feed_job(self, job_id: int, feed: _JobFeed) -> None:
        after_log = feed.after_log or 0
        logs = await anyio.to_thread.run_sync(partial(_all_logs, self.service, job_id, after_log))
        metrics = await anyio.to_thread.run_sync(
            partial(self.service.metrics, job_id, after=feed.after_metric)
        )
        job = await anyio.to_thread.run_sync(self.service.get, job_id)
        if logs:
            feed.after_log = logs[-1].id
        for point in metrics.points:
            feed.after_metric = max(feed.after_metric, point.id)
        for queue in list(feed.streams):
            for line in logs:
                self._send(queue, {"event": "log", "line": line})
            for point in metrics.points:
                self._send(queue, {"event": "metric", "point": point})
            self._send(queue, {"event": "status", "job": job})

    def _send(self, queue: asyncio.Queue[Event | None], event: Event) -> None:
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:
            self.close(queue)
            for feed in self._jobs.values():
                feed.streams.discard(queue)
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            queue.put_nowait(None)  # the stream ends; its client reconnects and catches up


def _all_logs(service: JobService, job_id: int, after: int) -> list[LogLineOut]:
    """Every log line of the job after the id `after` (read in pages)."""
    lines: list[LogLineOut] = []
    while True:
        page = service.logs(job_id, after=after)
        lines += page.items
        if len(page.items) < 1000:
            return lines
        after = page.next_after


async def job_events(
    hub: EventHub, job_id: int, *, after_log: int = 0
) -> AsyncIterator[dict[str, Any]]:
    """Yield SSE events until the job ends; `after_log` skips log lines a client already has."""
    service = hub.service
    queue = hub.open_job(job_id)  # before the catch-up: nothing written after it is missed
    try:
        logs = await anyio.to_thread.run_sync(partial(_all_logs, service, job_id, after_log))
        metrics = await anyio.to_thread.run_sync(partial(service.metrics, job_id))
        job = await anyio.to_thread.run_sync(service.get, job_id)
        last_log = logs[-1].id if logs else after_log
        last_metric = max((p.id for p in metrics.points), default=0)
        hub.caught_up(job_id, after_log=last_log, after_metric=last_metric)
        stream = _JobStream(last_log=after_log)
        for event in stream.catch_up(logs, metrics.points, job):
            yield event
        while not stream.ended:
            item = await queue.get()
            if item is None:
                return
            for event in stream.live(item):
                yield event
    finally:
        hub.close(queue, job_id)


class _JobStream:
    """One client's view of one job: what it has been sent, so nothing goes out twice."""

    def __init__(self, *, last_log: int) -> None:
        self.last_log = last_log
        self.last_metric = 0
        self.last_state: tuple[Any, ...] | None = None
        self.ended = False

    def catch_up(
        self, logs: list[LogLineOut], points: list[MetricPointOut], job: JobOut
    ) -> list[Event]:
        events = [e for line in logs for e in self.live({"event": "log", "line": line})]
        events += [e for point in points for e in self.live({"event": "metric", "point": point})]
        return events + self.live({"event": "status", "job": job})

    def live(self, item: Event) -> list[Event]:
        if item["event"] == "log":
            line: LogLineOut = item["line"]
            if line.id <= self.last_log:
                return []
            self.last_log = line.id
            return [{"event": "log", "id": str(line.id), "data": line.model_dump_json()}]
        if item["event"] == "metric":
            point: MetricPointOut = item["point"]
            if point.id <= self.last_metric:
                return []
            self.last_metric = point.id
            return [{"event": "metric", "data": point.model_dump_json()}]
        job: JobOut = item["job"]
        self.ended = JobStatus(job.status).terminal
        state = (job.status, job.current_epoch, job.requested_action, job.attempt_count)
        if state == self.last_state:
            return []
        self.last_state = state
        return [{"event": "status", "data": job.model_dump_json()}]


async def job_list_events(
    hub: EventHub, *, status: JobStatus | None, limit: int
) -> AsyncIterator[dict[str, Any]]:
    """Yield the jobs list (`snapshot`, a JobPage), then a `job` event each time a job in it
    changes or a job enters it, and `removed` when a job leaves the `status` filter."""
    queue = hub.open_list()  # before the snapshot: nothing written after it is missed
    try:
        page = await anyio.to_thread.run_sync(
            partial(hub.service.list_jobs, status=status, limit=limit)
        )
        yield {"event": "snapshot", "data": page.model_dump_json()}
        shown = {job.id: _shown_fields(job) for job in page.items}
        # A full page hides older jobs: they stay hidden when they change.
        oldest = min(shown) if len(shown) >= limit else 0
        while True:
            item = await queue.get()
            if item is None:
                return
            job: JobSummary = item["job"]
            if status is not None and job.status != status:
                if shown.pop(job.id, None) is not None:
                    yield {"event": "removed", "data": json.dumps({"id": job.id})}
                continue
            fields = _shown_fields(job)
            if job.id >= oldest and shown.get(job.id) != fields:
                shown[job.id] = fields
                yield {"event": "job", "data": job.model_dump_json()}
    finally:
        hub.close(queue)


def _shown_fields(job: JobSummary) -> dict[str, Any]:
    """What a client sees of a job: a write that changes only `updated_at` (a log line) is no
    change."""
    return job.model_dump(exclude={"updated_at"})
