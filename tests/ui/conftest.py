"""Fixtures of the browser tests: a live `vp serve` on tiny data and a page in Debian's Chromium.

Every browser test takes `page`, which skips (saying why) when Chromium, the built UI or
Playwright is missing. Screenshots go to test-results/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.integration.fixtures import tiny_digits  # noqa: F401
from tests.integration.platform_server import PlatformServer
from vision_platform.api.frontend import STATIC_DIR

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium)"
        )
    if not (STATIC_DIR / "index.html").is_file():
        pytest.skip("the web UI is not built: run `make install`")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_digits: Path,  # noqa: F811 (the fixture imported above)
) -> Iterator[PlatformServer]:
    home = tmp_path_factory.mktemp("ui-home")
    platform = PlatformServer(home=home, data_root=tiny_digits.parent).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def page(browser: Browser, server: PlatformServer) -> Iterator[Page]:
    (RESULTS / "ui").mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        base_url=server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    yield context.new_page()
    context.close()
