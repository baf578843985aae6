"""The registry's pages in a real browser: promote a version and predict through it by name,
and compare two runs picked in the jobs table. Screenshots go to test-results/ui/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.platform_server import PlatformServer
from tests.ui.conftest import SHOTS, browser_api

sync_api = browser_api()
pytestmark = pytest.mark.slow


def train(server: PlatformServer, data: Path, **overrides: object) -> int:
    job = server.create(
        **{
            "model_name": "resnet10t",
            "dataset_path": str(data),
            "num_epochs": 1,
            "batch_size": 4,
            "image_size": 32,
            "seed": 0,
            **overrides,
        }
    )
    done = server.wait_status(job["id"], "completed", "failed")
    assert done["status"] == "completed", server.log_text(job["id"])
    return int(job["id"])


@pytest.fixture(scope="module")
def jobs(server: PlatformServer, tiny_digits: Path) -> tuple[int, int]:
    """Two completed runs, registered as versions 1 and 2 of `digits`."""
    first = train(server, tiny_digits, register_as="digits")
    second = train(server, tiny_digits, num_epochs=2, learning_rate=0.003)
    assert server.api.post("/models/digits/versions", json={"job_id": second}).status_code == 201
    return first, second


def test_promote_a_version_and_predict_through_it(
    page: sync_api.Page, jobs: tuple[int, int], tiny_digits: Path
) -> None:
    expect = sync_api.expect
    page.goto("/models")
    page.get_by_role("link", name="digits").click()
    expect(page.get_by_text("No version is in production yet.")).to_be_visible()
    promote = page.get_by_test_id("version-row-2").get_by_role(
        "button", name="Promote to production"
    )
    promote.click()
    expect(page.get_by_text("digits serves v2")).to_be_visible()
    expect(page.get_by_test_id("version-row-2")).to_contain_text("production")
    expect(promote).to_be_disabled()
    page.screenshot(path=str(SHOTS / "models.png"), full_page=True)

    page.goto("/playground")
    page.locator(".playground select").select_option("model:digits@production")
    image = next((tiny_digits / "val").glob("*/*.png"))
    page.get_by_label("Image", exact=True).set_input_files(str(image))
    expect(page.get_by_test_id("answered-by")).to_have_text("Answered by digits v2", timeout=60_000)
    expect(page.get_by_test_id("top5-row")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "playground-by-name.png"), full_page=True)

    page.goto("/models/digits")
    page.get_by_test_id("version-row-1").get_by_role("link", name="Try in playground").click()
    page.get_by_label("Image", exact=True).set_input_files(str(image))
    expect(page.get_by_test_id("answered-by")).to_have_text("Answered by digits v1", timeout=60_000)


def test_compare_two_runs_from_the_jobs_table(page: sync_api.Page, jobs: tuple[int, int]) -> None:
    expect = sync_api.expect
    first, second = jobs
    page.goto("/jobs")
    page.get_by_role("checkbox", name=f"Select job {first}").check()
    page.get_by_role("checkbox", name=f"Select job {second}").check()
    page.get_by_role("button", name="Compare selected (2)").click()
    expect(page.get_by_test_id("best-run")).to_contain_text("Best run: #")
    expect(page.get_by_test_id("diff-num_epochs")).to_contain_text("12")
    expect(page.get_by_test_id("diff-config.learning_rate")).to_contain_text("0.003")
    expect(page.get_by_test_id("chart-val_acc")).to_have_attribute("data-epochs", "1,2")
    page.screenshot(path=str(SHOTS / "compare.png"), full_page=True)
