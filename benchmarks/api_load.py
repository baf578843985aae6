"""API latency under load: `GET /jobs?limit=50` and `GET /jobs/{id}` driven by wrk.

For SQLite and PostgreSQL, with 1 and 2 workers (`vp serve --workers N`, scheduler idle:
VP_MAX_CONCURRENT_JOBS=0): fills a fresh database with 10,000 jobs, opens 500 SSE streams (half
on the jobs list, half on single unfinished jobs) and keeps them open, then runs wrk with 50
connections on each route. Prints p50/p99 latency and requests per second, and what the event
pollers read meanwhile (from /metrics): reads per poll stay ~1 however many streams are open;
and the full garbage collections the server made during each route's run (`vp_gc_pause_seconds`,
their number and mean pause: each one holds every request of its process), and the server's
resident memory (all its processes) after each run.

wrk (the Debian package) is the load generator: a C client that leaves the CPU to the server.

    .venv/bin/python benchmarks/api_load.py [--jobs 10000] [--connections 50] [--streams 500]
        [--seconds 15] [--databases sqlite postgresql] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx

VP = str(Path(sys.executable).parent / "vp")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STATUSES = ["pending", "running", "completed", "failed", "paused", "cancelled"]
RANDOM_JOB = """
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/jobs/" .. math.random(1, {jobs}))
end
"""


def fill(url: str, count: int) -> list[int]:
    """`count` jobs in a fresh, migrated database; the ids of the unfinished ones."""
    from sqlalchemy import insert

    from vision_platform.db.models import TrainingJob, utcnow
    from vision_platform.db.session import Database

    db = Database(url)
    db.migrate()
    # Written an hour ago: out of the event pollers' change window, as a quiet database is.
    written = utcnow() - timedelta(hours=1)
    rows = [
        {
            "model_name": "resnet18",
            "framework": "timm",
            "task_type": "classification",
            "dataset_path": "/data/digits",
            "num_epochs": 10,
            "batch_size": 32,
            "learning_rate": 0.001,
            "image_size": 32,
            "advanced_config": {"mixup": True, "label_smoothing": 0.1},
            "status": random.choice(STATUSES),
            "best_metric_name": "val_acc",
            "current_epoch": random.randint(0, 10),
            "created_at": written,
            "updated_at": written,
        }
        for _ in range(count)
    ]
    with db.session() as session:
        session.execute(insert(TrainingJob), rows)
    db.dispose()
    unfinished = ("pending", "running", "paused")
    return [i + 1 for i, row in enumerate(rows) if row["status"] in unfinished]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(url: str, workers: int, home: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {"VP_HOME": str(home), "VP_DATABASE_URL": url, "VP_MAX_CONCURRENT_JOBS": "0"}
    env["PATH"] = "/usr/bin:/bin"
    if "PYTHONPATH" in os.environ:  # a checkout run without installing it
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    server = subprocess.Popen(
        [VP, "serve", "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if server.poll() is not None:
                sys.exit(f"vp serve exited with {server.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/v1/health/ready", trust_env=False).status_code == 200:
                    break
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait()


class Streams:
    """`count` SSE streams held open from one thread (asyncio), each past its first event."""

    def __init__(self, base: str, paths: list[str]) -> None:
        self.host, self.port = base.removeprefix("http://").split(":")
        self.paths = paths
        self.open = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> Streams:
        self._thread.start()
        self._tasks = asyncio.run_coroutine_threadsafe(self._open(), self._loop).result()
        deadline = time.monotonic() + 120
        while self.open < len(self.paths) and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    async def _open(self) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self._follow(path)) for path in self.paths]

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _follow(self, path: str) -> None:
        reader, writer = await asyncio.open_connection(self.host, int(self.port))
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        seen = b""
        while b"data:" not in seen:  # the snapshot, or the job's first status
            chunk = await reader.read(65536)
            if not chunk:
                return
            seen += chunk
        self.open += 1
        try:
            while await reader.read(65536):
                pass
        finally:
            self.open -= 1
            writer.close()

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


def counts(base: str) -> dict[str, float]:
    """What the server's /metrics counted so far: the event hub's polls and reads, and its
    full garbage collections (count, seconds; absent in code before they were counted)."""
    text = httpx.get(f"{base}/metrics", trust_env=False).text
    names = {
        "polls": r"vp_event_polls_total",
        "reads": r"vp_event_poll_reads_total",
        "full_gcs": r'vp_gc_pause_seconds_count\{generation="2"\}',
        "full_gc_seconds": r'vp_gc_pause_seconds_sum\{generation="2"\}',
    }
    found = {k: re.search(rf"^{v} (\S+)$", text, re.MULTILINE) for k, v in names.items()}
    return {k: float(m[1]) if m else float("nan") for k, m in found.items()}


def resident_mb(pid: int) -> float:
    """The resident memory of the server and its workers, in MB."""
    import psutil

    server = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [server, *server.children(recursive=True)]) / 1e6


def wrk(url: str, connections: int, seconds: int, script: Path | None) -> tuple[float, ...]:
    """p50 ms, p99 ms, requests/s, errors of one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def millis(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        assert found, out
        return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rps, out
    return millis("50"), millis("99"), float(rps[1]), float(errors[1]) if errors else 0.0


def bench(name: str, url: str, workers: int, args: argparse.Namespace, tmp: Path) -> None:
    unfinished = fill(url, args.jobs)
    script = tmp / "random_job.lua"
    script.write_text(RANDOM_JOB.format(jobs=args.jobs))
    paths = ["/api/v1/jobs/events?limit=50" for _ in range(args.streams // 2)]
    paths += [f"/api/v1/jobs/{random.choice(unfinished)}/events" for _ in range(args.streams // 2)]
    home = tmp / f"home-{name}-{workers}"
    with served(url, workers, home) as (base, pid), Streams(base, paths) as held:
        before = counts(base)
        routes = {
            "GET /jobs?limit=50": (f"{base}/api/v1/jobs?limit=50", None),
            "GET /jobs/{id}": (f"{base}/api/v1/jobs/1", script),
        }
        for route, (target, lua) in routes.items():
            wrk(target, args.connections, 2, lua)  # warm-up
            gcs = counts(base)
            p50, p99, rps, errors = wrk(target, args.connections, args.seconds, lua)
            gcs_after = counts(base)
            full = gcs_after["full_gcs"] - gcs["full_gcs"]
            seconds = gcs_after["full_gc_seconds"] - gcs["full_gc_seconds"]
            gc_text = "n/a | n/a" if math.isnan(full) else f"{full:.0f} | "
            gc_text += f"{seconds / full * 1000:.0f}" if full > 0 else ""
            print(
                f"| {name} | {workers} | {route} | {p50:.1f} | {p99:.1f} | {rps:.0f} | "
                f"{errors:.0f} | {held.open} | {gc_text} | {resident_mb(pid):.0f} |",
                flush=True,
            )
        after = counts(base)
        done = after["polls"] - before["polls"]
        per_poll = (after["reads"] - before["reads"]) / done if done else float("nan")
        print(
            f"| {name} | {workers} | SSE hub: {done:.0f} polls, {per_poll:.2f} reads a poll "
            f"| | | | | {held.open} | | | |"
        )


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    import psycopg

    schema = f"vp_bench_{uuid.uuid4().hex[:8]}"
    admin = POSTGRES.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk")
    print(
        f"jobs={args.jobs} connections={args.connections} SSE streams={args.streams} "
        f"seconds per route={args.seconds}"
    )
    print(
        "| database | workers | route | p50 ms | p99 ms | requests/s | errors | streams "
        "| full GCs | ms each | server MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for workers in args.workers:
        if "sqlite" in args.databases:
            with tempfile.TemporaryDirectory() as tmp:
                bench("SQLite", f"sqlite:///{tmp}/vp.db", workers, args, Path(tmp))
        if "postgresql" in args.databases:
            with tempfile.TemporaryDirectory() as tmp, postgres_schema() as url:
                bench("PostgreSQL", url, workers, args, Path(tmp))


if __name__ == "__main__":
    main()
