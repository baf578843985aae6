"""Fixtures of the browser tests: a live `vp serve` with tiny data, and Debian's Chromium on it.

A test module starts with `sync_api = browser_api()`, which skips it (and says why) where the
browser, the built UI or Playwright is missing. Screenshots go to SHOTS (test-results/ui/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.integration.fixtures import tiny_digits  # noqa: F401
from tests.integration.platform_server import PlatformServer
from vision_platform.api.frontend import STATIC_DIR

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "ui"
WAIT_MS = 240_000  # a bound for a stuck job to fail the test, not a timing check


def browser_api() -> ModuleType:
    """playwright.sync_api, or the calling test module skipped with the reason."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium)",
            allow_module_level=True,
        )
    if not (STATIC_DIR / "index.html").is_file():
        pytest.skip("the web UI is not built: run `make install`", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_digits: Path,  # noqa: F811 (the fixture imported above)
) -> Iterator[PlatformServer]:
    home = tmp_path_factory.mktemp("ui-home")
    # One math thread per trainer: on a small shared machine, threads that wait for each other
    # on busy cores make tiny epochs several times slower.
    platform = PlatformServer(home=home, data_root=tiny_digits.parent, OMP_NUM_THREADS="1").start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def page(server: PlatformServer) -> Iterator[Any]:
    """A Chromium page (playwright's Page) whose relative URLs go to `server`."""
    from playwright import sync_api

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
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
        context = browser.new_context(
            base_url=server.url, locale="en-US", viewport={"width": 1280, "height": 900}
        )
        yield context.new_page()
        context.close()
        browser.close()
