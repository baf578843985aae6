"""A scheduler that dies (or is paused past its lease) anywhere while it starts a Kubernetes
Job: the next leader adopts that Job or cleans it up, and no job ever has two trainers alive
(the Kubernetes API is the in-memory cluster of `fake_cluster`; SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.unit.jobs.conftest import NewJob
from tests.unit.jobs.executors.fake_cluster import Crash, FakeCluster, autospec_apis
from vision_platform.db.models import JobAttempt, SchedulerLease
from vision_platform.db.session import Database
from vision_platform.jobs.executors.kubernetes import KubernetesExecutor
from vision_platform.jobs.scheduler import Scheduler
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus


@pytest.fixture(scope="module")
def apis() -> tuple[Any, Any]:
    return autospec_apis()


@pytest.fixture
def cluster(apis: tuple[Any, Any]) -> FakeCluster:
    return FakeCluster(apis)


@pytest.fixture
def servers(service: JobService, cluster: FakeCluster) -> Iterator[Callable[[str], Scheduler]]:
    """Makes a scheduler of its own server (engine, executor) on the shared database and cluster."""
    made: list[Scheduler] = []

    def server(name: str) -> Scheduler:
        executor = KubernetesExecutor(
            service.settings, batch_api=cluster.batch, core_api=cluster.core
        )
        scheduler = Scheduler(
            service=JobService(Database(service.db.url), service.settings),
            executor=executor,
            settings=service.settings,
            scheduler_id=name,
        )
        made.append(scheduler)
        return scheduler

    yield server
    for scheduler in made:
        scheduler.service.db.dispose()


def expire(db: Database) -> None:
    """A leader's death (or long pause), as the others see it: its lease has run out."""
    with db.session() as session:
        session.execute(update(SchedulerLease).values(expires_at=0.0))


def attempts(service: JobService, job_id: int) -> list[tuple[int, str | None]]:
    with service.db.session() as session:
        rows = session.execute(
            select(JobAttempt.number, JobAttempt.outcome)
            .where(JobAttempt.job_id == job_id)
            .order_by(JobAttempt.number)
        ).all()
    return [(r[0], r[1]) for r in rows]


def job_of(key: tuple[str, str]) -> str:
    """The Job a ConfigMap or Secret belongs to."""
    return key[1].rsplit("-", 1)[0]


def run_to_completion(b: Scheduler, cluster: FakeCluster, service: JobService, job_id: int) -> None:
    """Rounds of `b` with the kubelet between them, until the job's one trainer has run and
    exited 0 and the job completed."""
    for _ in range(3):
        b.tick()
        cluster.kubelet()
        assert len(cluster.running()) <= 1, f"two trainers of one job: {cluster.running()}"
    (running,) = cluster.running()
    cluster.finish(running, 0)
    b.tick()
    assert service.get(job_id).status == JobStatus.COMPLETED


# Where the first leader dies while it launches attempt 1 (in the order things happen): the
# next leader adopts attempt 1's Job, or starts attempt 2 where there was none to adopt.
ADOPTED = (["a1"], ["completed"])
RESTARTED = (["a2"], ["lost", "completed"])
CRASHES = {
    "before its handle is recorded": ("before", "set_handle", RESTARTED),
    "with the spec made, not the Job": ("before", "create_namespaced_job", RESTARTED),
    "right after creating the Job": ("after", "create_namespaced_job", ADOPTED),
    "after confirming it, before letting it go": ("before", "patch_namespaced_job", ADOPTED),
    "right after letting it go": ("after", "patch_namespaced_job", ADOPTED),
}


@pytest.mark.parametrize("where", CRASHES)
def test_a_leader_dying_while_it_starts_a_job_leaves_nothing_untracked(
    where: str,
    service: JobService,
    new_job: NewJob,
    cluster: FakeCluster,
    servers: Callable[[str], Scheduler],
) -> None:
    when, method, (jobs, outcomes) = CRASHES[where]
    a, b = servers("a"), servers("b")
    job = new_job()

    def die() -> None:
        raise Crash(where)

    if method == "set_handle":
        a.service.set_handle = lambda *args, **kwargs: die()  # type: ignore[method-assign]
    else:
        cluster.at(when, method, die)
    with pytest.raises(Crash):
        a.tick()
    cluster.kubelet()  # the cluster goes on without the dead server
    expire(service.db)

    run_to_completion(b, cluster, service, job.id)
    assert cluster.created == [f"vp-job-{job.id}-{attempt}" for attempt in jobs]
    assert cluster.most_alive[job.id] == 1
    assert [outcome for _, outcome in attempts(service, job.id)] == outcomes
    assert not cluster.objects or all(job_of(key) in cluster.jobs for key in cluster.objects)


def test_a_leader_paused_before_it_creates_the_job_never_runs_a_second_trainer(
    service: JobService,
    new_job: NewJob,
    cluster: FakeCluster,
    servers: Callable[[str], Scheduler],
) -> None:
    """a has recorded attempt 1 and is paused just before it creates the Job; b takes over,
    finds no Job, and starts attempt 2. Then a wakes and creates attempt 1's Job after all:
    that one is held (it never runs) and b's next round deletes it."""
    a, b = servers("a"), servers("b")
    job = new_job()

    def paused() -> None:
        expire(service.db)
        b.tick()  # attempt 1's Job is not there: b requeues the job and starts attempt 2
        cluster.kubelet()
        assert cluster.running() == [f"vp-job-{job.id}-a2"]

    cluster.at("before", "create_namespaced_job", paused)
    a.tick()  # a wakes, creates attempt 1's Job, and its confirmation is fenced out
    assert sorted(cluster.live_jobs()) == [f"vp-job-{job.id}-a1", f"vp-job-{job.id}-a2"]
    cluster.kubelet()
    assert cluster.running() == [f"vp-job-{job.id}-a2"]  # a1 waits, held
    b.tick()
    assert cluster.live_jobs() == [f"vp-job-{job.id}-a2"]  # the orphan is gone

    cluster.finish(f"vp-job-{job.id}-a2", 0)
    b.tick()
    assert service.get(job.id).status == JobStatus.COMPLETED
    assert cluster.most_alive[job.id] == 1
    assert attempts(service, job.id) == [(1, "lost"), (2, "completed")]


def test_a_leader_paused_after_creating_the_job_leaves_it_to_the_next(
    service: JobService,
    new_job: NewJob,
    cluster: FakeCluster,
    servers: Callable[[str], Scheduler],
) -> None:
    """a is paused right after creating attempt 1's (held) Job; b adopts it and lets it go.
    When a wakes, its confirmation is fenced out and it leaves the Job alone: one trainer."""
    a, b = servers("a"), servers("b")
    job = new_job()

    def paused() -> None:
        expire(service.db)
        b.tick()
        cluster.kubelet()

    cluster.at("after", "create_namespaced_job", paused)
    a.tick()
    assert a.lease.fence is None
    assert cluster.running() == [f"vp-job-{job.id}-a1"]  # adopted by b, not cancelled by a
    run_to_completion(b, cluster, service, job.id)
    assert cluster.created == [f"vp-job-{job.id}-a1"]
    assert cluster.most_alive[job.id] == 1
    assert attempts(service, job.id) == [(1, "completed")]
