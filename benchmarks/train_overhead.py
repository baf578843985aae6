"""Training throughput of `vp train` against a bare timm/PyTorch loop, measured in one run.

Both run as subprocesses on the same data, model, batch size, transforms and thread count,
alternating (bare, platform, bare, platform, …) so that drifts of the machine hit both.
Throughput is training images per second of wall time per epoch, validation included,
the first epoch (warm-up) excluded. Also reported: checkpoint writes as a share of epoch
time, and the time from process start to the first resumed epoch.

    .venv/bin/python benchmarks/train_overhead.py [--model resnet18] [--epochs 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VP = str(Path(sys.executable).parent / "vp")
BARE_LOOP = str(Path(__file__).with_name("bare_timm_loop.py"))


def run_bare(data: Path, model: str, epochs: int, batch: int, size: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, BARE_LOOP, str(data), model, str(epochs), str(batch), str(size)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line)["epoch_seconds"] for line in out.splitlines()]


def run_platform(
    data: Path, out: Path, model: str, epochs: int, batch: int, size: int
) -> list[dict[str, float]]:
    subprocess.run(
        [
            VP,
            "train",
            "--model-name",
            model,
            "--dataset-path",
            str(data),
            "--num-epochs",
            str(epochs),
            "--batch-size",
            str(batch),
            "--image-size",
            str(size),
            "--preset",
            "easy",
            "--output-dir",
            str(out),
            "--seed",
            "0",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return rows


def time_to_first_resumed_epoch(
    data: Path, out: Path, model: str, epochs: int, batch: int, size: int
) -> float:
    """Seconds from starting `vp train --resume` (one epoch more) to its first epoch line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            VP,
            "train",
            "--model-name",
            model,
            "--dataset-path",
            str(data),
            "--num-epochs",
            str(epochs + 1),
            "--batch-size",
            str(batch),
            "--image-size",
            str(size),
            "--preset",
            "easy",
            "--output-dir",
            str(out),
            "--seed",
            "0",
            "--resume",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    elapsed = float("nan")
    for line in proc.stdout:
        if line.startswith(f"Epoch {epochs + 1}/"):
            elapsed = time.perf_counter() - started
            break
    proc.terminate()
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=32)
    args = parser.parse_args()

    from vision_platform.datasets.digits import make_digits

    with tempfile.TemporaryDirectory() as tmp:
        data = make_digits(Path(tmp) / "digits", size=args.image_size)
        n_train = sum(1 for _ in (data / "train").rglob("*.png"))
        steps_images = (n_train // args.batch_size) * args.batch_size
        bare_ips, vp_ips, ckpt_share = [], [], []
        for r in range(args.rounds):
            bare = run_bare(data, args.model, args.epochs, args.batch_size, args.image_size)
            bare_ips += [steps_images / s for s in bare[1:]]
            rows = run_platform(
                data,
                Path(tmp) / f"vp{r}",
                args.model,
                args.epochs,
                args.batch_size,
                args.image_size,
            )
            vp_ips += [steps_images / row["epoch_seconds"] for row in rows[1:]]
            ckpt_share += [row["checkpoint_seconds"] / row["epoch_seconds"] for row in rows]
        resume_s = time_to_first_resumed_epoch(
            data, Path(tmp) / "vp0", args.model, args.epochs, args.batch_size, args.image_size
        )
    bare_m, vp_m = statistics.median(bare_ips), statistics.median(vp_ips)
    print(
        f"model={args.model} batch={args.batch_size} image={args.image_size} "
        f"train_images={n_train} epochs={args.epochs} rounds={args.rounds}"
    )
    print("| measure | bare loop | vp train | ratio |")
    print("| --- | --- | --- | --- |")
    print(
        f"| train images/s (median of epochs 2..N) | {bare_m:.1f} | {vp_m:.1f} | "
        f"{vp_m / bare_m:.3f} |"
    )
    print(
        f"| checkpoint write share of epoch time (median) | – | "
        f"{statistics.median(ckpt_share):.2%} | – |"
    )
    print(f"| process start → first resumed epoch | – | {resume_s:.1f} s | – |")


if __name__ == "__main__":
    main()
