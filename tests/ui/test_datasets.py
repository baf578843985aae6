"""The Data sets pages in a real browser against a live `vp serve`: drop an archive, see the
server refuse a bad one, see a version's report and gallery (labels and YOLO overlays), train on
it and see the job name the version, test the job on it; then every page again in Korean.

Screenshots: test-results/ui/datasets-*.png (English) and datasets-*-ko.png (Korean)."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from tests.archives import zip_entries, zip_folder
from tests.integration.platform_server import PlatformServer
from tests.ui.conftest import SHOTS, WAIT_MS, browser_api

sync_api = browser_api()
pytestmark = pytest.mark.slow

VERSION_URL = re.compile(r"/datasets/(\w+)\?version=([0-9a-f]{12})$")
# Each thumbnail fetched (with the token) and decoded: what the screenshots are to show.
THUMBNAILS_LOADED = """() => {
    const images = [...document.querySelectorAll('[data-testid=sample] img')];
    return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0);
}"""


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory, tiny_digits: Path) -> dict[str, Path]:
    """digits (ImageFolder), shapes (YOLO segmentation) and one with an entry outside it."""
    from vision_platform.datasets.shapes import make_shapes

    out = tmp_path_factory.mktemp("archives")
    shapes = make_shapes(out / "src" / "shapes", num_train=6, num_val=3, task="segment").parent
    return {
        "digits": zip_folder(tiny_digits, out / "digits.zip"),
        "shapes": zip_folder(shapes, out / "shapes.zip"),
        "bad": zip_entries(out / "bad.zip", {"digits/0/a.png": b"x", "../evil.txt": b"x"}),
    }


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def drop_file(page: Any, target: str, archive: Path) -> None:
    """Drop `archive` on `target` as a browser does: a drop event carrying a DataTransfer."""
    data = base64.b64encode(archive.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "application/zip" }));
            return transfer;
        }""",
        [archive.name, data],
    )
    page.dispatch_event(target, "dragover", {"dataTransfer": transfer})
    page.dispatch_event(target, "drop", {"dataTransfer": transfer})


