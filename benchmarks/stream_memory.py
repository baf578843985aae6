"""Server memory while `POST /inference/stream` answers thousands of uploads in one request.

Starts a live `vp serve` (API only) with a trained resnet18 job, warms the model, resets the
server's peak RSS (/proc/PID/clear_refs), then sends N noise PNGs (~50 kB each, ~100 MB in all)
in one chunked request, one part at a time, reading the NDJSON lines as they come. Prints the
server's peak RSS growth against the bytes sent, and how much had been sent when the first line
arrived (a server that buffers the upload answers only after the last byte). Then times one
stream against `--streams` concurrent ones (of `--each` images each): their files share the
micro-batcher's forward passes, so the throughput should grow with the number of streams.

    .venv/bin/python benchmarks/stream_memory.py [--images 2000] [--kb 50] [--streams 4]

The server runs the code on PYTHONPATH, so the same command measures another checkout:
`PYTHONPATH=/path/to/other/src .venv/bin/python benchmarks/stream_memory.py`.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from inference import train
from PIL import Image

from vision_platform.datasets.digits import make_digits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' server and client

from tests.integration.platform_server import PlatformServer
from tests.integration.stream_client import StreamUpload, multipart_part


def noise_pngs(count: int, kb: int) -> list[bytes]:
    """`count` different PNGs of random pixels, each about `kb` kB (noise does not compress)."""
    side = int((kb * 1024 / 3) ** 0.5)
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        buf = io.BytesIO()
        pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(buf, format="PNG", compress_level=1)
        out.append(buf.getvalue())
    return out


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def stream(
    server: PlatformServer, job_id: int, images: list[bytes], count: int
) -> dict[str, float]:
    started = time.perf_counter()
    first_line_at = None
    lines = errors = 0
    with StreamUpload(server.port, "/api/v1/inference/stream", timeout=600) as upload:
        upload.part(multipart_part("job_id", str(job_id).encode()))
        body_start = upload.bytes_sent
        for i in range(count):
            data = images[i % len(images)]
            upload.part(multipart_part("files", data, filename=f"{i}.png"), last=i == count - 1)
            ready = upload.ready_lines()
            if ready and first_line_at is None:
                first_line_at = upload.bytes_sent - body_start
            lines += len(ready)
            errors += sum("error" in r for r in ready)
        sent = upload.bytes_sent - body_start
        assert upload.status() == 200
        while (row := upload.next_line()) is not None:
            first_line_at = sent if first_line_at is None else first_line_at
            lines += 1
            errors += "error" in row
    return {
        "sent": sent,
        "first_line_at": first_line_at or sent,
        "lines": lines,
        "errors": errors,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=50, help="size of each PNG")
    parser.add_argument("--streams", type=int, default=4, help="concurrent streams")
    parser.add_argument("--each", type=int, default=150, help="images per concurrent stream")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = make_digits(tmp / "data" / "digits", size=32, num_classes=3, per_class=20)
        checkpoint = train(data, tmp / "run")
        home = tmp / "home"
        server = PlatformServer(home=home, data_root=data.parent, VP_MAX_CONCURRENT_JOBS="0")
        server.start()
        try:
            job = server.create_with_model(checkpoint, dataset_path=data)
            images = noise_pngs(50, args.kb)
            stream(server, job, images, 20)  # warm-up: the model is loaded
            assert server.process is not None
            pid = server.process.pid
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # peak RSS := current RSS
            before = proc_status_kb(pid, "VmRSS")
            result = stream(server, job, images, args.images)
            peak = proc_status_kb(pid, "VmHWM")
            rates = {
                n: concurrent_rate(server, job, images, n, args.each) for n in (1, args.streams)
            }
        finally:
            server.stop()
    mb = 2**20
    growth = (peak - before) * 1024
    print(f"images={args.images} of ~{args.kb} kB (noise PNG), resnet18 32px, CPU, one request")
    print(
        "| sent MB | lines (errors) | server RSS before MB | peak RSS growth MB | "
        "growth / sent | first line after MB sent | s | images/s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {result['sent'] / mb:.1f} | {result['lines']:.0f} ({result['errors']:.0f}) | "
        f"{before / 1024:.0f} | {growth / mb:.1f} | {growth / result['sent']:.1%} | "
        f"{result['first_line_at'] / mb:.2f} | {result['seconds']:.1f} | "
        f"{args.images / result['seconds']:.0f} |"
    )
    print()
    print(f"| streams at once ({args.each} images each, ~{args.kb} kB) | images/s | vs 1 stream |")
    print("| --- | --- | --- |")
    for n, rate in rates.items():
        print(f"| {n} | {rate:.0f} | {rate / rates[1]:.2f}x |")


def concurrent_rate(
    server: PlatformServer, job_id: int, images: list[bytes], streams: int, each: int
) -> float:
    """Images per second over `streams` requests sent at once, each of `each` images."""
    threads = [
        threading.Thread(target=stream, args=(server, job_id, images, each)) for _ in range(streams)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return streams * each / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
