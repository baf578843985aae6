"""Ctrl+C on `vp serve` while a job runs: what the trainer reports meanwhile is not lost."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.faults.conftest import restarted, trainer_epochs
from tests.integration.platform_server import PlatformServer, wait_for

EPOCHS = 6  # 1 seen, 2 while the server is down, the rest after the restart


def hold_a_request_open(server: PlatformServer) -> socket.socket:
    """A request whose body has not arrived yet (a slow upload): uvicorn's graceful shutdown
    stops listening at once but waits for it, so the server is down for as long as it lasts."""
    conn = socket.create_connection(("127.0.0.1", server.port))
    conn.sendall(
        b"POST /api/v1/configs/validate HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n"
    )
    return conn


def refuses_connections(server: PlatformServer) -> bool:
    try:
        server.api.get("/health")
    except httpx.ConnectError:
        return True
    return False


@pytest.mark.slow
def test_epochs_that_end_while_the_server_goes_down_reach_it_after_the_restart(
    tmp_path: Path, tiny_digits: Path
) -> None:
    server = PlatformServer(home=tmp_path / ".vp", data_root=tiny_digits.parent).start()
    job_id = server.create(
        model_name="resnet10t",
        dataset_path=str(tiny_digits),
        num_epochs=EPOCHS,
        batch_size=4,
        image_size=32,
        seed=3,
    )["id"]
    server.wait_epoch(job_id, 1)
    run_dir = tmp_path / ".vp" / "jobs" / f"job_{job_id}"
    slow_upload = hold_a_request_open(server)
    assert server.process is not None
    server.process.send_signal(signal.SIGINT)  # Ctrl+C
    wait_for(lambda: refuses_connections(server), what="the server to stop listening")
    seen = len(trainer_epochs(run_dir))
    wait_for(
        lambda: len(trainer_epochs(run_dir)) >= seen + 2,
        what="two epochs to end while the server is down",
    )
    slow_upload.sendall(b"{}")  # the upload ends; the shutdown goes on and stops the trainer
    slow_upload.close()
    server.process.wait(timeout=120)
    attempt_log = (run_dir / "logs" / "attempt-1.log").read_text()
    assert "could not reach the platform; kept in" in attempt_log, attempt_log

    again = restarted(server)
    try:
        done = again.wait_status(job_id, "completed", "failed")
        assert done["status"] == "completed", again.log_text(job_id)
        points = again.api.get(f"/jobs/{job_id}/metrics").json()["points"]
        assert [p["epoch"] for p in points] == list(range(1, EPOCHS + 1))
        assert trainer_epochs(run_dir) == list(range(1, EPOCHS + 1))
        logs = again.api.get(f"/jobs/{job_id}/logs", params={"limit": 1000}).json()["items"]
        stopped = [line for line in logs if line["message"].startswith("Stopped early")]
        assert [line["attempt"] for line in stopped] == [1], logs  # said while it was down
        assert not (run_dir / "outbox.jsonl").exists()  # everything delivered
    finally:
        again.stop()
