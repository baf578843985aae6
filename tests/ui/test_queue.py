"""The queue in a real browser: priority on the new-job form and the job page, the queue page
(waiting jobs in order, with reasons), and a preemption in the victim's attempt history.

The server schedules nothing (VP_MAX_CONCURRENT_JOBS=0); the test plays the scheduler on the
same database, so that no trainer runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.platform_server import PlatformServer
from tests.ui.conftest import SHOTS, browser_api
from vision_platform.db.session import Database
from vision_platform.errors import EXIT_RESUMABLE
from vision_platform.jobs.service import JobService
from vision_platform.settings import Settings

sync_api = browser_api()
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_digits: Path,
) -> Iterator[PlatformServer]:
    home = tmp_path_factory.mktemp("ui-queue")
    platform = PlatformServer(
        home=home, data_root=tiny_digits.parent, VP_MAX_CONCURRENT_JOBS="0"
    ).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def scheduler(server: PlatformServer) -> Iterator[JobService]:
    """The jobs service on the server's database, with one slot: the test's own scheduler."""
    home = Path(server.env["VP_HOME"])
    settings = Settings(home=home, max_concurrent_jobs=1)
    db = Database(settings.sqlalchemy_url)
    yield JobService(db, settings)
    db.dispose()


def test_priorities_the_queue_page_and_a_preemption(
    page: Any, server: PlatformServer, scheduler: JobService, tiny_digits: Path
) -> None:
    expect = sync_api.expect
    body = {"model_name": "resnet10t", "dataset_path": str(tiny_digits), "num_epochs": 20}
    low = server.create(**body, priority="low")["id"]
    (claim,) = scheduler.claim(scheduler_id="test", limit=1)  # the low job runs
    normal = server.create(**body)["id"]

    page.goto("/jobs/new")
    page.get_by_label("Model name").fill("resnet10t")
    page.get_by_label("Data set path").fill(str(tiny_digits))
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Start training").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    high = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("waiting-reason")).to_have_text(
        "Waiting: #1 — next; waits for a free slot (1 running)"
    )

    page.goto("/queue")
    running = page.get_by_test_id(f"queue-row-{low}")
    expect(running).to_contain_text("low")
    rows = page.locator("[data-testid^=queue-row-]")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_have_attribute("data-testid", f"queue-row-{high}")
    expect(rows.nth(2)).to_contain_text("1 job ahead")
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    # The scheduler's round: the high job preempts the low one, whose trainer saves and exits 75.
    assert scheduler.preempt() == low
    scheduler.finish_attempt(low, claim.attempt, exit_code=EXIT_RESUMABLE, log_tail=[])
    page.reload()
    expect(page.get_by_test_id(f"queue-row-{low}")).to_contain_text(
        f"preempted by job {high} at epoch 0; resumes when a slot frees"
    )

    page.goto(f"/jobs/{low}")
    attempt = page.locator(".history summary", has_text="Attempt 1")
    expect(attempt).to_contain_text(f"preempted by job {high}")
    page.get_by_label("Priority").select_option("high")  # PATCH: it now goes before `normal`
    expect(page.get_by_label("Priority")).to_have_value("high")
    page.goto(f"/jobs/{normal}")
    expect(page.get_by_test_id("waiting-reason")).to_contain_text("#3")
    page.screenshot(path=str(SHOTS / "queue-preempted.png"), full_page=True)
