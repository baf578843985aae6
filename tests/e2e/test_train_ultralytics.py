"""`vp train` for Ultralytics as a real subprocess on the shapes data set, network blocked."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import run_until, start_vp

EXIT_RESUMABLE = 75
# What tests/netguard raises on any outbound attempt, whoever catches it.
BLOCKED = re.compile(r"network access blocked|DNS lookup blocked|NetworkBlockedError")
THREADS = {"OMP_NUM_THREADS": "1"}  # the CPU is shared with other tests: 1 thread is steadier


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny shapes detection set: 16 train and 8 val images of 64 px."""
    from vision_platform.datasets.shapes import make_shapes

    return make_shapes(tmp_path_factory.mktemp("shapes"), num_train=16, num_val=8, image_size=64)


def train_args(
    data: Path, out: Path, *extra: str, epochs: int = 2, model: str = "yolo11n"
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
        "8",
        "--image-size",
        "64",
        "--workers",
        "0",
        "--output-dir",
        str(out),
        "--seed",
        "3",
        *extra,
    ]


def run_vp(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`vp ARGS…` to completion, on one thread, with extra environment variables."""
    return conftest.run_vp(*args, timeout=600, **{**THREADS, **env})


def vp(*args: str) -> subprocess.CompletedProcess[str]:
    result = run_vp(*args)
    assert_offline(result.stdout + result.stderr)
    return result


def assert_offline(output: str) -> None:
    found = BLOCKED.search(output)
    assert found is None, f"a network attempt was blocked: …{output[found.start() - 300 :]}"


def epochs_logged(out: Path) -> list[int]:
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["epoch"] for line in lines]


def test_two_epoch_detection_run_writes_the_output_folder(shapes_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = vp(*train_args(shapes_dir, out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Training completed" in result.stdout
    assert re.search(r"^Epoch 1/2$", result.stdout, re.M)
    assert re.search(r"^Epoch 2/2$", result.stdout, re.M)
    for name in ("weights/last.pt", "weights/best.pt", "metrics.jsonl", "run.json"):
        assert (out / name).is_file(), name
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for key in ("train_loss", "box_loss", "cls_loss", "dfl_loss", "precision", "recall", "map50"):
        assert all(key in r for r in rows), key
    assert all("map50_95" in r and "lr" in r and r["epoch_seconds"] > 0 for r in rows)
    manifest = json.loads((out / "weights/last.pt.json").read_text())
    assert manifest["framework"] == "ultralytics" and manifest["epoch"] == 2
    assert json.loads((out / "run.json").read_text())["class_names"] == [
        "square",
        "disc",
        "triangle",
    ]


def test_network_blocked_training_predict_and_export_make_no_attempt(
    shapes_dir: Path, tmp_path: Path
) -> None:
    """The whole life of a YOLO model with sockets blocked and a bare HOME: nothing leaks."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "VP_HOME": str(tmp_path / ".vp")}
    out = tmp_path / "run"
    trained = run_vp(*train_args(shapes_dir, out, epochs=1), **env)
    assert trained.returncode == 0, trained.stdout + trained.stderr
    image = next((shapes_dir.parent / "images" / "val").glob("*.png"))
    best = out / "weights/best.pt"
    predicted = run_vp("predict", "--checkpoint", str(best), "--conf", "0.001", str(image), **env)
    assert predicted.returncode == 0, predicted.stdout + predicted.stderr
    row = json.loads(predicted.stdout.splitlines()[-1])
    assert row["task_type"] == "detection" and row["image_path"] == str(image)
    assert row["predicted_label"] in {"square", "disc", "triangle", "no_detection"}
    exported = run_vp("export", "--checkpoint", str(best), "--output", str(out / "m.onnx"), **env)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(out / "m.onnx")).metadata_props}
    assert json.loads(meta["vp_class_names"]) == ["square", "disc", "triangle"]
    for result in (trained, predicted, exported):
        assert_offline(result.stdout + result.stderr)
    assert not (home / ".config").exists(), sorted(p.name for p in home.rglob("*"))
    assert (tmp_path / ".vp" / "ultralytics" / "Ultralytics" / "Arial.ttf").is_file()


