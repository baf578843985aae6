"""register_as survives a server that dies between a job's completion and its registration: the
leading scheduler's rounds register what is left, once, also when two servers race for it."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.unit.jobs.test_scheduler_race import InstantExecutor
from tests.unit.registry.conftest import CompletedJob
from vision_platform.jobs.scheduler import Scheduler
from vision_platform.jobs.service import JobService
from vision_platform.registry.errors import RegistryNotFoundError
from vision_platform.registry.service import ModelRegistry


def crashed_before_registering(
    service: JobService, completed_job: CompletedJob, **kw: object
) -> int:
    """A job completed with register_as whose registration never ran (its server died)."""
    listeners, service.completion_listeners = service.completion_listeners, []
    try:
        return completed_job(register_as="digits", **kw)
    finally:
        service.completion_listeners = listeners


def registered(service: JobService, job_id: int) -> list[str]:
    return [
        line.message for line in service.logs(job_id).items if line.message.startswith("Regist")
    ]


def test_a_completed_job_left_unregistered_is_registered_once(
    registry: ModelRegistry,
    other_registry: ModelRegistry,
    service: JobService,
    completed_job: CompletedJob,
) -> None:
    job = crashed_before_registering(service, completed_job)
    with pytest.raises(RegistryNotFoundError):
        registry.get_model("digits")
    registry.reconcile()
    for _ in range(2):  # later rounds, on this server and on another
        registry.reconcile()
        other_registry.reconcile()
    versions = registry.get_model("digits").versions
    assert [(v.version, v.job_id) for v in versions] == [(1, job)]
    assert registered(service, job) == ["Registered as version 1 of model 'digits'"]
    # A job whose registration ran when it completed leaves nothing to do.
    done = completed_job(weights=b"two", register_as="digits")
    registry.reconcile()
    assert [v.job_id for v in registry.get_model("digits").versions] == [job, done]


def test_two_servers_reconciling_at_once_make_one_version_per_job(
    registry: ModelRegistry,
    other_registry: ModelRegistry,
    service: JobService,
    completed_job: CompletedJob,
) -> None:
    jobs = [
        crashed_before_registering(service, completed_job, weights=bytes([i])) for i in range(4)
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def rounds(models: ModelRegistry) -> None:
        try:
            barrier.wait()
            for _ in range(5):  # a write that loses a race is left for the next round
                models.reconcile()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=rounds, args=(m,)) for m in (registry, other_registry)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    versions = registry.get_model("digits").versions
    assert sorted(v.job_id for v in versions) == jobs
    assert sorted(v.version for v in versions) == [1, 2, 3, 4]
    for job in jobs:
        assert len(registered(service, job)) == 1, registered(service, job)


def test_what_cannot_be_registered_is_given_up_once_and_a_deleted_version_stays_deleted(
    registry: ModelRegistry, service: JobService, completed_job: CompletedJob
) -> None:
    bare = crashed_before_registering(service, completed_job, weights=b"", onnx=False)
    for _ in range(3):
        registry.reconcile()
    warnings = [line for line in service.logs(bare).items if line.level == "warning"]
    assert len(warnings) == 1, warnings
    assert warnings[0].message.startswith("Could not register as model 'digits':")

    completed_job(register_as="digits")  # registered when it completed: version 1
    registry.delete_version("digits", 1)
    registry.reconcile()
    assert registry.get_model("digits").versions == []


def test_a_passing_failure_is_tried_again_on_the_next_round(
    registry: ModelRegistry,
    service: JobService,
    completed_job: CompletedJob,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model_files = service.model_files
    failures = iter([OSError("the disk hiccuped")])

    def flaky(job_id: int) -> tuple[Path, Path | None]:
        for error in failures:
            raise error
        return model_files(job_id)

    monkeypatch.setattr(service, "model_files", flaky)
    job = completed_job(register_as="digits")  # the registration at completion fails
    assert registered(service, job) == []
    registry.reconcile()
    assert [v.job_id for v in registry.get_model("digits").versions] == [job]


def test_the_leading_scheduler_reconciles_on_its_rounds(
    registry: ModelRegistry, service: JobService, completed_job: CompletedJob
) -> None:
    job = crashed_before_registering(service, completed_job)
    service.reconcilers.append(registry.reconcile)
    leader = Scheduler(
        service=service,
        executor=InstantExecutor(Counter(), threading.Lock(), []),
        settings=service.settings.model_copy(update={"max_concurrent_jobs": 1}),
        scheduler_id="leader",
    )
    leader.tick()
    assert [v.job_id for v in registry.get_model("digits").versions] == [job]
