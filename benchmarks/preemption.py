"""Preemption: how soon an urgent job starts, and what the job it preempts loses.

One `vp serve` with one slot (VP_MAX_CONCURRENT_JOBS=1). For each checkpoint interval (the
trainer saves every epoch, so the interval is the epoch's length, set by the digits data set's
size: `--per-class` images per class), a low-priority job runs alone first (the baseline), then
again, and half-way through its second epoch a high-priority job arrives and preempts it.
Reported per interval:

- `interval_s`: the victim's median epoch time (its checkpoint interval);
- `high_start_s` / `high_epoch_s`: from the high job's creation to its first epoch starting /
  ending (includes the victim saving and stopping, and the high trainer's start-up);
- `stop_s`: from the preemption to the victim's trainer having saved and exited;
- `rerun_epochs`: epochs the victim trains again (from its stop and resume log lines; the timm
  trainer saves mid-epoch on SIGTERM, so 0 unless it lost its checkpoint);
- `extra_s`: the victim's attempts took this much longer than the baseline's one attempt:
  the work re-run plus stopping and starting again (process, model, data loaders).

    .venv/bin/python benchmarks/preemption.py [--per-class 8,64,256] [--epochs 4]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

VP = str(Path(sys.executable).parent / "vp")
STOPPED = re.compile(r"Stopped early \(\w+\) after epoch (\d+)")
RESUMED = re.compile(r"Resuming training from epoch (\d+)")


class Server:
    """`vp serve` with one slot on a fresh home."""

    def __init__(self, home: Path, data_root: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        env = {
            **os.environ,
            "VP_HOME": str(home),
            "VP_DATA_ROOTS": str(data_root),
            "VP_MAX_CONCURRENT_JOBS": "1",
            "VP_SCHEDULER_POLL_SECONDS": "0.2",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        }
        self.home = home
        self.log = open(home / "serve.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [VP, "serve", "--port", str(self.port), "--log-level", "warning"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}/api/v1", timeout=30)
        self.wait(lambda: self._up(), "the server to start")

    def _up(self) -> bool:
        try:
            return self.api.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def wait(self, done: Any, what: str, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"gave up waiting for {what}; see {self.home / 'serve.log'}")
            time.sleep(0.1)

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.api.post("/jobs", json=body)
        response.raise_for_status()
        job: dict[str, Any] = response.json()
        return job

    def job(self, job_id: int) -> dict[str, Any]:
        job: dict[str, Any] = self.api.get(f"/jobs/{job_id}").json()
        return job

    def finished(self, job_id: int) -> dict[str, Any]:
        self.wait(lambda: self.job(job_id)["status"] in ("completed", "failed"), f"job {job_id}")
        job = self.job(job_id)
        if job["status"] != "completed":
            raise SystemExit(f"job {job_id} failed: {job['error_message']}")
        return job

    def logs(self, job_id: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.api.get(f"/jobs/{job_id}/logs").json()["items"]
        return items

    def points(self, job_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get(f"/jobs/{job_id}/metrics").json()["points"]
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def attempt_seconds(home: Path, job_id: int) -> list[float]:
    """How long each attempt of the job ran (the database's own record)."""
    from vision_platform.db.models import JobAttempt
    from vision_platform.db.session import Database

    db = Database(f"sqlite:///{home / 'vp.db'}")
    with db.session() as session:
        rows = session.query(JobAttempt).filter_by(job_id=job_id).order_by(JobAttempt.number)
        found = [(a.finished_at - a.started_at).total_seconds() for a in rows if a.finished_at]
    db.dispose()
    return found


def first_line(lines: list[dict[str, Any]], pattern: str) -> dict[str, Any]:
    return next(line for line in lines if re.search(pattern, line["message"]))


def measure(server: Server, data: Path, epochs: int) -> dict[str, float]:
    body = {"model_name": "resnet10t", "dataset_path": str(data), "batch_size": 4,
            "image_size": 32, "seed": 3, "num_epochs": epochs}  # fmt: skip
    alone = server.create(**body, priority="low")
    server.finished(alone["id"])
    baseline = sum(attempt_seconds(server.home, alone["id"]))
    interval = statistics.median(p["values"]["epoch_seconds"] for p in server.points(alone["id"]))

    victim = server.create(**body, priority="low")
    server.wait(lambda: server.job(victim["id"])["current_epoch"] >= 1, "the victim's epoch 1")
    time.sleep(interval / 2)  # half-way through its second epoch
    high = server.create(**{**body, "num_epochs": 1}, priority="high")
    server.finished(high["id"])
    server.finished(victim["id"])

    created = stamp(high["created_at"])
    high_logs, victim_logs = server.logs(high["id"]), server.logs(victim["id"])
    started = stamp(first_line(high_logs, r"^Epoch 1/")["created_at"])
    first_epoch = stamp(server.points(high["id"])[0]["created_at"])
    preempted = stamp(first_line(victim_logs, r"^Preempted by job")["created_at"])
    stopped = stamp(first_line(victim_logs, r"exited with code 75: preempted")["created_at"])
    text = "\n".join(line["message"] for line in victim_logs)
    saved, resumed = STOPPED.search(text), RESUMED.search(text)
    rerun = int(saved.group(1)) + 1 - int(resumed.group(1)) if saved and resumed else -1
    return {
        "interval_s": interval,
        "high_start_s": (started - created).total_seconds(),
        "high_epoch_s": (first_epoch - created).total_seconds(),
        "stop_s": (stopped - preempted).total_seconds(),
        "rerun_epochs": rerun,
        "extra_s": sum(attempt_seconds(server.home, victim["id"])) - baseline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", default="8,64,256", help="Images per class, per interval.")
    parser.add_argument("--epochs", type=int, default=4, help="Epochs of the victim (>= 3).")
    args = parser.parse_args()
    from vision_platform.datasets.digits import make_digits

    with tempfile.TemporaryDirectory(prefix="vp-preempt-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        server = Server(root / "home", root)
        try:
            print("per_class interval_s high_start_s high_epoch_s stop_s rerun_epochs extra_s")
            for per_class in (int(n) for n in args.per_class.split(",")):
                data = make_digits(root / f"digits{per_class}", num_classes=2,
                                   per_class=per_class, size=32)  # fmt: skip
                row = measure(server, data, max(3, args.epochs))
                print(
                    f"{per_class:9d} {row['interval_s']:10.2f} {row['high_start_s']:12.2f} "
                    f"{row['high_epoch_s']:12.2f} {row['stop_s']:6.2f} "
                    f"{row['rerun_epochs']:12.0f} {row['extra_s']:7.2f}",
                    flush=True,
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
