"""Inference throughput and latency, measured in one run on the same images.

(a) the seed design's way: load the checkpoint, predict one image, commit a row, repeat;
(b) warm model cache, one image per call; (c) batched (32); (d) ONNX Runtime batched.
Then single-request latency of `POST /test/inference/single` on a live `vp serve` against the
raw in-process preprocessing + forward, at 1 and at 16 concurrent clients.

    .venv/bin/python benchmarks/inference.py [--images 256] [--requests 200]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from vision_platform.adapters.registry import load_for_inference
from vision_platform.datasets.digits import make_digits
from vision_platform.inference.predictor import Predictor

VP = str(Path(sys.executable).parent / "vp")


def train(data: Path, out: Path) -> Path:
    subprocess.run(
        [
            VP,
            "train",
            "--model-name",
            "resnet18",
            "--dataset-path",
            str(data),
            "--num-epochs",
            "1",
            "--batch-size",
            "32",
            "--image-size",
            "32",
            "--output-dir",
            str(out),
            "--seed",
            "0",
            "--export-onnx",
        ],
        check=True,
        capture_output=True,
    )
    return out / "weights" / "best.pt"


def seed_way(checkpoint: Path, images: list[Path], db: Path) -> float:
    """Reload per image and commit per image, as the seed design did."""
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE IF NOT EXISTS results (path TEXT, label TEXT, conf REAL)")
    started = time.perf_counter()
    for image in images:
        result = load_for_inference(checkpoint).infer_single(image)
        conn.execute(
            "INSERT INTO results VALUES (?, ?, ?)",
            (str(image), result.predicted_label, result.confidence),
        )
        conn.commit()
    conn.close()
    return time.perf_counter() - started


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def http_latencies(url: str, job_id: int, images: list[Path], clients: int) -> list[float]:
    """Each client thread keeps one connection open, as a real client would."""
    local = threading.local()

    def one(path: Path) -> float:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=60)
        started = time.perf_counter()
        r = local.client.post(
            "/api/v1/test/inference/single", json={"job_id": job_id, "image_path": str(path)}
        )
        r.raise_for_status()
        return (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--seed-images",
        type=int,
        default=32,
        help="images for the (slow) seed way; its rate is per image",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = make_digits(tmp / "data" / "digits", size=32)
        images = sorted((data / "train").rglob("*.png"))[: args.images]
        checkpoint = train(data, tmp / "run")
        onnx = tmp / "run" / "model.onnx"

        t_seed = seed_way(checkpoint, images[: args.seed_images], tmp / "seed.db")
        per_image_seed = t_seed / args.seed_images
        predictor = Predictor()
        predictor.predict(checkpoint, images[:2])
        predictor.predict(onnx, images[:2], backend="onnx")
        t_warm = timed(lambda: [predictor.predict(checkpoint, [p]) for p in images])
        t_batch = timed(lambda: predictor.predict(checkpoint, images, batch_size=32))
        t_onnx = timed(lambda: predictor.predict(onnx, images, backend="onnx", batch_size=32))
        n = len(images)
        rows = [
            ("(a) seed: reload + commit per image", per_image_seed),
            ("(b) warm cache, one by one", t_warm / n),
            ("(c) warm cache, batched 32", t_batch / n),
            ("(d) ONNX Runtime, batched 32", t_onnx / n),
        ]
        print(f"images={n} (seed way on {args.seed_images}) model=resnet18 32px, CPU")
        print("| way | ms per image | images/s | speed-up vs (a) |")
        print("| --- | --- | --- | --- |")
        for name, per in rows:
            print(f"| {name} | {per * 1000:.2f} | {1 / per:.1f} | {per_image_seed / per:.1f}x |")
        print(f"| ONNX batched vs eager batched | | | {t_batch / t_onnx:.2f}x |")

        model = load_for_inference(checkpoint)
        raw = []
        for p in images[: args.requests]:
            started = time.perf_counter()
            model.infer_single(p)
            raw.append((time.perf_counter() - started) * 1000)

        home = tmp / "home"
        job_dir = home / "jobs" / "job_1"
        (job_dir / "weights").mkdir(parents=True)
        shutil.copy(checkpoint, job_dir / "weights" / "best.pt")
        port = 8765
        env = {
            "VP_HOME": str(home),
            "VP_DATA_ROOTS": str(tmp / "data"),
            "VP_MAX_CONCURRENT_JOBS": "0",
            "PATH": "/usr/bin:/bin",
        }
        server = subprocess.Popen(
            [VP, "serve", "--port", str(port), "--log-level", "warning"], env=env
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(f"{url}/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            created = httpx.post(
                f"{url}/api/v1/jobs",
                json={
                    "model_name": "resnet18",
                    "dataset_path": str(data),
                    "num_epochs": 1,
                    "batch_size": 32,
                    "image_size": 32,
                },
            ).json()
            job_id = int(created["id"])
            assert job_id == 1, created
            reqs = images[: args.requests]
            http_latencies(url, job_id, reqs[:8], 1)  # warm-up: load the model
            one = http_latencies(url, job_id, reqs, 1)
            many = http_latencies(url, job_id, reqs, 16)
        finally:
            server.terminate()
            server.wait()
        raw_p50 = statistics.median(raw)
        print()
        print("| single-image latency | p50 ms | p99 ms | p50 / raw p50 |")
        print("| --- | --- | --- | --- |")
        print(
            f"| raw in-process preprocess + forward | {raw_p50:.2f} | "
            f"{percentile(raw, 0.99):.2f} | 1.00 |"
        )
        for name, lat in (("HTTP, 1 client", one), ("HTTP, 16 clients", many)):
            print(
                f"| {name} | {statistics.median(lat):.2f} | {percentile(lat, 0.99):.2f} | "
                f"{statistics.median(lat) / raw_p50:.2f} |"
            )


if __name__ == "__main__":
    main()
