"""The web UI in a real browser (Debian's Chromium) against a live `vp serve` with tiny jobs.

Screenshots of each page go to test-results/ui/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ui.conftest import SHOTS, WAIT_MS, browser_api

sync_api = browser_api()
pytestmark = pytest.mark.slow


def test_create_a_job_watch_it_train_and_try_it(page: sync_api.Page, tiny_digits: Path) -> None:
    expect = sync_api.expect
    page.goto("/jobs")
    expect(page.get_by_role("heading", name="Training jobs")).to_be_visible()
    page.screenshot(path=str(SHOTS / "jobs-empty.png"), full_page=True)

    page.get_by_role("link", name="New job").click()
    page.get_by_label("Model name", exact=True).fill("resnet10t")
    page.get_by_label("Data set path").fill(str(tiny_digits))
    page.get_by_label("Epochs", exact=True).fill("2")
    page.get_by_label("Batch size", exact=True).fill("4")
    page.get_by_label("Image size", exact=True).fill("32")
    expect(page.get_by_label("optimizer_type")).to_have_value("adam")  # the easy preset
    page.screenshot(path=str(SHOTS / "new-job.png"), full_page=True)
    page.get_by_role("button", name="Start training").click()

    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    job_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator(".badge-completed")).to_be_visible(timeout=WAIT_MS)
    chart = page.get_by_test_id("chart-Accuracy / mAP")
    expect(chart).to_have_attribute("data-points", "2")
    expect(page.get_by_test_id("chart-Losses")).to_have_attribute("data-points", "2")
    expect(page.get_by_test_id("log-tail")).to_contain_text("Training completed")
    page.screenshot(path=str(SHOTS / "job.png"), full_page=True)

    page.goto("/jobs")
    expect(page.get_by_test_id(f"job-row-{job_id}")).to_contain_text("2/2")
    page.screenshot(path=str(SHOTS / "jobs.png"), full_page=True)

    page.goto("/playground")
    page.locator(".playground select").select_option(str(job_id))
    image = next((tiny_digits / "val").glob("*/*.png"))
    page.get_by_label("Image", exact=True).set_input_files(str(image))
    prediction = page.get_by_test_id("prediction")
    expect(prediction).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("top5-row")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "playground.png"), full_page=True)


def test_unknown_client_routes_load_the_ui(page: sync_api.Page) -> None:
    page.goto("/some/client/route")
    expect = sync_api.expect
    expect(page.get_by_role("heading", name="Training jobs")).to_be_visible()
    page.get_by_label("Language").select_option("ko")
    expect(page.get_by_role("heading", name="학습 작업")).to_be_visible()
    # Hangul comes from the font the UI ships, not from whatever the machine has (often nothing).
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("Noto Sans KR" in family for family in loaded), loaded
    # ... and the heading's own font stack draws Hangul with it (not with a fallback's boxes).
    widths = page.evaluate(
        """() => {
            const style = getComputedStyle(document.querySelector("h1"));
            const ctx = document.createElement("canvas").getContext("2d");
            const width = (family) => {
                ctx.font = `${style.fontWeight} ${style.fontSize} ${family}`;
                return ctx.measureText("학습 작업").width;
            };
            return [width(style.fontFamily), width('"Noto Sans KR"')];
        }"""
    )
    assert widths[0] == widths[1], widths
    page.screenshot(path=str(SHOTS / "jobs-ko.png"), full_page=True)
