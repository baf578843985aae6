"""Two schedulers racing over one queue never start a job twice (one holds the lease), and
jobs start in the queue's order: priority first, then age."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from vision_platform.db.models import TrainingJob
from vision_platform.db.session import Database
from vision_platform.jobs.executors.base import ExecutionRequest, ExecutionState, Executor
from vision_platform.jobs.queue import PRIORITIES, RANK
from vision_platform.jobs.scheduler import Scheduler
from vision_platform.jobs.service import JobService
from vision_platform.jobs.states import JobStatus
from vision_platform.settings import Settings


class InstantExecutor(Executor):
    """Stands in for the process boundary: every trainer exits 0 at once."""

    def __init__(self, started: Counter[int], lock: threading.Lock, order: list[int]) -> None:
        self.started, self.lock, self.order = started, lock, order

    def submit(self, request: ExecutionRequest) -> str:
        with self.lock:
            self.started[request.job_id] += 1
            self.order.append(request.job_id)
        return f"instant:{request.job_id}"

    def status(self, handle: str) -> ExecutionState:
        return ExecutionState(running=False, exit_code=0)

    def logs(self, handle: str, *, tail: int = 200) -> list[str]:
        return []

    def stop(self, handle: str) -> None: ...

    def cancel(self, handle: str, *, grace_seconds: float) -> None: ...

    def release(self, handle: str, *, grace_seconds: float) -> None: ...


def test_two_schedulers_never_start_a_job_twice(database_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / ".vp", database_url=database_url, max_concurrent_jobs=3)
    setup = Database(database_url)
    setup.migrate()
    with setup.session() as session:
        session.add_all(
            TrainingJob(
                model_name="resnet10t",
                framework="timm",
                task_type="classification",
                dataset_path=str(tmp_path),
                num_epochs=1,
                batch_size=4,
                best_metric_name="val_acc",
                advanced_config={},
                priority=PRIORITIES[i % 3],
            )
            for i in range(50)
        )
    started: Counter[int] = Counter()
    order: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(name: str) -> None:
        db = Database(database_url)  # its own engine and connections, like another process
        scheduler = Scheduler(
            service=JobService(db, settings),
            executor=InstantExecutor(started, lock, order),
            settings=settings,
            scheduler_id=name,
        )
        try:
            barrier.wait()
            service = scheduler.service
            while service.list_jobs(status=JobStatus.PENDING).total or service.running():
                scheduler.tick()
        except BaseException as e:
            errors.append(e)
        finally:
            db.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(started) == 50
    assert max(started.values()) == 1, [job for job, n in started.items() if n > 1]
    # Ids are the jobs' ages; each round starts the first three of what waits.
    by_priority = sorted(range(1, 51), key=lambda i: (-RANK[PRIORITIES[(i - 1) % 3]], i))
    assert order == by_priority
    done = JobService(setup, settings).list_jobs(status=JobStatus.COMPLETED)
    assert done.total == 50
    setup.dispose()
