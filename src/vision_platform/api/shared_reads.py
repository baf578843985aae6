"""Hot reads that the requests waiting at the same moment share (DataLoader's batching).

On PostgreSQL every statement is a round trip, and on a small machine each costs the server
more CPU than the rest of a cheap request (~0.6 ms here: psycopg's send and wait, the thread
hop, SQLAlchemy's execution). 50 clients asking for jobs at once need not make 50 of them:
each request adds its key to the next read, which starts once the read running (if any) has
ended, and is answered by it. So every request is answered by a read that began after it
arrived (nothing older than the request is ever served, as if it had read alone), one read
runs at a time (one worker thread, one pooled connection), and under load a round trip
serves as many requests as arrived during the one before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What a read of many keys gives: each key's value, or the error that key alone meets
# (an unknown job's 404); an exception raised by the read itself fails every key.
ReadMany = Callable[[list[K]], dict[K, V | Exception]]
# How a read runs: in a worker thread, under the hot reads' limit.
Runner = Callable[[Callable[[], dict[K, V | Exception]]], Awaitable[dict[K, V | Exception]]]


class SharedReads(Generic[K, V]):
    """Reads of keys, each request's key in the next read to start (see the module's text)."""

    def __init__(self, read_many: ReadMany[K, V], run: Runner[K, V]) -> None:
        self._read_many = read_many
        self._run = run
        self._waiting: dict[K, asyncio.Future[V]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0  # reads made (tests)

    async def get(self, key: K) -> V:
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[key] = future
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read_all())
        # A request that goes away leaves the read to the others that wait for the same key.
        return await asyncio.shield(future)

    async def _read_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                self.reads += 1
                try:
                    found = await self._run(partial(self._read_many, list(batch)))
                except Exception as e:  # the database: every request of the read hears it
                    for future in batch.values():
                        future.set_exception(e)
                    continue
                for key, future in batch.items():
                    value = found.get(key, LookupError(f"the read gave nothing for {key!r}"))
                    if isinstance(value, Exception):
                        future.set_exception(value)
                    else:
                        future.set_result(value)
        finally:
            self._reader = None