def upload_bad_archive(page: Any, bad: Path) -> None:
    expect = sync_api.expect
    page.goto("/datasets")
    expect(page.get_by_text("No data sets yet")).to_be_visible()
    page.get_by_label("Archive").set_input_files(str(bad))
    expect(page.get_by_label("Name", exact=True)).to_have_value("bad")
    page.get_by_role("button", name="Upload", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Upload failed")
    expect(alert).to_contain_text("../evil.txt")
    shoot(page, "datasets-upload-error")


def drop_digits(page: Any, digits: Path) -> str:
    """Drop the digits archive, upload it; its page with the report and gallery: the ref."""
    expect = sync_api.expect
    drop_file(page, "[data-testid=dataset-dropzone]", digits)
    expect(page.get_by_text("digits.zip (")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_value("digits")
    expect(page.get_by_role("alert")).to_have_count(0)  # a new file clears the last refusal
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(VERSION_URL)
    match = VERSION_URL.search(page.url)
    assert match is not None
    ref = f"digits@{match.group(2)}"
    expect(page.get_by_role("status")).to_have_text(f"New version {ref}.")
    report = page.get_by_test_id("report")
    expect(report.get_by_role("heading", name=f"Report of {ref}")).to_be_visible()
    expect(report.locator(".stat", has_text="Format")).to_contain_text("imagefolder")
    expect(report.get_by_test_id("class-bar")).to_have_count(2)
    expect(report.get_by_test_id("splits")).to_contain_text("train")
    expect(page.get_by_test_id("sample")).to_have_count(16)
    page.wait_for_function(THUMBNAILS_LOADED)
    expect(page.locator(".sample-label").first).to_have_text(re.compile(r"^[01]$"))
    page.get_by_label("Class", exact=True).select_option("1")
    expect(page.get_by_test_id("sample-range")).to_have_text("1–8 of 8")
    page.get_by_label("Class", exact=True).select_option("")
    page.wait_for_function(THUMBNAILS_LOADED)
    shoot(page, "datasets-digits")
    return ref


def throttle_uploads(page: Any, bytes_per_second: int) -> None:
    """Chromium's network emulation: uploads crawl, so that their progress can be watched."""
    cdp = page.context.new_cdp_session(page)
    conditions = {"offline": False, "latency": 0, "downloadThroughput": -1}
    conditions["uploadThroughput"] = bytes_per_second
    cdp.send("Network.emulateNetworkConditions", conditions)


def upload_shapes(page: Any, shapes: Path) -> None:
    """Upload the YOLO archive slowly (its progress bar moves), then see its boxes and polygons."""
    expect = sync_api.expect
    page.goto("/datasets")
    page.get_by_label("Archive").set_input_files(str(shapes))
    throttle_uploads(page, shapes.stat().st_size // 4)  # about four seconds
    page.get_by_role("button", name="Upload", exact=True).click()
    progress = page.get_by_role("progressbar", name="Upload progress")
    expect(progress).to_have_attribute("aria-valuenow", re.compile(r"^[1-9]\d?$"))  # 1..99
    expect(page.get_by_text("Uploading shapes.zip:")).to_be_visible()
    shoot(page, "datasets-uploading")
    page.wait_for_url(VERSION_URL)
    throttle_uploads(page, -1)
    expect(page.get_by_test_id("report")).to_contain_text("segmentation")
    expect(page.get_by_label("Count")).to_have_value("instances")
    page.wait_for_function(THUMBNAILS_LOADED)
    boxes = page.get_by_test_id("sample").first.get_by_test_id("detection-box")
    expect(boxes.first.locator("polygon")).to_have_count(1)
    shoot(page, "datasets-shapes")
    page.goto("/datasets")
    expect(page.get_by_test_id("dataset-shapes")).to_contain_text("segmentation")
    expect(page.get_by_test_id("dataset-digits")).to_contain_text("classification")
    shoot(page, "datasets-list")


def train_on(page: Any, ref: str) -> int:
    """From the data set's page, Train on this: the job page names the version; the job id."""
    expect = sync_api.expect
    page.goto(f"/datasets/digits?version={ref.split('@')[1]}")
    page.get_by_role("button", name="Train on this").click()
    page.wait_for_url("**/jobs/new")
    expect(page.get_by_label("Data set", exact=True)).to_have_value(ref)
    expect(page.get_by_label("Data set path")).to_have_count(0)
    page.get_by_label("Model name", exact=True).fill("resnet10t")
    page.get_by_label("Epochs", exact=True).fill("1")
    page.get_by_label("Batch size", exact=True).fill("4")
    page.get_by_label("Image size", exact=True).fill("32")
    shoot(page, "datasets-new-job")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    link = page.get_by_test_id("job-dataset").get_by_role("link", name=ref)
    expect(link).to_have_attribute("href", f"/datasets/digits?version={ref.split('@')[1]}")
    expect(page.locator(".badge-completed")).to_be_visible(timeout=WAIT_MS)
    shoot(page, "datasets-job")
    job_id = int(page.url.rsplit("/", 1)[1])
    link.click()
    expect(page.get_by_test_id(f"version-{ref.split('@')[1]}")).to_have_class("selected")
    return job_id


def run_a_test_on(page: Any, ref: str, job_id: int) -> None:
    expect = sync_api.expect
    page.goto("/tests")
    page.get_by_label("Model (completed job)").select_option(str(job_id))
    expect(page.get_by_label("Test data")).to_have_value(ref)  # the version it trained on
    page.get_by_role("button", name="Start test run").click()
    progress = page.get_by_role("progressbar", name="Progress")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=WAIT_MS)
    expect(page.locator(".run").get_by_role("link", name=ref)).to_be_visible()
    shoot(page, "datasets-test-run")


def test_drop_see_the_report_and_gallery_train_and_test_on_the_version(
    page: Any, archives: dict[str, Path]
) -> None:
    upload_bad_archive(page, archives["bad"])
    ref = drop_digits(page, archives["digits"])
    upload_shapes(page, archives["shapes"])
    job_id = train_on(page, ref)
    run_a_test_on(page, ref, job_id)


def _stored_state(server: PlatformServer, archives: dict[str, Path]) -> tuple[str, int]:
    """The digits ref and a job trained on it: the first test's, or made here when it ran alone."""
    items = server.api.get("/datasets").json()["items"]
    if not any(d["name"] == "shapes" for d in items):
        with open(archives["shapes"], "rb") as f:
            server.api.post("/datasets", data={"name": "shapes"}, files={"file": ("s.zip", f)})
    with open(archives["digits"], "rb") as f:
        answer = server.api.post("/datasets", data={"name": "digits"}, files={"file": ("d.zip", f)})
    ref: str = answer.json()["ref"]
    jobs = [j for j in server.api.get("/jobs").json()["items"] if j["dataset"] == ref]
    if jobs:
        return ref, int(jobs[0]["id"])
    job = server.create(model_name="resnet10t", dataset=ref, num_epochs=1, batch_size=4)
    server.wait_status(job["id"], "completed", "failed")
    return ref, int(job["id"])


def test_every_data_set_page_in_korean(
    page: Any, server: PlatformServer, archives: dict[str, Path]
) -> None:
    expect = sync_api.expect
    ref, job_id = _stored_state(server, archives)
    page.goto("/datasets")
    page.get_by_label("Language").select_option("ko")
    expect(page.get_by_role("heading", name="데이터셋 업로드")).to_be_visible()
    shoot(page, "datasets-list-ko")
    page.get_by_test_id("dataset-digits").get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"{ref} 보고서")).to_be_visible()
    page.wait_for_function(THUMBNAILS_LOADED)
    shoot(page, "datasets-digits-ko")
    page.goto("/datasets/shapes")
    page.wait_for_function(THUMBNAILS_LOADED)
    shoot(page, "datasets-shapes-ko")
    page.goto(f"/datasets/digits?version={ref.split('@')[1]}")
    page.get_by_role("button", name="이 데이터로 학습").click()
    expect(page.get_by_label("데이터셋", exact=True)).to_have_value(ref)
    expect(page.get_by_label("optimizer_type")).to_be_visible()  # the whole form is there
    shoot(page, "datasets-new-job-ko")
    page.goto(f"/jobs/{job_id}")
    expect(page.get_by_test_id("job-dataset")).to_contain_text(f"데이터셋: {ref}")
    shoot(page, "datasets-job-ko")
    page.goto("/tests")
    page.get_by_label("모델 (완료된 작업)").select_option(str(job_id))
    expect(page.get_by_label("테스트 데이터")).to_have_value(ref)
    shoot(page, "datasets-test-run-ko")
    page.get_by_label("언어").select_option("en")
