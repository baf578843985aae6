"""SharedReads: requests that wait at once share a read, and none is answered by a read that
began before it arrived."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from vision_platform.api.shared_reads import SharedReads

T = TypeVar("T")


async def in_thread(read: Callable[[], T]) -> T:
    return await asyncio.to_thread(read)


def test_a_request_that_arrives_during_a_read_waits_for_the_next_one() -> None:
    version = 0  # what "the database" holds; each read sees it as it is when the read runs
    started = threading.Event()
    release = threading.Event()
    batches: list[list[str]] = []

    def read_many(keys: list[str]) -> dict[str, int | Exception]:
        batches.append(sorted(keys))
        seen = version  # what the read's statement sees, when it runs
        started.set()
        release.wait(5)
        return {key: seen for key in keys}

    async def scenario() -> None:
        nonlocal version
        reads: SharedReads[str, int] = SharedReads(read_many, in_thread)
        first = [asyncio.create_task(reads.get(key)) for key in ("a", "b", "a")]
        await asyncio.to_thread(started.wait, 5)
        version = 1  # a write that commits while the first read runs
        late = [asyncio.create_task(reads.get(key)) for key in ("a", "c")]
        await asyncio.sleep(0.01)
        release.set()
        assert await asyncio.gather(*first) == [0, 0, 0]
        assert await asyncio.gather(*late) == [1, 1]  # not the read that began before them
        assert reads.reads == 2

    asyncio.run(scenario())
    assert batches == [["a", "b"], ["a", "c"]]


def test_each_key_gets_its_own_error_and_a_failed_read_fails_only_its_requests() -> None:
    calls = 0

    def read_many(keys: list[int]) -> dict[int, str | Exception]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database went away")
        return {key: f"job {key}" if key > 0 else LookupError(f"no job {key}") for key in keys}

    async def scenario() -> None:
        reads: SharedReads[int, str] = SharedReads(read_many, in_thread)
        with pytest.raises(ConnectionError):
            await reads.get(1)
        assert await reads.get(2) == "job 2"
        found = await asyncio.gather(reads.get(3), reads.get(-1), return_exceptions=True)
        assert found[0] == "job 3" and isinstance(found[1], LookupError)

    asyncio.run(scenario())


def test_a_request_that_goes_away_leaves_the_read_to_the_others() -> None:
    release = threading.Event()

    def read_many(keys: list[str]) -> dict[str, str | Exception]:
        release.wait(5)
        return {key: key.upper() for key in keys}

    async def scenario() -> None:
        reads: SharedReads[str, str] = SharedReads(read_many, in_thread)
        gone = asyncio.create_task(reads.get("a"))
        stays = asyncio.create_task(reads.get("a"))
        await asyncio.sleep(0.01)
        gone.cancel()
        release.set()
        assert await stays == "A"
        with pytest.raises(asyncio.CancelledError):
            await gone

    asyncio.run(scenario())
