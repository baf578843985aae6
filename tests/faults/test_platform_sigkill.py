"""The platform SIGKILLed at random moments (job creation, attempt start and finish, report
ingestion) and started again, round after round: no job lost, none run twice, no orphan."""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import restarted, trainer_epochs
from tests.integration.platform_server import PlatformServer, wait_for

ROUNDS = int(os.environ.get("VP_CHAOS_ROUNDS", "6"))  # 20 for the full run (about 3 min)
JOBS = 5
EPOCHS = 2


class TrainerWatch:
    """Samples the live trainers of each job (by their spec path) and keeps the most seen at
    once: trainers run in sessions of their own, so a count of sessions is a count of runs."""

    def __init__(self, jobs_dir: Path) -> None:
        # Other tests' platforms on this machine have jobs of the same ids: only ours count.
        self._spec = re.compile(rf"{re.escape(str(jobs_dir))}/job_(\d+)/logs/spec-\d+\.json")
        self.most: dict[int, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def live(self) -> dict[int, set[str]]:
        found: dict[int, set[str]] = defaultdict(set)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            match = self._spec.search(cmdline)
            if match and fields[0] != "Z":
                found[int(match[1])].add(fields[3])  # the session id
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            for job_id, sessions in self.live().items():
                self.most[job_id] = max(self.most[job_id], len(sessions))
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Creator:
    """Creates jobs at random moments, whether or not the server is up at the time."""

    def __init__(self, url: str, body: dict[str, object], rng: random.Random) -> None:
        self.client = httpx.Client(base_url=f"{url}/api/v1", timeout=10, trust_env=False)
        self.body, self.rng = body, rng
        self.acknowledged: list[int] = []
        self.tries = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while len(self.acknowledged) < JOBS:
            time.sleep(self.rng.uniform(0.1, 2.0))
            self.tries += 1
            try:
                response = self.client.post("/jobs", json=self.body)
            except httpx.HTTPError:
                continue  # killed while creating it: it may exist or not
            if response.status_code == 201:
                self.acknowledged.append(response.json()["id"])

    def join(self) -> None:
        self._thread.join(timeout=300)


@pytest.mark.slow
def test_sigkills_at_random_moments_lose_no_job_and_run_none_twice(
    tmp_path: Path, tiny_digits: Path
) -> None:
    rng = random.Random(19)
    server = PlatformServer(
        home=tmp_path / ".vp", data_root=tiny_digits.parent, VP_MAX_CONCURRENT_JOBS="2"
    ).start()
    watch = TrainerWatch(tmp_path / ".vp" / "jobs")
    body = {
        "model_name": "resnet10t",
        "dataset_path": str(tiny_digits),
        "num_epochs": EPOCHS,
        "batch_size": 4,
        "image_size": 32,
        "seed": 1,
    }
    creator = Creator(server.url, body, rng)
    try:
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(0.5, 4.0))
            server.kill()
            server = restarted(server)
        creator.join()
        jobs = server.api.get("/jobs", params={"limit": 100}).json()["items"]
        ids = sorted(job["id"] for job in jobs)
        assert set(creator.acknowledged) <= set(ids) and len(ids) <= creator.tries
        for job_id in ids:
            done = server.wait_status(job_id, "completed", "failed", "cancelled")
            assert done["status"] == "completed", server.log_text(job_id)
        live = watch.live
        wait_for(lambda: not live(), what="every trainer to exit")  # none orphaned
        watch.stop()
        for job_id in ids:
            run_dir = tmp_path / ".vp" / "jobs" / f"job_{job_id}"
            points = server.api.get(f"/jobs/{job_id}/metrics").json()["points"]
            assert [p["epoch"] for p in points] == list(range(1, EPOCHS + 1)), job_id
            assert trainer_epochs(run_dir) == list(range(1, EPOCHS + 1)), job_id
            assert watch.most[job_id] == 1, f"job {job_id} ran {watch.most[job_id]} times at once"
            attempts = server.job(job_id)["attempt_count"]
            assert len(list((run_dir / "logs").glob("spec-*.json"))) == attempts
    finally:
        watch.stop()
        server.stop()
