"""Training throughput of `vp train` against the bare frameworks (timm and YOLO), in one run.

One round runs, on the same data, model, batch size and thread count: a bare timm/PyTorch loop
and `vp train` for a timm model (digits), then `vp train` and Ultralytics' own
`YOLO("<model>.yaml").train(...)` for a YOLO model (the shapes set); rounds repeat, so that
drifts of the machine hit every side. Throughput is training images per second of wall time per
epoch, validation included, the first epoch (warm-up) excluded.

timm: the bare loop is benchmarks/bare_timm_loop.py; the epoch time of `vp train` is its
metrics.jsonl `epoch_seconds`. YOLO: the direct side calls `YOLO(...).train()` (through
`import_ultralytics()`, so it is offline too) with exactly the arguments the `vp train` run gave
Ultralytics (read back from its args.yaml); epoch time is Ultralytics' own `trainer.epoch_time`
on both sides. YOLO runs get `--threads` (default 1: see docs/ultralytics-notes.md §3).

Also printed: the checkpoint stall (metrics.jsonl `checkpoint_seconds`: how long training waited
for its checkpoint, the snapshot and any wait for the write before; for YOLO Ultralytics' own
serialization, which its train() does too, is not counted) as a share of epoch time, over epochs
2..N-1 (a run's first and last checkpoints are written at once; with `--epochs 2`, epoch 2's),
and for timm the time from process start to the first resumed epoch.

    .venv/bin/python benchmarks/train_overhead.py [--framework both|timm|ultralytics]
        [--epochs 3] [--rounds 2] [--timm-model resnet18] [--yolo-model yolo11n]
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
from dataclasses import dataclass, field
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
) -> tuple[list[dict[str, float]], float]:
    """The metrics.jsonl rows of `vp train` and the process's wall time."""
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
    return rows, wall


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


@dataclass
class Side:
    """What one side of a comparison measured, over all rounds."""

    ips: list[float] = field(default_factory=list)  # train images/s, epochs 2..N
    wall: list[float] = field(default_factory=list)  # process start to exit, s
    stall: list[float] = field(default_factory=list)  # checkpoint_seconds / epoch_seconds


def _record_platform(side: Side, rows: list[dict[str, float]], images: int) -> None:
    side.ips += [images / row["epoch_seconds"] for row in rows[1:]]
    # The stall of the background writes: the first and the last checkpoint are written at once.
    middle = rows[1:-1] or rows[1:]
    side.stall += [row.get("checkpoint_seconds", 0.0) / row["epoch_seconds"] for row in middle]


def timm_round(args: argparse.Namespace, data: Path, out: Path, bare: Side, vp: Side) -> None:
    """One bare timm loop, then one `vp train`, on the digits in `data`."""
    size, batch = args.timm_image_size, args.timm_batch_size
    n_train = sum(1 for _ in (data / "train").rglob("*.png"))
    steps_images = (n_train // batch) * batch
    bare.ips += [
        steps_images / s for s in run_bare(data, args.timm_model, args.epochs, batch, size)[1:]
    ]
    rows = run_platform(data, out, args.timm_model, args.epochs, batch, size)
    _record_platform(vp, rows, steps_images)


def yolo_round(
    args: argparse.Namespace, data: Path, tmp: Path, r: int, bare: Side, vp: Side
) -> None:
    """One `vp train`, then Ultralytics' train() with the arguments it recorded."""
    out = tmp / f"yolo-vp{r}"
    rows, wall = run_platform_yolo(
        data,
        out,
        args.yolo_model,
        args.epochs,
        args.yolo_batch_size,
        args.yolo_image_size,
        args.threads,
        args.device,
    )
    _record_platform(vp, rows, args.num_images)
    vp.wall.append(wall)
    seconds, wall = run_bare_yolo(
        out / "args.yaml", tmp / f"yolo-bare{r}", args.yolo_model, args.threads
    )
    bare.ips += [args.num_images / s for s in seconds[1:]]
    bare.wall.append(wall)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(
    args: argparse.Namespace, results: dict[str, tuple[Side, Side]], resume_s: float
) -> None:
    print(
        f"epochs={args.epochs} rounds={args.rounds} · timm: {args.timm_model}, batch "
        f"{args.timm_batch_size}, {args.timm_image_size} px, digits · YOLO: {args.yolo_model}, "
        f"batch {args.yolo_batch_size}, {args.yolo_image_size} px, {args.num_images} shapes, "
        f"threads={args.threads}, device={args.device}"
    )
    print("| framework | measure | bare framework | vp train | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name, (bare, vp) in results.items():
        b, v = _median(bare.ips), _median(vp.ips)
        print(
            f"| {name} | train images/s (median of epochs 2..N) | {b:.1f} | {v:.1f} | {v / b:.3f} |"
        )
        print(
            f"| {name} | checkpoint stall, share of epoch time (median of epochs 2..N-1) | – | "
            f"{_median(vp.stall):.2%} | – |"
        )
        if bare.wall:
            b, v = _median(bare.wall), _median(vp.wall)
            print(
                f"| {name} | process wall time, start to exit (median) | {b:.1f} s | "
                f"{v:.1f} s | {v / b:.3f} |"
            )
    if resume_s == resume_s:  # not NaN: timm ran
        print(f"| timm | process start → first resumed epoch | – | {resume_s:.1f} s | – |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=["both", "timm", "ultralytics"], default="both")
    parser.add_argument("--timm-model", default="resnet18")
    parser.add_argument("--yolo-model", default="yolo11n")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--timm-batch-size", type=int, default=32)
    parser.add_argument("--timm-image-size", type=int, default=32)
    parser.add_argument("--yolo-batch-size", type=int, default=16)
    parser.add_argument("--yolo-image-size", type=int, default=64)
    parser.add_argument("--num-images", type=int, default=64, help="YOLO: shapes train images")
    parser.add_argument("--threads", type=int, default=1, help="YOLO: OMP_NUM_THREADS, both sides")
    parser.add_argument("--device", default="cpu", help="YOLO: cpu, or cuda")
    args = parser.parse_args()
    frameworks = ["timm", "ultralytics"] if args.framework == "both" else [args.framework]

    from vision_platform.datasets.digits import make_digits
    from vision_platform.datasets.shapes import make_shapes

    results = {name: (Side(), Side()) for name in frameworks}
    resume_s = float("nan")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if "timm" in results:
            digits = make_digits(tmp / "digits", size=args.timm_image_size)
        if "ultralytics" in results:
            shapes = make_shapes(
                tmp / "shapes",
                num_train=args.num_images,
                num_val=16,
                image_size=args.yolo_image_size,
            ).parent
        for r in range(args.rounds):
            if "timm" in results:
                timm_round(args, digits, tmp / f"timm-vp{r}", *results["timm"])
            if "ultralytics" in results:
                yolo_round(args, shapes, tmp, r, *results["ultralytics"])
        if "timm" in results:
            resume_s = time_to_first_resumed_epoch(
                digits,
                tmp / "timm-vp0",
                args.timm_model,
                args.epochs,
                args.timm_batch_size,
                args.timm_image_size,
            )
    print_table(args, results, resume_s)


if __name__ == "__main__":
    main()
