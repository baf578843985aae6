"""Web UI: gzipped size of the initial JS bundle, and the time the jobs page takes to render.

The jobs page is opened in headless Debian Chromium against a live `vp serve` whose database
holds `--jobs` jobs; the time is from navigation start until the table shows its rows (the
page follows the newest 1,000 jobs over the jobs event stream).

    .venv/bin/python benchmarks/ui.py [--jobs 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from api_load import fill, free_port

from vision_platform.api.frontend import STATIC_DIR

VP = str(Path(sys.executable).parent / "vp")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def initial_bundle_kb() -> tuple[str, float, float]:
    html = (STATIC_DIR / "index.html").read_text()
    script = re.search(r'<script[^>]*src="/?([^"]+\.js)"', html)
    if script is None:
        raise SystemExit("no script in index.html: build the UI first (make install)")
    data = (STATIC_DIR / script.group(1)).read_bytes()
    return script.group(1), len(data) / 1024, len(gzip.compress(data, 9)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    name, raw_kb, gz_kb = initial_bundle_kb()
    with tempfile.TemporaryDirectory() as tmp:
        url_db = f"sqlite:///{tmp}/vp.db"
        fill(url_db, args.jobs)
        port = free_port()
        server = subprocess.Popen(
            [VP, "serve", "--port", str(port), "--log-level", "warning"],
            env={
                "VP_HOME": f"{tmp}/home",
                "VP_DATABASE_URL": url_db,
                "VP_MAX_CONCURRENT_JOBS": "0",
                "PATH": "/usr/bin:/bin",
            },
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        times = []
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                rows = min(args.jobs, 1000)
                for _ in range(args.repeat + 1):
                    started = time.perf_counter()
                    page.goto(f"{base}/jobs")
                    page.wait_for_function(
                        f"document.querySelectorAll('tbody tr').length >= {rows}", timeout=60_000
                    )
                    times.append(time.perf_counter() - started)
                browser.close()
        finally:
            server.terminate()
            server.wait()
    render = statistics.median(times[1:])  # the first load warms the server and the browser
    print("| measure | value | goal |")
    print("| --- | --- | --- |")
    print(f"| initial JS bundle `{name}` | {raw_kb:.0f} KB, {gz_kb:.0f} KB gzipped | ≤ 300 KB gz |")
    print(
        f"| jobs page: navigation → {rows} rows shown ({args.jobs} jobs in the database), "
        f"median of {args.repeat} | {render * 1000:.0f} ms | < 1 s |"
    )


if __name__ == "__main__":
    main()
