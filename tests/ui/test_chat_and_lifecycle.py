"""The chat and pause/resume in a real browser against a live `vp serve`, with tiny jobs.

The jobs list and the job page are followed live (their event streams), never reloaded.
Screenshots go to test-results/ui/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import SHOTS, WAIT_MS, browser_api

sync_api = browser_api()
pytestmark = pytest.mark.slow

LONG_RUN = 12  # epochs: enough that a pause after epoch 1 lands while it runs


def start_from_chat(page: Any, request: str, card_rows: dict[str, str], shot: str) -> int:
    """Ask for a job in the chat, check the settings card, start it; returns the job's id."""
    expect = sync_api.expect
    page.goto("/chat")
    page.get_by_label(re.compile(r"^e\.g\. ")).fill(request)
    page.get_by_role("button", name="Send").click()
    card = page.get_by_role("region", name="Parsed settings")
    for name, value in card_rows.items():
        row = card.locator(".setting", has=page.get_by_text(name, exact=True))
        expect(row.locator("dd")).to_have_text(value)
    page.screenshot(path=str(SHOTS / f"{shot}-settings.png"), full_page=True)
    page.get_by_role("button", name="Start training").click()
    link = page.get_by_role("link", name=re.compile(r"^Open job #\d+$"))
    expect(link).to_be_visible(timeout=60_000)  # the server checks the data set first
    expect(page.get_by_role("button", name="Start training")).to_be_disabled()
    page.screenshot(path=str(SHOTS / f"{shot}-started.png"), full_page=True)
    return int((link.text_content() or "").rsplit("#", 1)[1])


def expect_chart_epochs(page: Any, title: str, last: int) -> None:
    """The chart has one point per epoch 1..last, each once."""
    chart = page.get_by_test_id(f"chart-{title}")
    sync_api.expect(chart).to_have_attribute("data-points", str(last))
    sync_api.expect(chart).to_have_attribute(
        "data-epochs", ",".join(str(e) for e in range(1, last + 1))
    )


def test_a_chat_request_trains_a_job_that_the_list_and_charts_follow(
    page: Any, tiny_digits: Path
) -> None:
    expect = sync_api.expect
    job_id = start_from_chat(
        page,
        f"resnet18로 분류 학습해줘, 에폭 3, 배치 4, 이미지 크기 32, 데이터 {tiny_digits}",
        {
            "Model": "resnet18",
            "Task": "classification",
            "Epochs": "3",
            "Batch size": "4",
            "Image size": "32",
            "Data set": str(tiny_digits),
        },
        shot="chat",
    )

    page.get_by_role("link", name="Jobs", exact=True).click()
    row = page.get_by_test_id(f"job-row-{job_id}")
    expect(row).to_contain_text("resnet18")
    expect(row.locator(".badge-running")).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / "chat-jobs-running.png"), full_page=True)
    expect(row.locator(".badge-completed")).to_be_visible(timeout=WAIT_MS)
    expect(row.locator(".epoch-cell")).to_have_text("3/3")
    expect(row).to_contain_text("val_acc")
    page.screenshot(path=str(SHOTS / "chat-jobs-completed.png"), full_page=True)

    row.get_by_role("link", name=f"#{job_id}").click()
    expect(page.locator(".badge-completed")).to_be_visible()
    expect_chart_epochs(page, "Losses", 3)
    expect_chart_epochs(page, "Accuracy / mAP", 3)
    expect(page.get_by_test_id("log-tail")).to_contain_text("Training completed")
    page.screenshot(path=str(SHOTS / "chat-job.png"), full_page=True)


def test_pause_then_resume_from_the_next_epoch_until_complete(page: Any, tiny_digits: Path) -> None:
    expect = sync_api.expect
    job_id = start_from_chat(
        page,
        f"train resnet18 on {tiny_digits} for {LONG_RUN} epochs, batch 4, image size 16",
        {"Model": "resnet18", "Epochs": str(LONG_RUN), "Image size": "16"},
        shot="pause",
    )
    page.get_by_role("link", name=f"Open job #{job_id}").click()
    summary = page.locator(".summary")
    expect(page.locator(".badge-running")).to_be_visible(timeout=WAIT_MS)
    expect(summary).to_contain_text(re.compile(rf"Epoch [1-9]\d*/{LONG_RUN}"), timeout=WAIT_MS)
    page.get_by_role("button", name="Pause").click()

    ended = page.locator(".badge-paused, .badge-completed")
    expect(ended).to_be_visible(timeout=WAIT_MS)
    assert "badge-paused" in (ended.get_attribute("class") or ""), "it ended before the pause"
    epoch = int(re.findall(rf"Epoch (\d+)/{LONG_RUN}", summary.inner_text())[0])
    assert 1 <= epoch < LONG_RUN
    expect_chart_epochs(page, "Losses", epoch)
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "pause-paused.png"), full_page=True)

    page.get_by_role("button", name=f"Resume training from epoch {epoch + 1}").click()
    # Epochs only grow: once the summary leaves epoch N it is past it.
    expect(summary).not_to_contain_text(f"Epoch {epoch}/{LONG_RUN}", timeout=WAIT_MS)
    expect(page.get_by_test_id("log-tail")).to_contain_text(
        f"Resuming training from epoch {epoch + 1}"
    )
    page.screenshot(path=str(SHOTS / "pause-resumed.png"), full_page=True)
    expect(page.locator(".badge-completed")).to_be_visible(timeout=WAIT_MS)
    expect(summary).to_contain_text(f"Epoch {LONG_RUN}/{LONG_RUN}")
    expect_chart_epochs(page, "Losses", LONG_RUN)
    expect(page.locator(".history")).to_contain_text("Attempts: 2 · Failures: 0")
    page.screenshot(path=str(SHOTS / "pause-completed.png"), full_page=True)
