"""Model quality by default: what each preset trains, against a plain timm loop, in one run.

Prints (markdown tables):
  1. validation accuracy of every timm preset on the digits (10 classes, 32 px, batch 32, from
     random weights) after each of `--epochs` (default 5 and 15), beside the plain timm loop
     (benchmarks/bare_timm_loop.py: Adam 1e-3, cosine) on the same data with the same seed;
  2. YOLO box mAP50 of every Ultralytics preset on the shapes set (160 training images at
     96 px, batch 16, `--yolo-epochs` from random weights: the best epoch's mAP50);
  3. fine-tuning from imported weights against the same run from random weights: a model
     trained on digits 0-4 is imported into the weights store (`vp weights import`), then
     classes 5-9 are trained for `--finetune-epochs` with `pretrained: true` and without.

Goals (issue 13): every preset within 2 points of the plain loop at 5 epochs; advanced ≥ easy
at 15 epochs; fine-tuning beats scratch.

    .venv/bin/python benchmarks/quality.py [--model resnet18] [--epochs 5 15] [--seeds 0]
        [--presets easy medium advanced] [--yolo-epochs 20] [--finetune-epochs 1]
        [--skip-presets] [--skip-yolo] [--skip-finetune]
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
PRESETS = ("easy", "medium", "advanced")


def last_metric(out: Path, key: str) -> float:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return float(rows[-1][key])


def best_metric(out: Path, key: str) -> float:
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return max(float(row[key]) for row in rows)


def vp_train(out: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [VP, "train", "--output-dir", str(out), *args], env=env, capture_output=True, text=True
    )
    (out.parent / f"{out.name}.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"vp train failed ({done.returncode}):\n{done.stderr[-2000:]}")


def timm_args(data: Path, model: str, epochs: int, batch: int, size: int, seed: int) -> list[str]:
    return [
        "--model-name", model, "--dataset-path", str(data), "--num-epochs", str(epochs),
        "--batch-size", str(batch), "--image-size", str(size), "--seed", str(seed),
    ]  # fmt: skip


def plain_loop(data: Path, model: str, epochs: int, batch: int, size: int, seed: int) -> float:
    out = subprocess.run(
        [
            sys.executable,
            BARE_LOOP,
            str(data),
            model,
            str(epochs),
            str(batch),
            str(size),
            str(seed),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out.splitlines()[-1])["val_acc"])


def presets_table(args: argparse.Namespace, work: Path, env: dict[str, str]) -> list[str]:
    from vision_platform.datasets.digits import make_digits

    data = make_digits(work / "digits", size=args.size)
    presets = args.presets
    lines = [
        f"| epochs | plain timm loop | {' | '.join(presets)} |",
        "| --- | --- |" + " --- |" * len(presets),
    ]
    for epochs in args.epochs:
        plain, by_preset = [], {p: [] for p in presets}  # type: dict[str, list[float]]
        for seed in args.seeds:
            plain.append(plain_loop(data, args.model, epochs, args.batch, args.size, seed))
            for preset in presets:
                out = work / f"{preset}-{epochs}-{seed}"
                base = timm_args(data, args.model, epochs, args.batch, args.size, seed)
                vp_train(out, env, *base, "--preset", preset)
                by_preset[preset].append(last_metric(out, "val_acc"))
        cells = [f"{statistics.mean(by_preset[p]):.3f}" for p in presets]
        lines.append(f"| {epochs} | {statistics.mean(plain):.3f} | {' | '.join(cells)} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def yolo_table(args: argparse.Namespace, work: Path, env: dict[str, str]) -> list[str]:
    from vision_platform.datasets.shapes import make_shapes

    data = make_shapes(work / "shapes")  # 160 training and 40 validation images, 96 px
    cells = []
    for preset in args.presets:
        out = work / f"yolo-{preset}"
        vp_train(
            out, env, "--model-name", "yolo11n", "--dataset-path", str(data),
            "--num-epochs", str(args.yolo_epochs), "--batch-size", "16", "--image-size", "96",
            "--seed", "0", "--preset", preset, "--workers", "0",
        )  # fmt: skip
        cells.append(f"{best_metric(out, 'map50'):.3f}")
    return [
        f"| yolo11n, shapes 96 px, {args.yolo_epochs} epochs | {' | '.join(args.presets)} |",
        "| --- |" + " --- |" * len(args.presets),
        f"| best mAP50 | {' | '.join(cells)} |",
    ]


def finetune_table(args: argparse.Namespace, work: Path, env: dict[str, str]) -> list[str]:
    """Digits 0-4 train the source model; 5-9 are the new task, from its weights or not."""
    from vision_platform.datasets.digits import make_digits

    full = make_digits(work / "all-digits", size=args.size)
    source, target = work / "digits-0-4", work / "digits-5-9"
    for folder, classes in ((source, "01234"), (target, "56789")):
        for split in ("train", "val"):
            for digit in classes:
                (folder / split).mkdir(parents=True, exist_ok=True)
                os.symlink(full / split / digit, folder / split / digit)
    base = timm_args(source, args.model, 3, args.batch, args.size, 0)
    vp_train(work / "source", env, *base, "--preset", "easy")
    subprocess.run(
        [VP, "weights", "import", "--model", args.model, str(work / "source/weights/best.pt")],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    rows = []
    for label, config in (
        ("from imported weights", '{"pretrained": true}'),
        ("from scratch", "{}"),
    ):
        out = work / f"target-{'ft' if 'pretrained' in config else 'scratch'}"
        base = timm_args(target, args.model, args.finetune_epochs, args.batch, args.size, 1)
        vp_train(out, env, *base, "--preset", "easy", "--config", config)
        rows.append(f"| {label} | {last_metric(out, 'val_acc'):.3f} |")
    return [
        f"| digits 5-9, {args.finetune_epochs} epoch(s), easy | val_acc |",
        "| --- | --- |",
        *rows,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 15])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--presets", nargs="+", choices=PRESETS, default=list(PRESETS))
    parser.add_argument("--yolo-epochs", type=int, default=20)
    parser.add_argument("--finetune-epochs", type=int, default=1)
    parser.add_argument("--skip-yolo", action="store_true")
    parser.add_argument("--skip-finetune", action="store_true")
    parser.add_argument("--skip-presets", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vp-quality-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "VP_HOME": str(work / ".vp"), "HF_HUB_OFFLINE": "1"}
        tables = []
        if not args.skip_presets:
            tables.append(presets_table(args, work, env))
        if not args.skip_yolo:
            tables.append(yolo_table(args, work, env))
        if not args.skip_finetune:
            tables.append(finetune_table(args, work, env))
    print(f"{args.model}, digits {args.size} px, batch {args.batch}, seeds {args.seeds}")
    for table in tables:
        print("\n" + "\n".join(table))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
