"""`vp train` for timm as a real subprocess: outputs, kill and resume, exact resume, stops."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import run_until, run_vp, start_vp

EXIT_RESUMABLE = 75


def train_args(
    data: Path, out: Path, *extra: str, epochs: int = 3, model: str = "resnet18"
) -> list[str]:
    return [
        "train",
        "--model-name",
        model,
        "--dataset-path",
        str(data),
        "--num-epochs",
        str(epochs),
        "--batch-size",
        "4",
        "--image-size",
        "32",
        "--output-dir",
        str(out),
        "--seed",
        "7",
        "--preset",
        "easy",
        *extra,
    ]


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=300)
    return proc.returncode, out


def epochs_logged(out: Path) -> list[int]:
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    different = [k for k in wa if not torch.equal(wa[k], wb[k])]
    assert not different, f"weights differ in {len(different)} tensors, e.g. {different[:3]}"


def test_two_epoch_run_writes_the_output_folder(digits_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_vp(*train_args(digits_dir, out, epochs=2))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Training completed" in result.stdout
    assert re.search(r"^Epoch 1/2$", result.stdout, re.M)
    for name in ("weights/last.pt", "weights/best.pt", "metrics.jsonl", "run.json"):
        assert (out / name).is_file(), name
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for key in ("train_loss", "val_loss", "val_acc", "lr", "epoch_seconds"):
        assert all(key in r for r in rows), key
    run = json.loads((out / "run.json").read_text())
    assert run["class_names"] == ["0", "1", "2"]
    assert run["config"]["optimizer_type"] == "adam"  # the easy preset
    assert "torch" in run["versions"]


def test_sigkill_then_resume_continues_and_matches_an_uninterrupted_run(
    digits_dir: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    assert run_vp(*train_args(digits_dir, reference)).returncode == 0

    out = tmp_path / "killed"
    proc = start_vp(*train_args(digits_dir, out))
    run_until(proc, r"^Epoch 2/3$")  # epoch 1 is saved; kill during epoch 2
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    done = epochs_logged(out)[-1]

    result = run_vp(*train_args(digits_dir, out, "--resume"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Resuming training from epoch {done + 1}" in result.stdout
    assert f"Checkpoint loaded: epoch={done}, best_val_acc=" in result.stdout
    assert "Training completed" in result.stdout
    assert epochs_logged(out) == [1, 2, 3]
    assert_same_weights(out / "weights/last.pt", reference / "weights/last.pt")


def test_sigterm_mid_epoch_saves_exits_75_and_resumes_exactly(
    digits_dir: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    assert run_vp(*train_args(digits_dir, reference, epochs=2)).returncode == 0

    out = tmp_path / "paused"
    proc = start_vp(*train_args(digits_dir, out, epochs=2))
    run_until(proc, r"^Epoch 1/2$")
    proc.send_signal(signal.SIGTERM)
    code, output = finish(proc)
    assert code == EXIT_RESUMABLE, output
    assert "continue with --resume" in output
    assert (out / "weights/last.pt").is_file()

    result = run_vp(*train_args(digits_dir, out, "--resume", epochs=2))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Resuming training from epoch [12]", result.stdout)
    assert_same_weights(out / "weights/last.pt", reference / "weights/last.pt")


def test_sigkill_during_a_background_write_resumes_from_the_previous_checkpoint_exactly(
    digits_dir: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference"
    assert run_vp(*train_args(digits_dir, reference, model="resnet10t")).returncode == 0

    out = tmp_path / "mid-write"
    # The writer holds epoch 2's checkpoint, written but unpublished, for 60 s: epoch 3 starts
    # meanwhile (epoch 1, the first, was written at once: there was nothing to fall back on).
    proc = start_vp(
        *train_args(digits_dir, out, model="resnet10t"), VP_CHECKPOINT_WRITE_DELAY_SECONDS="60"
    )
    run_until(proc, r"^Epoch 3/3$")
    deadline = time.monotonic() + 30
    while not list((out / "weights").glob(".last.pt.*.tmp")):  # the writer has begun
        assert time.monotonic() < deadline, "epoch 2's write never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert json.loads((out / "weights/last.pt.json").read_text())["epoch"] == 1
    assert epochs_logged(out) == [1]  # epoch 2 is reported once its checkpoint is published

    result = run_vp(*train_args(digits_dir, out, "--resume", model="resnet10t"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Checkpoint loaded: epoch=1, best_val_acc=" in result.stdout
    assert "Resuming training from epoch 2" in result.stdout
    assert epochs_logged(out) == [1, 2, 3]
    assert_same_weights(out / "weights/last.pt", reference / "weights/last.pt")


def test_stage_deadline_exits_75_and_the_next_stage_finishes(
    digits_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "staged"
    first = run_vp(*train_args(digits_dir, out, "--max-stage-seconds", "0.5", epochs=2))
    assert first.returncode == EXIT_RESUMABLE, first.stdout + first.stderr
    second = run_vp(*train_args(digits_dir, out, "--resume", epochs=2))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Resuming training from epoch" in second.stdout
    assert epochs_logged(out) == [1, 2]


def test_resume_with_more_epochs_extends_a_finished_run(digits_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "extend"
    assert run_vp(*train_args(digits_dir, out, epochs=1)).returncode == 0
    result = run_vp(*train_args(digits_dir, out, "--resume", epochs=2))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Resuming training from epoch 2" in result.stdout
    assert "Extending the run from 1 to 2 epochs" in result.stdout
    assert epochs_logged(out) == [1, 2]


def test_corrupt_last_checkpoint_falls_back_to_the_previous_one(
    digits_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "corrupt"
    assert run_vp(*train_args(digits_dir, out, epochs=2)).returncode == 0
    last = out / "weights/last.pt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])  # truncated
    result = run_vp(*train_args(digits_dir, out, "--resume", epochs=3))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" in result.stdout and "truncated" in result.stdout
    assert "Checkpoint loaded: epoch=1" in result.stdout
    assert "Resuming training from epoch 2" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_resume_without_any_checkpoint_starts_fresh_and_says_so(
    digits_dir: Path, tmp_path: Path
) -> None:
    result = run_vp(*train_args(digits_dir, tmp_path / "fresh", "--resume", epochs=1))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No checkpoint found; starting fresh" in result.stdout


def test_weights_only_checkpoint_starts_at_epoch_one(digits_dir: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert run_vp(*train_args(digits_dir, first, epochs=1)).returncode == 0
    out = tmp_path / "transfer"
    result = run_vp(
        *train_args(digits_dir, out, "--checkpoint-path", str(first / "weights/best.pt"), epochs=1)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Resuming" not in result.stdout
    assert epochs_logged(out) == [1]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ('{"optimizer_type": "adamx"}', "optimizer_type"),
        ('{"learning_rate": 5}', "learning_rate"),
        ('{"warmup_epochz": 2}', "warmup_epochz"),
    ],
)
def test_bad_config_exits_2_naming_the_field(
    digits_dir: Path, tmp_path: Path, config: str, field: str
) -> None:
    result = run_vp(*train_args(digits_dir, tmp_path / "x", "--config", config))
    assert result.returncode == 2
    assert field in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_data_set_exits_2_naming_the_file(digits_dir: Path, tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "broken"
    shutil.copytree(digits_dir, data)
    bad = data / "train" / "1" / "broken.png"
    bad.write_bytes(b"not a png")
    result = run_vp(*train_args(data, tmp_path / "x"))
    assert result.returncode == 2
    assert str(bad) in result.stderr

    skipped = run_vp(*train_args(data, tmp_path / "y", "--skip-bad-images", epochs=1))
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "skipping 1 unreadable image" in skipped.stdout


def test_unknown_model_exits_2_with_the_closest_name(digits_dir: Path, tmp_path: Path) -> None:
    result = run_vp(
        "train",
        "--model-name",
        "resnet-18",
        "--dataset-path",
        str(digits_dir),
        "--output-dir",
        str(tmp_path / "x"),
    )
    assert result.returncode == 2
    assert "resnet18" in result.stderr


def test_pretrained_without_weights_fails_fast_with_instructions(
    digits_dir: Path, tmp_path: Path
) -> None:
    result = run_vp(
        *train_args(digits_dir, tmp_path / "x", "--config", '{"pretrained": true}'), timeout=60
    )
    assert result.returncode == 2
    assert "pretrained_path" in result.stderr


def test_seed_contract_job_999_trains_and_predicts(two_class_dir: Path, tmp_path: Path) -> None:
    """The seed design's own test, kept as it was."""
    result = run_vp(
        "train",
        "--job_id",
        "999",
        "--model_name",
        "resnet18",
        "--dataset_path",
        str(two_class_dir),
        "--num_epochs",
        "3",
        "--batch_size",
        "4",
        "--learning_rate",
        "0.001",
        "--image_size",
        "32",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Training completed" in result.stdout
    best = tmp_path / "output/job_999/weights/best.pt"
    assert best.is_file()

    from vision_platform.adapters import TimmAdapter

    adapter = TimmAdapter(model_name="resnet18", num_classes=2)
    adapter.load_checkpoint(best)
    image = next((two_class_dir / "val" / "1").glob("*.png"))
    prediction = adapter.infer_single(image)
    assert prediction.predicted_label in {"0", "1"}
    assert prediction.top5_predictions is not None
    assert len(prediction.top5_predictions) == 2

    cli = run_vp("predict", "--checkpoint", str(best), str(image))
    assert cli.returncode == 0, cli.stderr
    row = json.loads(cli.stdout.splitlines()[0])
    assert row["predicted_label"] in {"0", "1"}
    assert row["image_path"] == str(image)
    assert row["inference_time_ms"] >= 0
