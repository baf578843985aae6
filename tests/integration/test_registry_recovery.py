"""The registry on real `vp serve` processes (SQLite, PostgreSQL) with a really trained job: a
version names the stored data set version its job trained on, and a `register_as` that a
crash left undone is registered after the restart, once, with two API processes running."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.archives import zip_folder
from tests.integration.platform_server import PlatformServer, wait_for


def versions(server: PlatformServer, name: str) -> list[dict[str, Any]]:
    answer = server.api.get(f"/models/{name}")
    if answer.status_code == 404:
        return []
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["versions"]
    return found


def left_unregistered(database_url: str, job_id: int, name: str) -> None:
    """The job's row as a server that died between its completion and its registration
    leaves it: completed, `register_as` set, no version of that model, nothing settled."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE training_jobs SET register_as = :name, register_settled_at = NULL "
                "WHERE id = :id AND status = 'completed'"
            ),
            {"name": name, "id": job_id},
        )
    engine.dispose()


def test_a_version_names_its_data_set_and_a_crash_loses_no_register_as(
    database_url: str, tiny_digits: Path, tmp_path: Path
) -> None:
    def platform(*serve_args: str) -> PlatformServer:
        return PlatformServer(
            home=tmp_path / ".vp",
            data_root=tiny_digits.parent,
            serve_args=serve_args,
            VP_DATABASE_URL=database_url,
        )

    first = platform().start()
    try:
        stored = first.upload_dataset("digits", zip_folder(tiny_digits, tmp_path / "digits.zip"))
        job_id = first.train_tiny_classifier(None, dataset=stored["ref"], register_as="digits")
        done = first.job(job_id)
        # Registered just after the completion is stored, by the scheduler that saw it.
        wait_for(lambda: bool(versions(first, "digits")), what="the registration", server=first)
        (version,) = versions(first, "digits")
        assert (version["job_id"], version["dataset_ref"]) == (job_id, stored["ref"])
        assert version["dataset"] == stored["uri"] == done["dataset_path"]
    finally:
        first.kill()  # a crash: SIGKILL
        first.stop()

    left_unregistered(database_url, job_id, "recovered")
    server = platform("--workers", "2").start()  # two API processes: one of them leads
    try:
        wait_for(lambda: bool(versions(server, "recovered")), what="the reconciler", server=server)
        time.sleep(1.5)  # several more rounds (0.2 s each) of whichever worker leads
        found = versions(server, "recovered")
        assert [(v["version"], v["job_id"]) for v in found] == [(1, job_id)]
        assert found[0]["dataset_ref"] == stored["ref"]
        lines = server.log_text(job_id).splitlines()
        assert lines.count("Registered as version 1 of model 'recovered'") == 1, lines
    finally:
        server.stop()