def test_one_epoch_segmentation_run_completes(tmp_path: Path) -> None:
    from vision_platform.datasets.shapes import make_shapes

    data = make_shapes(tmp_path / "seg", num_train=16, num_val=8, image_size=64, task="segment")
    out = tmp_path / "run"
    result = vp(*train_args(data, out, epochs=1, model="yolo11n-seg"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Training completed" in result.stdout
    row = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert "seg_loss" in row and "mask_map50" in row and "map50" in row


def test_sigkill_then_resume_continues_at_the_next_epoch(shapes_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    proc = start_vp(*train_args(shapes_dir, out, epochs=3), **THREADS)
    run_until(proc, r"^Epoch 2/3$")  # epoch 1 is published; kill during epoch 2
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    done = epochs_logged(out)[-1]

    result = vp(*train_args(shapes_dir, out, "--resume", epochs=3))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Checkpoint loaded: epoch={done}, best_map50=" in result.stdout
    assert f"Resuming training from epoch {done + 1}" in result.stdout
    assert "Training completed" in result.stdout
    assert epochs_logged(out) == [1, 2, 3]


def test_sigterm_exits_75_then_resume_then_extend_by_two_epochs(
    shapes_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "paused"
    proc = start_vp(*train_args(shapes_dir, out, epochs=2), **THREADS)
    run_until(proc, r"^Epoch 1/2$")
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_RESUMABLE, output
    assert_offline(output)
    assert "continue with --resume" in output
    assert epochs_logged(out) == [1]

    resumed = vp(*train_args(shapes_dir, out, "--resume", epochs=2))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Resuming training from epoch 2" in resumed.stdout
    assert epochs_logged(out) == [1, 2]

    extended = vp(*train_args(shapes_dir, out, "--resume", epochs=4))
    assert extended.returncode == 0, extended.stdout + extended.stderr
    assert "Extending the run from 2 to 4 epochs" in extended.stdout
    assert "Training completed" in extended.stdout
    assert epochs_logged(out) == [1, 2, 3, 4]


def test_stage_deadline_exits_75(shapes_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "staged"
    first = vp(*train_args(shapes_dir, out, "--max-stage-seconds", "0.5", epochs=2))
    assert first.returncode == EXIT_RESUMABLE, first.stdout + first.stderr
    assert epochs_logged(out) == [1]


def _broken_copy(shapes_dir: Path, tmp_path: Path) -> Path:
    import shutil

    data = tmp_path / "broken"
    shutil.copytree(shapes_dir.parent, data)
    text = (data / "data.yaml").read_text().replace(str(shapes_dir.parent), str(data))
    (data / "data.yaml").write_text(text)
    return data


def test_class_id_out_of_range_exits_2_naming_file_and_line(
    shapes_dir: Path, tmp_path: Path
) -> None:
    data = _broken_copy(shapes_dir, tmp_path)
    label = data / "labels" / "train" / "000003.txt"
    label.write_text(label.read_text() + "7 0.5 0.5 0.2 0.2\n")
    line = len(label.read_text().splitlines())
    result = vp(*train_args(data, tmp_path / "x", epochs=1))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{label}:{line}: class id 7 out of range" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_labels_folder_exits_2(shapes_dir: Path, tmp_path: Path) -> None:
    import shutil

    data = _broken_copy(shapes_dir, tmp_path)
    shutil.rmtree(data / "labels" / "val")
    result = vp(*train_args(data, tmp_path / "x", epochs=1))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "labels folder not found" in result.stderr and str(data / "labels" / "val") in (
        result.stderr
    )


def test_segmentation_model_on_box_labels_exits_2(shapes_dir: Path, tmp_path: Path) -> None:
    result = vp(*train_args(shapes_dir, tmp_path / "x", epochs=1, model="yolo11n-seg"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "segment labels" in result.stderr


def test_unknown_model_exits_2_with_the_closest_name(shapes_dir: Path, tmp_path: Path) -> None:
    result = vp(*train_args(shapes_dir, tmp_path / "x", model="yolo11-nano"))
    assert result.returncode == 2
    assert "yolo11n" in result.stderr


def test_missing_weights_path_is_never_downloaded(shapes_dir: Path, tmp_path: Path) -> None:
    config = json.dumps({"weights_path": str(tmp_path / "yolo11n.pt")})
    result = vp(*train_args(shapes_dir, tmp_path / "x", "--config", config, epochs=1))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "never downloaded" in result.stderr


@pytest.mark.slow
def test_yolo11n_learns_the_shapes_and_boxes_overlap_them(tmp_path: Path) -> None:
    """Learning, not just running: mAP50 > 0.5 after 20 epochs; predicted boxes hit the shapes."""
    from vision_platform.adapters import UltralyticsAdapter
    from vision_platform.datasets.shapes import make_shapes

    data = make_shapes(tmp_path / "shapes")  # 160 train, 40 val, 96 px
    out = tmp_path / "learn"
    config = json.dumps({"nbs": 16})
    args = train_args(data, out, "--config", config, epochs=20)
    args[args.index("--batch-size") + 1] = "16"
    args[args.index("--image-size") + 1] = "96"
    result = vp(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    best = max(
        json.loads(line)["map50"] for line in (out / "metrics.jsonl").read_text().splitlines()
    )
    assert best > 0.5

    adapter = UltralyticsAdapter("yolo11n")
    adapter.load_checkpoint(out / "weights/best.pt")
    hits = total = 0
    for image in sorted((data.parent / "images" / "val").glob("*.png"))[:20]:
        predicted = adapter.infer_single(image)
        boxes = [d.bbox for d in predicted.detections or []]
        label = data.parent / "labels" / "val" / f"{image.stem}.txt"
        for line in label.read_text().split("\n"):
            if line.strip():
                cx, cy, w, h = (float(v) * 96 for v in line.split()[1:])
                truth = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
                total += 1
                hits += any(_iou(truth, box) > 0.5 for box in boxes)
    assert hits / total > 0.7, f"{hits} of {total} shapes found"


def _iou(a: list[float], b: list[float]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
