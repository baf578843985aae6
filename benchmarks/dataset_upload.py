"""Data set upload: throughput against a plain copy of the same archive, and server memory.

Makes an ImageFolder of noise PNGs (noise does not compress, so the archive is as large as
its images) and zips it, stored. Starts a live `vp serve` (API only), then alternates a
plain file copy of the archive with an upload of it to `POST /datasets` (each under a new
name, so every upload is unpacked, checked with training's loaders, hashed and stored in
full). Before the first upload the server's peak RSS is reset (/proc/PID/clear_refs), so the
peak growth shows what streaming the archive in and checking it costs in memory.

    .venv/bin/python benchmarks/dataset_upload.py [--mb 100] [--kb 128] [--rounds 3]

The server runs the code on PYTHONPATH, so the same command measures another checkout.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' server

from tests.integration.platform_server import PlatformServer

BOUNDARY = "vp-bench-boundary"
CHUNK = 1 << 20


def noise_archive(path: Path, *, megabytes: int, kb: int) -> tuple[int, int]:
    """A stored zip of an ImageFolder (two classes) of noise PNGs; (files, bytes)."""
    side = int((kb * 1024 / 3) ** 0.5)
    rng = np.random.default_rng(0)
    count = max(4, megabytes * 1024 // kb)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(count):
            buf = io.BytesIO()
            pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
            zf.writestr(f"noise/class_{i % 2}/{i:05d}.png", buf.getvalue())
    return count, path.stat().st_size


def plain_copy(archive: Path, target: Path) -> float:
    started = time.perf_counter()
    shutil.copyfile(archive, target)
    seconds = time.perf_counter() - started
    target.unlink()
    return seconds


class _Body:
    """The multipart body, read from the archive a chunk at a time; notes when it is all sent."""

    def __init__(self, archive: Path, name: str) -> None:
        self.archive = archive
        self.name = name
        self.sent_at = 0.0

    def __iter__(self) -> Iterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{self.name}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        with open(self.archive, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()
        self.sent_at = time.perf_counter()


def upload(server: PlatformServer, archive: Path, name: str) -> tuple[float, float]:
    """(seconds until the last byte was sent, seconds until the answer) for one upload."""
    body = _Body(archive, name)
    started = time.perf_counter()
    response = httpx.post(
        f"{server.url}/api/v1/datasets",
        content=iter(body),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=1800,
    )
    done = time.perf_counter()
    assert response.status_code == 201, response.text
    return body.sent_at - started, done - started


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="archive size")
    parser.add_argument("--kb", type=int, default=128, help="size of each PNG")
    parser.add_argument("--rounds", type=int, default=3, help="copies and uploads, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        archive = tmp / "noise.zip"
        files, size = noise_archive(archive, megabytes=args.mb, kb=args.kb)
        (tmp / "data").mkdir()
        server = PlatformServer(
            home=tmp / "home",
            data_root=tmp / "data",
            VP_MAX_CONCURRENT_JOBS="0",
            VP_MAX_DATASET_MB=str(args.mb * 4),
        ).start()
        try:
            assert server.process is not None
            pid = server.process.pid
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # peak RSS := current RSS
            before = proc_status_kb(pid, "VmRSS")
            copies, sends, totals = [], [], []
            peak = before
            for i in range(args.rounds):
                copies.append(plain_copy(archive, tmp / "copy.zip"))
                sent, total = upload(server, archive, f"bench-{i}")
                sends.append(sent)
                totals.append(total)
                if i == 0:
                    peak = proc_status_kb(pid, "VmHWM")
        finally:
            server.stop()
    _print(args, files, size, statistics.median(copies), sends, totals, before, peak)


def _print(
    args: argparse.Namespace,
    files: int,
    size: int,
    copy_s: float,
    sends: list[float],
    totals: list[float],
    before_kb: int,
    peak_kb: int,
) -> None:
    mb = size / 2**20
    send_s, total_s = statistics.median(sends), statistics.median(totals)
    growth = (peak_kb - before_kb) / 1024
    print(
        f"archive: {mb:.1f} MB, {files} noise PNGs of ~{args.kb} kB (stored zip); "
        f"{args.rounds} rounds, medians; local storage"
    )
    print("| | seconds | MB/s | vs plain copy |")
    print("| --- | --- | --- | --- |")
    print(f"| plain file copy | {copy_s:.2f} | {mb / copy_s:.0f} | 1.00x |")
    print(f"| upload: body sent | {send_s:.2f} | {mb / send_s:.0f} | {send_s / copy_s:.1f}x |")
    print(
        f"| upload: answered (unpacked, checked, hashed, stored) | {total_s:.2f} | "
        f"{mb / total_s:.0f} | {total_s / copy_s:.1f}x |"
    )
    print()
    print("| server RSS before MB | peak RSS growth MB (first upload) | growth / archive |")
    print("| --- | --- | --- |")
    print(f"| {before_kb / 1024:.0f} | {growth:.1f} | {growth / mb:.1%} |")


if __name__ == "__main__":
    main()
