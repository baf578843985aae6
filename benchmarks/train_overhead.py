"""Training throughput of `vp train` against a bare timm/PyTorch loop, measured in one run.

Both run as subprocesses on the same data, model, batch size, transforms and thread count,
alternating (bare, platform, bare, platform, …) so that drifts of the machine hit both.
Throughput is training images per second of wall time per epoch, validation included,
the first epoch (warm-up) excluded. Also reported: checkpoint writes as a share of epoch
time, and the time from process start to the first resumed epoch.

    .venv/bin/python benchmarks/train_overhead.py [--model resnet18] [--epochs 3] [--rounds 2]

With `--framework ultralytics` the row is YOLO: `vp train` on the shapes set against
`YOLO("<model>.yaml").train(...)` called directly (through `import_ultralytics()`, so it is
offline too) with exactly the arguments the `vp train` run gave Ultralytics (read back from its
args.yaml), alternating platform, bare, platform, bare, …; epoch time is Ultralytics' own
`trainer.epoch_time` on both sides (validation included). Both sides get the same thread count
(`--threads`, default 1: see docs/ultralytics-notes.md §3).

    .venv/bin/python benchmarks/train_overhead.py --framework ultralytics [--model yolo11n]
"""

from __future__ import annotations

import argparse
import json
import os
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


def timm_train_args(
    data: Path, out: Path, model: str, epochs: int, batch: int, size: int
) -> list[str]:
    """The `vp train` command line both timm measurements use."""
    return [
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
    ]


def run_platform(
    data: Path, out: Path, model: str, epochs: int, batch: int, size: int
) -> list[dict[str, float]]:
    subprocess.run(
        [
            *timm_train_args(data, out, model, epochs, batch, size),
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
            *timm_train_args(data, out, model, epochs + 1, batch, size),
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


# --- Ultralytics ---------------------------------------------------------------------------------

# Keys of a run's args.yaml that name the run rather than configure the training.
_RUN_KEYS = {"mode", "model", "project", "name", "save_dir", "resume", "task", "exist_ok"}

BARE_YOLO = """
import json, sys, yaml
from vision_platform.adapters.ultralytics.shim import import_ultralytics, restore_threads
import_ultralytics()
from ultralytics import YOLO
args_yaml, model, out, skip = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
args = {k: v for k, v in yaml.safe_load(open(args_yaml)).items() if k not in skip}
times = {}
def on_fit_epoch_end(trainer):
    times.setdefault(trainer.epoch + 1, trainer.epoch_time)  # final_eval repeats the last one
yolo = YOLO(model + ".yaml")
yolo.add_callback("on_pretrain_routine_start", restore_threads)
yolo.add_callback("on_fit_epoch_end", on_fit_epoch_end)
yolo.train(**args, project=out, name="bare", exist_ok=True)
for epoch, seconds in sorted(times.items()):
    print(json.dumps({"epoch": epoch, "epoch_seconds": seconds}))
"""


def _thread_env(threads: int) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": str(threads)}


def run_platform_yolo(
    data: Path, out: Path, model: str, epochs: int, batch: int, size: int, threads: int, device: str
) -> tuple[list[float], float]:
    """Epoch seconds of `vp train` (metrics.jsonl) and the process's wall time."""
    started = time.perf_counter()
    subprocess.run(
        [
            VP,
            "train",
            *("--model-name", model, "--dataset-path", str(data)),
            *("--num-epochs", str(epochs), "--batch-size", str(batch)),
            *("--image-size", str(size), "--workers", "0", "--device", device),
            *("--output-dir", str(out), "--seed", "0"),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=_thread_env(threads),
    )
    wall = time.perf_counter() - started
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [row["epoch_seconds"] for row in rows], wall


def run_bare_yolo(
    args_yaml: Path, out: Path, model: str, threads: int
) -> tuple[list[float], float]:
    """Epoch seconds of Ultralytics' own `train()` with the same arguments, and wall time."""
    started = time.perf_counter()
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            BARE_YOLO,
            str(args_yaml),
            model,
            str(out),
            json.dumps(sorted(_RUN_KEYS)),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=_thread_env(threads),
    ).stdout
    wall = time.perf_counter() - started
    rows = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    return [row["epoch_seconds"] for row in rows], wall


def main_ultralytics(args: argparse.Namespace) -> None:
    from vision_platform.datasets.shapes import make_shapes

    model = args.model if args.model != "resnet18" else "yolo11n"
    with tempfile.TemporaryDirectory() as tmp:
        data = make_shapes(
            Path(tmp) / "shapes", num_train=args.num_images, num_val=16, image_size=args.image_size
        ).parent
        n_train = args.num_images
        vp_ips: list[float] = []
        bare_ips: list[float] = []
        vp_wall: list[float] = []
        bare_wall: list[float] = []
        for r in range(args.rounds):
            out = Path(tmp) / f"vp{r}"
            seconds, wall = run_platform_yolo(
                data,
                out,
                model,
                args.epochs,
                args.batch_size,
                args.image_size,
                args.threads,
                args.device,
            )
            vp_ips += [n_train / s for s in seconds[1:]]
            vp_wall.append(wall)
            seconds, wall = run_bare_yolo(
                out / "args.yaml", Path(tmp) / f"bare{r}", model, args.threads
            )
            bare_ips += [n_train / s for s in seconds[1:]]
            bare_wall.append(wall)
    bare_m, vp_m = statistics.median(bare_ips), statistics.median(vp_ips)
    bare_w, vp_w = statistics.median(bare_wall), statistics.median(vp_wall)
    print(
        f"model={model} batch={args.batch_size} image={args.image_size} train_images={n_train} "
        f"epochs={args.epochs} rounds={args.rounds} threads={args.threads} device={args.device}"
    )
    print("| measure | Ultralytics train() | vp train | ratio |")
    print("| --- | --- | --- | --- |")
    print(
        f"| train images/s (median of epochs 2..N, validation included) | {bare_m:.1f} | "
        f"{vp_m:.1f} | {vp_m / bare_m:.3f} |"
    )
    print(
        f"| process wall time, start to exit (median) | {bare_w:.1f} s | {vp_w:.1f} s | "
        f"{vp_w / bare_w:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["timm", "ultralytics"], default="timm")
    parser.add_argument("--model", default="resnet18", help="timm model, or yolo11n for YOLO")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=None, help="default 32 (timm), 16 (YOLO)")
    parser.add_argument("--image-size", type=int, default=None, help="default 32 (timm), 64 (YOLO)")
    parser.add_argument("--num-images", type=int, default=64, help="YOLO: shapes train images")
    parser.add_argument("--threads", type=int, default=1, help="YOLO: OMP_NUM_THREADS, both sides")
    parser.add_argument("--device", default="cpu", help="YOLO: cpu, or cuda")
    args = parser.parse_args()
    yolo = args.framework == "ultralytics"
    args.batch_size = args.batch_size or (16 if yolo else 32)
    args.image_size = args.image_size or (64 if yolo else 32)
    if yolo:
        main_ultralytics(args)
        return

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
