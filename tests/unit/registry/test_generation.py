"""What refs resolve to is cached per process until the registry's generation moves: a write
through any engine (another process) is seen by the very next resolve everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.unit.registry.conftest import CompletedJob
from vision_platform.registry.errors import RegistryNotFoundError
from vision_platform.registry.generation import GenerationCache
from vision_platform.registry.schemas import ModelRef
from vision_platform.registry.service import ModelRegistry

PRODUCTION = ModelRef.parse("digits")


@contextmanager
def statements(registry: ModelRegistry) -> Iterator[list[str]]:
    """The SQL statements run through the registry's engine (its pool and ORM) meanwhile."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(registry.db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(registry.db.engine, "before_cursor_execute", note)


def test_a_newer_generation_empties_the_cache_and_an_older_one_never_fills_it() -> None:
    cache: GenerationCache[str, int] = GenerationCache()
    assert cache.get("a", 5) is None
    cache.put("a", 5, 1)
    assert cache.get("a", 5) == 1
    assert cache.get("a", 4) is None  # a read older than the cache's: a miss, nothing dropped
    cache.put("b", 4, 2)  # looked up under a generation that has passed: not kept
    assert (cache.get("b", 5), cache.get("a", 5)) == (None, 1)
    assert cache.get("a", 6) is None and len(cache) == 0  # the registry changed: all dropped
    cache.put("a", 5, 1)  # resolved before the change, stored after it: not kept
    assert len(cache) == 0
    small: GenerationCache[int, int] = GenerationCache(max_items=2)
    for key in range(3):
        small.put(key, 1, key)
    assert len(small) == 2


def test_an_alias_moved_through_another_engine_is_seen_by_the_next_resolve(
    registry: ModelRegistry, other_registry: ModelRegistry, completed_job: CompletedJob
) -> None:
    for weights in (b"one", b"two"):
        registry.register("digits", completed_job(weights=weights))
    registry.set_alias("digits", "production", 1)

    assert other_registry.resolve(PRODUCTION).version == 1
    with statements(other_registry) as cached:
        assert other_registry.resolve(PRODUCTION).version == 1
    assert cached == []  # answered from the cache: no query through the pool

    registry.set_alias("digits", "production", 2)  # "another process" moves it
    with statements(other_registry) as resolved:
        assert other_registry.resolve(PRODUCTION).version == 2
    assert resolved, "the moved alias must be resolved again"
    assert registry.resolve(PRODUCTION).version == 2  # and in the process that moved it

    registry.delete_alias("digits", "production")
    with pytest.raises(RegistryNotFoundError, match="no alias 'production'"):
        other_registry.resolve(PRODUCTION)


def test_a_deleted_version_is_not_served_from_the_cache(
    registry: ModelRegistry, other_registry: ModelRegistry, completed_job: CompletedJob
) -> None:
    for weights in (b"one", b"two"):
        registry.register("digits", completed_job(weights=weights))
    by_number = ModelRef.parse("digits@v2")
    assert other_registry.resolve(by_number).version == 2
    registry.delete_version("digits", 2)
    with pytest.raises(RegistryNotFoundError, match=r"no version 2 \(versions: v1\)"):
        other_registry.resolve(by_number)


def test_a_lost_generation_connection_falls_back_to_resolving_and_reconnects(
    registry: ModelRegistry, completed_job: CompletedJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.register("digits", completed_job())
    registry.set_alias("digits", "production", 1)
    watch = registry._generation
    generation = watch.read()
    assert generation is not None
    watch._connection.driver_connection.close()  # the database dropped it
    assert watch.read() is None
    assert watch.read() == generation  # on a new connection
    registry.set_alias("digits", "staging", 1)
    assert watch.read() == generation + 1

    # While the generation cannot be read, every resolve queries (and nothing is cached).
    monkeypatch.setattr(watch, "read", lambda: None)
    for _ in range(2):
        with statements(registry) as resolved:
            assert registry.resolve(PRODUCTION).version == 1
        assert resolved
