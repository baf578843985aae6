"""The queue's policy on plain values: order (priority, age, aging), per-queue limits, the
preemption that loses least, and the words a waiting job's status shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from vision_platform.jobs.queue import Runner, Waiting, order, plan, standings, victim
from vision_platform.settings import Settings, parse_queues

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AGING = 3600.0


def waiting(job_id: int, priority: str, minutes_ago: float, queue: str | None = None) -> Waiting:
    return Waiting(job_id, priority, queue, NOW - timedelta(minutes=minutes_ago))


def runner(job_id: int, priority: str, saved_minutes_ago: float, **kw: object) -> Runner:
    return Runner(
        job_id, priority, kw.pop("queue", None), NOW - timedelta(minutes=saved_minutes_ago), **kw
    )  # type: ignore[arg-type]


def ids(jobs: list[Waiting]) -> list[int]:
    return [j.job_id for j in jobs]


def test_priority_first_then_the_longest_waiting() -> None:
    jobs = [waiting(1, "low", 10), waiting(2, "normal", 5), waiting(3, "high", 1),
            waiting(4, "normal", 9), waiting(5, "high", 2)]  # fmt: skip
    assert ids(order(jobs, NOW, AGING)) == [5, 3, 4, 2, 1]


def test_a_low_job_waiting_long_enough_is_not_starved() -> None:
    # Two hours at one level per hour: low has aged to high and, older, goes first.
    old_low, new_high, normal = (
        waiting(1, "low", 121),
        waiting(2, "high", 1),
        waiting(3, "normal", 30),
    )
    assert ids(order([new_high, normal, old_low], NOW, AGING)) == [1, 2, 3]
    # Half an hour: not yet past a normal job that has waited as long.
    assert ids(order([waiting(1, "low", 30), waiting(3, "normal", 30)], NOW, AGING)) == [3, 1]


def test_each_queue_keeps_its_limit_within_the_total() -> None:
    jobs = [waiting(1, "high", 5, "research"), waiting(2, "high", 4, "research"),
            waiting(3, "normal", 3, "prod"), waiting(4, "normal", 2)]  # fmt: skip
    running = [runner(9, "normal", 1, queue="research")]
    result = plan(order(jobs, NOW, AGING), running, free=3, limits={"research": 2, "prod": 4})
    assert ids(result.start) == [1, 3, 4]
    assert [(w.job_id, why) for w, why in result.blocked] == [(2, "queue")]
    full = plan(order(jobs, NOW, AGING), running, free=1, limits={"research": 2})
    assert ids(full.start) == [1]
    assert [why for _, why in full.blocked] == ["queue", "slots", "slots"]


def test_the_victim_is_the_lower_priority_job_that_loses_least() -> None:
    high = waiting(1, "high", 0)
    running = [runner(7, "low", 9), runner(8, "normal", 2), runner(9, "high", 0)]
    assert victim(high, "slots", running, NOW) == running[1]  # saved 2 minutes ago
    assert victim(waiting(2, "normal", 0), "slots", running, NOW) == running[0]
    assert victim(waiting(3, "low", 0), "slots", running, NOW) is None  # none lower
    # A preemption (or pause, cancel) under way frees a slot soon: no second one.
    busy = [runner(7, "low", 9, requested="preempt"), runner(8, "low", 1)]
    assert victim(high, "slots", busy, NOW) is None


def test_a_full_queue_preempts_only_inside_that_queue() -> None:
    waiter = waiting(1, "high", 0, "prod")
    running = [runner(7, "low", 0, queue="research"), runner(8, "normal", 5, queue="prod")]
    assert victim(waiter, "queue", running, NOW) == running[1]
    assert victim(waiter, "slots", running, NOW) == running[0]


def test_standings_say_the_place_and_why() -> None:
    back = Waiting(
        4, "low", None, NOW, reason="preempted by job 7 at epoch 12; resumes when a slot frees"
    )
    jobs = order([waiting(1, "high", 3, "research"), waiting(2, "normal", 2, "research"),
                  waiting(3, "normal", 1, "research"), back], NOW, AGING)  # fmt: skip
    running = [runner(7, "high", 0, queue="research"), runner(8, "high", 0, queue="research")]
    found = standings(jobs, running, slots=4, limits={"research": 2})
    assert found[1].position == 1
    assert found[1].reason == "next in queue research, which is full (2/2 running)"
    assert found[3].reason == "2 jobs ahead in queue research"
    assert found[4].position == 4
    assert found[4].reason == (
        "preempted by job 7 at epoch 12; resumes when a slot frees; 3 jobs ahead"
    )
    alone = standings([waiting(5, "normal", 0)], [runner(8, "low", 0)], slots=1, limits={})
    assert alone[5].reason == "next; waits for a free slot (1/1 running)"


def test_vp_queues_names_each_queue_and_its_limit() -> None:
    assert parse_queues("research=2, prod=4") == {"research": 2, "prod": 4}
    assert parse_queues(None) == {} == parse_queues("")
    with pytest.raises(ValidationError, match="'prod' is not name=limit"):
        Settings(queues="research=2,prod")
