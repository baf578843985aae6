"""The chat's action cards in a real browser against a live `vp serve`: a job's status card
(progress bar, epoch i/N, curve) and the confirm card of a pause, answered with its button.
Screenshots go to test-results/ui/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.platform_server import PlatformServer
from tests.ui.conftest import SHOTS, WAIT_MS, browser_api

sync_api = browser_api()
pytestmark = pytest.mark.slow

LONG_RUN = 12  # epochs: enough that a pause after epoch 1 lands while it runs


def ask(page: Any, message: str) -> Any:
    """Send `message`; the newest platform turn once it has answered."""
    before = page.locator(".turn-platform").count()
    page.get_by_label(re.compile(r"^e\.g\. ")).fill(message)
    page.get_by_role("button", name="Send").click()
    answer = page.locator(".turn-platform").nth(before)
    sync_api.expect(answer).to_be_visible(timeout=60_000)
    return answer


def test_status_and_confirm_cards(page: Any, server: PlatformServer, tiny_digits: Path) -> None:
    expect = sync_api.expect
    job = server.create(model_name="resnet10t", dataset_path=str(tiny_digits),
                        num_epochs=LONG_RUN, batch_size=4, image_size=32, seed=0)  # fmt: skip
    job_id = job["id"]
    server.wait_epoch(job_id, 1)
    page.goto("/chat")

    status = ask(page, f"how is job {job_id} doing?").get_by_test_id("status-card")
    expect(status.get_by_role("link", name=f"Job #{job_id}")).to_be_visible()
    expect(status.get_by_text(re.compile(rf"^Epoch \d+/{LONG_RUN}$"))).to_be_visible()
    bar = status.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuemax", str(LONG_RUN))
    assert int(bar.get_attribute("aria-valuenow") or 0) >= 1
    page.screenshot(path=str(SHOTS / "chat-status-card.png"), full_page=True)

    confirm = ask(page, "pause it").get_by_test_id("confirm-card")
    expect(confirm).to_contain_text(f"Pause job {job_id} (resnet10t, epoch")
    page.screenshot(path=str(SHOTS / "chat-confirm-card.png"), full_page=True)
    assert server.job(job_id)["requested_action"] is None  # nothing happens before the yes
    confirm.get_by_role("button", name="Yes, do it").click()

    done = page.locator(".turn-platform").last
    expect(done).to_contain_text(f"Job {job_id} is pausing", timeout=WAIT_MS)
    expect(confirm.get_by_role("button")).to_have_count(0)  # answered: no buttons left
    paused = server.wait_status(job_id, "paused", "completed")
    assert paused["status"] == "paused", "the run finished before the pause reached it"
    ask(page, "status of it")
    expect(page.locator(".turn-platform").last.get_by_test_id("status-card")).to_contain_text(
        "Paused"
    )
    page.screenshot(path=str(SHOTS / "chat-paused.png"), full_page=True)
