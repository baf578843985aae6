"""Two `vp serve` on one PostgreSQL: one schedules; SIGKILL it mid-run and the other takes over.

What an operator scaling the Deployment sees: every job completes, no job ever has two trainers
alive at once, and no attempt is started twice (from the attempts table and the trainers' pids).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.platform_server import PlatformServer, trainer_pids, wait_for
from vision_platform.db.models import JobAttempt, SchedulerLease
from vision_platform.db.session import Database

EPOCHS = 12  # long enough that the kill lands while all three run


class TrainerWatch:
    """Samples the live trainers of each job folder until stopped."""

    def __init__(self, folders: dict[int, Path]) -> None:
        self.folders = folders
        self.pids: dict[int, set[int]] = defaultdict(set)
        self.most_at_once: dict[int, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TrainerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            for job_id, folder in self.folders.items():
                live = trainer_pids(Path(f"{folder}/logs"))
                self.pids[job_id].update(live)
                self.most_at_once[job_id] = max(self.most_at_once[job_id], len(live))


@pytest.fixture
def postgres_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def servers(
    postgres_url: str, tmp_path: Path, tiny_digits: Path
) -> Iterator[tuple[PlatformServer, PlatformServer]]:
    """Two servers on one database and one shared job folder (a volume, as replicas have)."""
    home = tmp_path / ".vp"
    pair = []
    for name in ("a", "b"):
        server = PlatformServer(
            home=home,
            data_root=tiny_digits.parent,
            VP_DATABASE_URL=postgres_url,
            VP_MAX_CONCURRENT_JOBS="3",
        )
        server.log_path = tmp_path / f"serve-{name}.log"
        pair.append(server.start())
    yield pair[0], pair[1]
    for server in pair:
        server.stop()


def lease_holder_pid(db: Database) -> int:
    with db.session() as session:
        holder = session.scalar(select(SchedulerLease.holder))
    assert holder is not None
    return int(holder.rsplit(":", 2)[1])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_other_server_takes_over_without_a_second_trainer(
    servers: tuple[PlatformServer, PlatformServer],
    postgres_url: str,
    tiny_digits: Path,
    tmp_path: Path,
) -> None:
    first, second = servers
    db = Database(postgres_url)
    wait_for(lambda: lease_holder_pid(db) == first.process.pid, what="the first to lead")  # type: ignore[union-attr]
    body = {"dataset_path": str(tiny_digits), "num_epochs": EPOCHS, "batch_size": 4}
    ids = [
        first.create(model_name="resnet10t", image_size=32, seed=i, **body)["id"] for i in (1, 2, 3)
    ]
    folders = {i: tmp_path / ".vp" / "jobs" / f"job_{i}" for i in ids}
    with TrainerWatch(folders) as watch:
        for job_id in ids:
            second.wait_epoch(job_id, 1)  # the follower's API reads the same database
        first.kill()
        wait_for(lambda: lease_holder_pid(db) == second.process.pid, what="the take-over")  # type: ignore[union-attr]
        done = [second.wait_status(job_id, "completed", "failed") for job_id in ids]
    assert [job["status"] for job in done] == ["completed"] * 3, second.diagnostics()
    assert all(job["failure_count"] == 0 and job["current_epoch"] == EPOCHS for job in done)
    assert dict(watch.most_at_once) == {job_id: 1 for job_id in ids}

    with db.session() as session:
        rows = session.execute(
            select(JobAttempt.job_id, JobAttempt.number, JobAttempt.executor_handle).order_by(
                JobAttempt.job_id, JobAttempt.number
            )
        ).all()
    db.dispose()
    for job_id in ids:
        handles = [handle for job, _, handle in rows if job == job_id]
        numbers = [number for job, number, _ in rows if job == job_id]
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 2
        pids = {int(handle.split(":")[1]) for handle in handles}
        assert len(pids) == len(handles), handles  # one trainer per attempt, never two
        assert watch.pids[job_id] <= pids, (watch.pids[job_id], handles)  # none unrecorded
        assert "interrupted (the server restarted)" in second.log_text(job_id)
