"""The Test runs page in a real browser: a run on a labelled folder, from start to the gallery.

Screenshot: test-results/ui/test-run.png."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.integration.platform_server import PlatformServer
from tests.ui.conftest import SHOTS, WAIT_MS, browser_api

sync_api = browser_api()
SHOT = SHOTS / "test-run.png"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def job_id(server: PlatformServer, tiny_digits: Path) -> int:
    """A tiny classifier trained for one epoch by the server's own scheduler."""
    return server.train_tiny_classifier(tiny_digits)


@pytest.fixture(scope="module")
def relabelled(tiny_digits: Path) -> Path:
    """Every digit image under both labels: whatever the model answers, half are mistakes."""
    root = tiny_digits.parent / "digits-relabelled"
    images = sorted(tiny_digits.rglob("*.png"))
    for label in ("0", "1"):
        (root / label).mkdir(parents=True, exist_ok=True)
        for image in images:
            shutil.copy(image, root / label / f"{image.parent.name}_{image.name}")
    return root


def test_a_test_run_from_start_to_the_mistakes_gallery(
    page: sync_api.Page, job_id: int, relabelled: Path
) -> None:
    expect = sync_api.expect
    num_images = len(list(relabelled.rglob("*.png")))
    page.goto("/tests")
    expect(page.get_by_role("heading", name="Test runs")).to_be_visible()
    page.locator(".test-runs select").select_option(str(job_id))
    page.get_by_label("Labelled test folder").fill(str(relabelled))
    page.get_by_role("button", name="Start test run").click()

    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=WAIT_MS)
    expect(page.get_by_text("(completed)")).to_be_visible()
    expect(page.locator(".stat", has_text="Images")).to_contain_text(str(num_images))

    heatmap = page.get_by_test_id("confusion-matrix")
    expect(heatmap.locator("tbody td")).to_have_count(4)
    counts = [int(c) for c in heatmap.locator("tbody td").all_inner_texts()]
    assert sum(counts) == num_images and counts[0] + counts[3] == num_images // 2
    expect(page.get_by_test_id("per-class").locator("tbody tr")).to_have_count(2)

    curve = page.get_by_test_id("chart-F1 vs confidence threshold")
    expect(curve).to_have_attribute("data-points", "19")
    expect(curve.locator("canvas")).to_be_visible()
    expect(curve).to_contain_text(re.compile(r"Recommended threshold: [01]\.\d{3}"))
    assert 0 < float(curve.get_attribute("data-markers") or "nan") <= 1

    cards = page.get_by_test_id("mistake")
    expect(cards).to_have_count(num_images // 2)  # at most 20 are listed; here 16
    expect(cards.first).to_contain_text("True")
    page.wait_for_function(
        """n => {
            const images = [...document.querySelectorAll('[data-testid="mistake"] img')];
            return images.length === n && images.every(i => i.complete && i.naturalWidth > 0);
        }""",
        arg=num_images // 2,
        timeout=30_000,
    )
    widths = cards.locator("img").evaluate_all("images => images.map(i => i.naturalWidth)")
    assert widths == [32] * (num_images // 2)
    assert all(
        src.startswith("blob:")
        for src in cards.locator("img").evaluate_all("images => images.map(i => i.src)")
    )
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT), full_page=True)
