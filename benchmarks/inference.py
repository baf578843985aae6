"""Inference throughput and latency, measured in one run on the same images.

(a) the seed design's way: load the checkpoint, predict one image, commit a row, repeat;
(b) warm model cache, one image per call; (c) batched (32); (d) ONNX Runtime batched.
Then single-request latency of `POST /test/inference/single` on a live `vp serve` against the
raw in-process preprocessing + forward, at 1 and at 16 concurrent clients (httpx), and at 1
client on a lean standard-library connection (what the server adds, without httpx's ~1 ms).
Last, uploads by job (`POST /jobs/{id}/predict`) against uploads by registered name
(`POST /models/{name}/predict`, the production alias): what resolving the name adds.

    .venv/bin/python benchmarks/inference.py [--images 256] [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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


def one_client_latencies(
    url: str, job_id: int, images: list[Path], raw: Callable[[Path], object], rounds: int = 5
) -> tuple[list[float], list[float], list[float]]:
    """Raw in-process calls, httpx requests and lean http.client requests, each timed in tight
    runs of len(images) / rounds, the three runs taking turns `rounds` times so that the
    machine's drift (other load, clocks) hits all three alike.

    http.client on one kept-open connection costs ~0.1 ms a request where httpx costs ~1 ms: it
    shows what the server adds, as wrk would see it; httpx shows what a Python client sees."""
    host, port = url.removeprefix("http://").split(":")
    lean = http.client.HTTPConnection(host, int(port), timeout=60)
    client = httpx.Client(base_url=url, timeout=60)
    headers = {"Content-Type": "application/json"}
    route = "/api/v1/test/inference/single"

    def by_httpx(path: Path) -> None:
        body = {"job_id": job_id, "image_path": str(path)}
        client.post(route, json=body).raise_for_status()

    def by_lean(path: Path) -> None:
        body = json.dumps({"job_id": job_id, "image_path": str(path)})
        lean.request("POST", route, body, headers)
        response = lean.getresponse()
        response.read()
        assert response.status == 200, response.status

    timings: dict[Callable[[Path], object], list[float]] = {raw: [], by_httpx: [], by_lean: []}
    size = max(1, len(images) // rounds)
    for start in range(0, len(images), size):
        for call, out in timings.items():
            for path in images[start : start + size]:
                started = time.perf_counter()
                call(path)
                out.append((time.perf_counter() - started) * 1000)
    lean.close()
    client.close()
    return timings[raw], timings[by_httpx], timings[by_lean]


def upload_latencies(url: str, routes: list[str], images: list[Path]) -> list[list[float]]:
    """Multipart uploads to each route on one kept-open http.client connection: every image
    to each route in turn, the first route taking turns too, so that the machine's drift (on
    2 shared cores, ~1 ms over minutes) falls on both alike."""
    host, port = url.removeprefix("http://").split(":")
    lean = http.client.HTTPConnection(host, int(port), timeout=60)
    boundary = "vp-bench-boundary"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    def body(path: Path) -> bytes:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: image/png\r\n\r\n'
        )
        return head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()

    timings: list[list[float]] = [[] for _ in routes]
    for i, path in enumerate(images):
        data = body(path)
        turn = list(zip(routes, timings, strict=True))
        for route, out in turn[i % 2 :] + turn[: i % 2]:
            started = time.perf_counter()
            lean.request("POST", route, data, headers)
            response = lean.getresponse()
            response.read()
            assert response.status == 200, (route, response.status)
            out.append((time.perf_counter() - started) * 1000)
    lean.close()
    return timings


def by_name_vs_by_job(url: str, job_id: int, db: Path, images: list[Path]) -> None:
    """Register the job (marked completed in the database: this server runs no trainer) as
    model `bench` with a production alias, then time uploads both ways, image by image."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE training_jobs SET status = 'completed' WHERE id = ?", (job_id,))
    api = f"{url}/api/v1"
    httpx.post(
        f"{api}/models/bench/versions", json={"job_id": job_id}, timeout=60
    ).raise_for_status()
    httpx.put(f"{api}/models/bench/aliases/production", json={"version": 1}).raise_for_status()
    routes = [f"/api/v1/jobs/{job_id}/predict", "/api/v1/models/bench/predict"]
    upload_latencies(url, routes, images[:16])  # warm-up
    by_job, by_name = upload_latencies(url, routes, images)
    print()
    print("| upload latency, 1 client (http.client) | p50 ms | p99 ms |")
    print("| --- | --- | --- |")
    for name, lat in (
        ("POST /jobs/{id}/predict", by_job),
        ("POST /models/{name}/predict", by_name),
    ):
        print(f"| {name} | {statistics.median(lat):.2f} | {percentile(lat, 0.99):.2f} |")
    added = statistics.median(by_name) - statistics.median(by_job)
    paired = statistics.median(n - j for n, j in zip(by_name, by_job, strict=True))
    print(
        f"by name adds {added:.3f} ms at p50, {paired:.3f} ms as the median of each image's "
        "two uploads (goal: within 0.2 ms)"
    )


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
            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
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
                timeout=60,  # checks the data set and the model's input size first
            ).json()
            job_id = int(created["id"])
            assert job_id == 1, created
            reqs = images[: args.requests]
            # warm-up: load the model, first passes
            one_client_latencies(url, job_id, reqs[:16], model.infer_single)
            raw, one, lean = one_client_latencies(url, job_id, reqs, model.infer_single)
            many = http_latencies(url, job_id, reqs, 16)
            by_name_vs_by_job(url, job_id, home / "vp.db", images)
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
        for name, lat in (
            ("HTTP, 1 client (httpx)", one),
            ("HTTP, 1 client (http.client)", lean),
            ("HTTP, 16 clients (httpx)", many),
        ):
            print(
                f"| {name} | {statistics.median(lat):.2f} | {percentile(lat, 0.99):.2f} | "
                f"{statistics.median(lat) / raw_p50:.2f} |"
            )


if __name__ == "__main__":
    main()
