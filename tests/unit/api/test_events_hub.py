"""One poller per process: open streams cost no query per stream per poll, and every stream
still gets every change (the jobs list and one job's events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.unit.api.conftest import insert_jobs
from tests.unit.api.test_routes import make_settings
from vision_platform.api.events import EventHub, job_events, job_list_events
from vision_platform.db.session import Database
from vision_platform.jobs.service import JobService

POLL = 0.02
Stream = AsyncIterator[dict[str, Any]]


@pytest.fixture
def service(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[JobService]:
    db = Database(database_url)
    db.migrate()
    yield JobService(db, make_settings(database_url, tiny_digits, tmp_path / ".vp"))
    db.dispose()


class QueryCount:
    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


async def queries_per_poll(hub: EventHub, counter: QueryCount, polls: int = 10) -> float:
    await wait_polls(hub, 3)  # the first polls read up the jobs the streams follow
    start, first = counter.count, hub.polls
    await wait_polls(hub, polls)
    return (counter.count - start) / (hub.polls - first)


async def wait_polls(hub: EventHub, polls: int) -> None:
    target = hub.polls + polls
    while hub.polls < target:
        await asyncio.sleep(POLL / 4)


async def opened(streams: list[Stream]) -> None:
    """Each stream's first event: its snapshot, or its catch-up's status."""
    for stream in streams:
        first = await anext(stream)
        assert first["event"] in ("snapshot", "status")


def test_idle_streams_cost_one_query_per_poll_however_many(service: JobService) -> None:
    ids = insert_jobs(service.db, 30, status="running")
    counter = QueryCount(service.db)

    async def run(lists: int, jobs: int) -> float:
        hub = EventHub(service, poll_seconds=POLL)
        streams = [job_list_events(hub, status=None, limit=50) for _ in range(lists)]
        streams += [job_events(hub, job_id) for job_id in ids[:jobs]]
        await opened(streams)
        assert hub.streams == lists + jobs
        per_poll = await queries_per_poll(hub, counter)
        for stream in streams:
            await stream.aclose()
        await hub.stop()
        return per_poll

    few, many = asyncio.run(run(1, 1)), asyncio.run(run(200, 30))
    # One query (what changed) per poll for the whole process, with 2 streams or 230.
    assert few <= 1 and many <= 1


def test_a_change_reaches_every_stream_in_one_poll(service: JobService) -> None:
    (job_id,) = insert_jobs(service.db, 1, status="pending")
    counter = QueryCount(service.db)

    async def run() -> None:
        hub = EventHub(service, poll_seconds=POLL)
        lists = [job_list_events(hub, status=None, limit=50) for _ in range(50)]
        followers = [job_events(hub, job_id) for _ in range(50)]
        await opened(lists + followers)
        await wait_polls(hub, 1)
        before = counter.count
        service.pause(job_id)
        for stream in lists:
            item = await anext(stream)
            assert (item["event"], json.loads(item["data"])["status"]) == ("job", "paused")
        for stream in followers:
            kinds = [await anext(stream) for _ in range(2)]  # the pause's log line, the status
            assert [k["event"] for k in kinds] == ["log", "status"]
            assert json.loads(kinds[1]["data"])["status"] == "paused"
        # The write, then the polls that saw it: not one query per stream (there are 100).
        assert counter.count - before < 30
        for stream in lists + followers:
            await stream.aclose()
        await hub.stop()

    asyncio.run(run())
