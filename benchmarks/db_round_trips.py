"""What each hot request costs the database: SQL statements and PostgreSQL round trips.

Load-independent (nothing is timed): fills a fresh schema with `--jobs` jobs as
`api_load.py` does, serves the app in process, and counts, for one request of each route
after a warm-up, the statements SQLAlchemy executes and every message exchange libpq makes
(pings, BEGIN, ROLLBACK and prepares included). libpq is watched through psycopg's pure-Python
binding, so the script sets PSYCOPG_IMPL=python for itself.

    .venv/bin/python benchmarks/db_round_trips.py [--jobs 10000] [--database postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ["PSYCOPG_IMPL"] = "python"  # before psycopg is imported: its calls can be watched
sys.path.insert(0, str(Path(__file__).parent.parent))

from benchmarks.api_load import fill, postgres_schema

# The libpq calls that send a query (each waits for its answer: one round trip).
_SENDS = ("exec_", "exec_params", "send_query", "send_query_params", "send_prepare")
_SENDS += ("send_query_prepared", "prepare", "exec_prepared")


def watch_libpq(trips: list[str]) -> None:
    """Append the first words of every query libpq sends to `trips`."""
    from psycopg import pq
    from psycopg.pq import pq_ctypes

    assert pq.__impl__ == "python", pq.__impl__

    def watched(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def send(self: Any, *args: Any, **kwargs: Any) -> Any:
            query = " ".join(bytes(args[0] if args else b"").decode(errors="replace").split())
            if "prepared" in name:  # the first argument is the prepared statement's name
                query = f"EXECUTE {query}"
            trips.append(query[:40] or "(empty)")
            return real(self, *args, **kwargs)

        return send

    for name in _SENDS:
        if hasattr(pq_ctypes.PGconn, name):
            setattr(pq_ctypes.PGconn, name, watched(name, getattr(pq_ctypes.PGconn, name)))


@contextmanager
def database(kind: str, tmp: str) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_schema() as url:
            yield url
    else:
        yield f"sqlite:///{tmp}/vp.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from vision_platform.api.app import create_app
    from vision_platform.settings import Settings

    trips: list[str] = []
    statements: list[str] = []
    watch_libpq(trips)
    with tempfile.TemporaryDirectory() as tmp, database(args.database, tmp) as url:
        unfinished = fill(url, args.jobs)
        settings = Settings(home=Path(tmp) / "home", database_url=url, max_concurrent_jobs=0)
        app = create_app(settings, run_scheduler=False)
        with TestClient(app) as client:
            event.listen(
                app.state.jobs.db.engine,
                "before_cursor_execute",
                lambda conn, cursor, sql, *rest: statements.append(sql.split()[0]),
            )
            pending = client.get("/api/v1/jobs?status=pending&limit=1").json()["items"][0]["id"]
            finished = next(i for i in range(1, args.jobs + 1) if i not in set(unfinished))
            routes = {
                "GET /jobs?limit=50": "/api/v1/jobs?limit=50",
                "GET /jobs?limit=50&total=false": "/api/v1/jobs?limit=50&total=false",
                "GET /jobs/{id} (a finished job)": f"/api/v1/jobs/{finished}",
                "GET /jobs/{id} (a waiting job)": f"/api/v1/jobs/{pending}",
            }
            time.sleep(1.0)  # the event poller's first reads, out of the way
            print(f"{args.database}, {args.jobs} jobs (after 6 warm-up requests of each route)")
            print("| route | SQL statements | libpq round trips | what was sent |")
            print("| --- | --- | --- | --- |")
            for route, path in routes.items():
                for _ in range(7):  # psycopg prepares a statement on its 5th use
                    statements.clear()
                    trips.clear()
                    assert client.get(path).status_code == 200
                sent = "; ".join(trips) if trips else "-"
                print(f"| {route} | {len(statements)} | {len(trips)} | {sent} |")


if __name__ == "__main__":
    main()
