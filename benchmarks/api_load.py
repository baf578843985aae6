"""API latency under load: jobs list and job detail, 50 concurrent clients, 10,000 jobs.

Runs a real `vp serve` (scheduler idle: VP_MAX_CONCURRENT_JOBS=0) on SQLite and on PostgreSQL,
fills the database with jobs directly, then drives both routes from 50 client threads on
loopback and prints p50/p99 latency and requests per second for each.

    .venv/bin/python benchmarks/api_load.py [--jobs 10000] [--clients 50] [--requests 2000]
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

VP = str(Path(sys.executable).parent / "vp")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fill(url: str, count: int) -> None:
    from vision_platform.db.models import TrainingJob
    from vision_platform.db.session import Database

    db = Database(url)
    db.migrate()
    statuses = ["pending", "running", "completed", "failed", "paused", "cancelled"]
    with db.session() as session:
        session.add_all(
            TrainingJob(
                model_name="resnet18",
                framework="timm",
                task_type="classification",
                dataset_path="/data/digits",
                num_epochs=10,
                batch_size=32,
                learning_rate=0.001,
                image_size=32,
                advanced_config={"mixup": True},
                status=random.choice(statuses),
                best_metric_name="val_acc",
                current_epoch=random.randint(0, 10),
            )
            for _ in range(count)
        )
        session.commit()
    db.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drive(base: str, paths: list[str], clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    todo = list(paths)

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                with lock:
                    if not todo:
                        return
                    path = todo.pop()
                started = time.perf_counter()
                client.get(path).raise_for_status()
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, len(paths) / (time.perf_counter() - started)


def bench(db_name: str, url: str, args: argparse.Namespace, home: Path) -> None:
    fill(url, args.jobs)
    port = free_port()
    env = {
        "VP_HOME": str(home),
        "VP_DATABASE_URL": url,
        "VP_MAX_CONCURRENT_JOBS": "0",
        "PATH": "/usr/bin:/bin",
    }
    server = subprocess.Popen(
        [VP, "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        routes = {
            "GET /jobs?limit=50": ["/jobs?limit=50"] * args.requests,
            "GET /jobs/{id}": [
                f"/jobs/{random.randint(1, args.jobs)}" for _ in range(args.requests)
            ],
        }
        for name, paths in routes.items():
            drive(base, paths[:100], args.clients)  # warm-up
            lat, rps = drive(base, paths, args.clients)
            lat.sort()
            p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
            print(f"| {db_name} | {name} | {statistics.median(lat):.1f} | {p99:.1f} | {rps:.0f} |")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    print(f"jobs={args.jobs} clients={args.clients} requests per route={args.requests}")
    print("| database | route | p50 ms | p99 ms | requests/s |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{tmp}/vp.db", args, Path(tmp) / "home-sqlite")
        import psycopg

        schema = f"vp_bench_{uuid.uuid4().hex[:8]}"
        admin = POSTGRES.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            bench(
                "PostgreSQL",
                f"{POSTGRES}?options=-csearch_path%3D{schema}",
                args,
                Path(tmp) / "home-pg",
            )
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
