"""GET /jobs and GET /jobs/{id} as cheap reads: pages by cursor (right under concurrent
inserts), the total optional, list rows without the config, the JSON the schema documents."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from tests.unit.api.conftest import insert_jobs
from tests.unit.api.test_routes import body, make_settings
from vision_platform.api.app import create_app
from vision_platform.db.models import TrainingJob
from vision_platform.db.session import Database
from vision_platform.jobs.schemas import JobOut, JobPage


@pytest.fixture
def client(database_url: str, tiny_digits: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(database_url, tiny_digits, tmp_path / ".vp")
    with TestClient(create_app(settings, run_scheduler=False)) as c:
        yield c


def page(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/jobs", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    JobPage.model_validate(found)  # the documented schema, although no model wrote it
    return found


def test_cursor_pages_stay_right_while_jobs_are_created(
    client: TestClient, database_url: str
) -> None:
    """Every job there before the first page shows exactly once, in order, however many
    are created meanwhile (an offset page would shift by the inserts and repeat jobs)."""
    before = insert_jobs(client.app.state.jobs.db, 60)  # type: ignore[attr-defined]
    other_server = Database(database_url)
    stop = threading.Event()

    def create_meanwhile() -> None:
        while not stop.is_set():
            insert_jobs(other_server, 3)

    writer = threading.Thread(target=create_meanwhile)
    writer.start()
    try:
        seen: list[int] = []
        cursor: str | None = ""
        while cursor is not None:
            found = page(client, limit=7, cursor=cursor, total="false")
            assert found["total"] is None and found["offset"] == 0
            seen += [job["id"] for job in found["items"]]
            cursor = found["next_cursor"]
    finally:
        stop.set()
        writer.join()
        other_server.dispose()
    assert len(seen) == len(set(seen)) and seen == sorted(seen, reverse=True)
    assert set(before) <= set(seen)
    assert set(seen) - set(before) == {i for i in seen if i > max(before)}  # only newer ones


def test_list_rows_leave_the_config_to_the_job_route(client: TestClient, tiny_digits: Path) -> None:
    created = client.post("/api/v1/jobs", json=body(tiny_digits, preset="easy")).json()
    (row,) = page(client)["items"]
    assert "advanced_config" not in row
    detail = client.get(f"/api/v1/jobs/{created['id']}")
    assert detail.headers["content-type"] == "application/json"
    shown = detail.json()
    assert shown["advanced_config"] == created["advanced_config"]
    # The fast JSON is what the model would have written, datetimes ("…Z") included.
    assert shown == JobOut.model_validate(shown).model_dump(mode="json")
    # ... and the job as created, plus where it waits in the queue (GET only).
    standing = {"queue_position": 1, "waiting_reason": "next; starts on the scheduler's next round"}
    assert shown == {**created, **standing}
    # The detail's own fields: the config and how it was resolved for the run.
    detail_only = {"advanced_config", "preset_intent", "adjustments", "config_notes", *standing}
    assert shown["adjustments"] and shown["preset_intent"]
    assert row == {k: v for k, v in shown.items() if k not in detail_only}


def test_offset_pages_and_the_total_as_before(client: TestClient) -> None:
    ids = insert_jobs(client.app.state.jobs.db, 5)  # type: ignore[attr-defined]
    first = page(client, limit=2)
    assert ([j["id"] for j in first["items"]], first["total"]) == (ids[:-3:-1], 5)
    second = page(client, limit=2, offset=2)
    assert [j["id"] for j in second["items"]] == [ids[2], ids[1]]
    by_cursor = page(client, limit=2, cursor=first["next_cursor"])
    assert by_cursor["items"] == second["items"] and by_cursor["total"] == 5
    assert page(client, limit=5)["next_cursor"] == str(ids[0])
    assert page(client, limit=6)["next_cursor"] is None
    both = client.get("/api/v1/jobs", params={"offset": 2, "cursor": "9"})
    assert both.status_code == 422 and "cursor" in both.text
    assert client.get("/api/v1/jobs", params={"cursor": "x"}).status_code == 422


class Trips:
    """What one request costs the database: its statements, the pings before them, and the
    transactions PostgreSQL opens for them (a BEGIN and a ROLLBACK each: two round trips)."""

    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements: list[str] = []
        self.pings = 0
        self.transactions: set[int] = set()
        dialect = db.engine.dialect
        real_ping = dialect.do_ping

        def ping(dbapi_connection: Any) -> bool:
            self.pings += 1
            return real_ping(dbapi_connection)

        monkeypatch.setattr(dialect, "do_ping", ping)

        def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self.statements.append(statement.split()[0])
            dbapi = conn.connection.dbapi_connection
            if db.dialect == "postgresql" and not dbapi.autocommit:
                self.transactions.add(id(conn))

        event.listen(db.engine, "before_cursor_execute", executed)

    def of(self, client: TestClient, path: str) -> tuple[int, int, int]:
        self.statements.clear()
        self.pings = 0
        self.transactions.clear()
        response = client.get(path)
        assert response.status_code == 200, response.text
        return len(self.statements), self.pings, len(self.transactions)


def test_a_hot_read_is_one_statement_without_ping_or_transaction(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = client.app.state.jobs.db  # type: ignore[attr-defined]
    done = insert_jobs(db, 120)
    waiting = insert_jobs(db, 30, status="pending")
    trips = Trips(db, monkeypatch)
    hot = [
        "/api/v1/jobs?limit=50",
        "/api/v1/jobs?limit=50&total=false",
        "/api/v1/jobs?limit=50&status=pending",
        f"/api/v1/jobs?limit=50&cursor={done[-1]}",
        f"/api/v1/jobs/{done[3]}",
        f"/api/v1/jobs/{waiting[7]}",  # its place in the queue, kept under the marker
    ]
    for path in hot:
        trips.of(client, path)  # the first: the total counted, the queue's standings worked out
        assert trips.of(client, path) == (1, 0, 0), (path, trips.statements)
    # Anything else still runs in a transaction, on a connection checked before use.
    statements, pings, transactions = trips.of(client, f"/api/v1/jobs/{done[3]}/logs")
    assert statements >= 1
    if db.dialect == "postgresql":
        assert (pings, transactions) == (1, 1)


def test_a_kept_total_and_standing_follow_every_change(
    client: TestClient, database_url: str
) -> None:
    db = client.app.state.jobs.db  # type: ignore[attr-defined]
    insert_jobs(db, 4)
    waiting = insert_jobs(db, 3, status="pending")
    assert page(client)["total"] == 7
    assert page(client, status="pending")["total"] == 3
    assert client.get(f"/api/v1/jobs/{waiting[2]}").json()["queue_position"] == 3
    other_server = Database(database_url)  # changes this server's process does not see made
    try:
        added = insert_jobs(other_server, 2, status="pending")
        assert page(client)["total"] == 9
        assert page(client, status="pending")["total"] == 5
        with other_server.session() as session:
            session.execute(
                update(TrainingJob).where(TrainingJob.id == waiting[0]).values(status="cancelled")
            )
        assert page(client, status="pending")["total"] == 4
        assert page(client, status="cancelled")["total"] == 1
        assert page(client)["total"] == 9
        # A page kept under the marker shows a change that leaves every total as it was.
        with other_server.session() as session:
            session.execute(
                update(TrainingJob).where(TrainingJob.id == waiting[1]).values(current_epoch=7)
            )
        shown = {item["id"]: item for item in page(client)["items"]}
        assert shown[waiting[1]]["current_epoch"] == 7
        assert shown[waiting[0]]["status"] == "cancelled"
        assert client.get(f"/api/v1/jobs/{waiting[2]}").json()["queue_position"] == 2
        assert client.get(f"/api/v1/jobs/{added[1]}").json()["queue_position"] == 4
    finally:
        other_server.dispose()


def test_on_postgresql_the_requests_that_wait_at_once_share_one_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 clients at once: their jobs are read together, one statement at a time (each
    request by a read that began after it arrived), every answer its own job's, a 404 for the
    id that names none."""
    service = client.app.state.jobs  # type: ignore[attr-defined]
    if service.db.dialect != "postgresql":
        pytest.skip("on SQLite a hot read runs on the event loop, one at a time")
    ids = insert_jobs(service.db, 5)
    real = service.get_docs
    lock = threading.Lock()
    active = most = reads = 0

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal active, most, reads
        with lock:
            active += 1
            reads += 1
            most = max(most, active)
        try:
            time.sleep(0.02)
            return real(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(service, "get_docs", counted)
    wanted = [ids[i % 5] if i % 7 else 10_000 + i for i in range(120)]
    with ThreadPoolExecutor(40) as clients:
        codes = list(clients.map(lambda job: client.get(f"/api/v1/jobs/{job}"), wanted))
    for job, response in zip(wanted, codes, strict=True):
        if job >= 10_000:
            assert response.status_code == 404 and str(job) in response.json()["detail"]
        else:
            assert response.status_code == 200 and response.json()["id"] == job
    assert most == 1
    assert reads < len(wanted) / 2, reads
