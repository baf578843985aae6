"""The resumable batch inference run: output file, resume, bad images, SIGTERM, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pydantic import ValidationError
from tests.conftest import run_vp, vp_command, vp_env

from vision_platform.inference.batch import (
    BatchInferenceSpec,
    BatchRunner,
    ResultWriter,
    list_inputs,
)


def images_of(digits_dir: Path, count: int) -> list[str]:
    found = sorted(str(p) for p in (digits_dir / "val").rglob("*.png"))
    found += sorted(str(p) for p in (digits_dir / "train").rglob("*.png"))
    assert len(found) >= count
    return found[:count]


def read_lines(path: Path) -> list[dict[str, object]]:
    text = path.read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def spec_for(model: Path, images: list[str], output: Path, **extra: object) -> BatchInferenceSpec:
    return BatchInferenceSpec.model_validate(
        {
            "model_path": str(model),
            "input_images": images,
            "output_path": str(output),
            "batch_size": 4,
            **extra,
        }
    )


def test_writer_drops_a_partial_last_line_and_counts_the_complete_ones(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    writer = ResultWriter(out)
    assert writer.complete_lines() == 0
    writer.append([{"image_path": "a"}, {"image_path": "b"}])
    with open(out, "a") as f:
        f.write('{"image_path": "c", "predic')  # killed mid-write
    assert writer.complete_lines() == 2
    assert [line["image_path"] for line in read_lines(out)] == ["a", "b"]
    writer.append([{"image_path": "c"}])
    assert [line["image_path"] for line in read_lines(out)] == ["a", "b", "c"]


def test_spec_needs_exactly_one_input_and_a_jsonl_output(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        BatchInferenceSpec(model_path="m.pt", output_path="o.jsonl")
    with pytest.raises(ValidationError, match="exactly one"):
        BatchInferenceSpec(
            model_path="m.pt", input_images=["a.png"], input_prefix="x", output_path="o.jsonl"
        )
    with pytest.raises(ValidationError, match=r"\.jsonl"):
        BatchInferenceSpec(model_path="m.pt", input_images=["a.png"], output_path="o.json")
    with pytest.raises(ValidationError, match="extra"):
        BatchInferenceSpec.model_validate(
            {"model_path": "m", "input_images": ["a"], "output_path": "o.jsonl", "epochs": 1}
        )


def test_prefix_lists_images_only_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b/2.png", "a/9.jpg", "a/1.PNG", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    spec = BatchInferenceSpec(model_path="m", input_prefix=str(tmp_path), output_path="o.jsonl")
    assert list_inputs(spec) == [str(tmp_path / n) for n in ("a/1.PNG", "a/9.jpg", "b/2.png")]


def test_run_resumes_after_the_complete_lines_and_each_image_is_written_once(
    trained_classifier: Path, digits_dir: Path, tmp_path: Path
) -> None:
    images = images_of(digits_dir, 10)
    out = tmp_path / "results.jsonl"
    # An earlier attempt wrote three images and was killed while writing the fourth.
    first = spec_for(trained_classifier, images[:3], out)
    assert BatchRunner(first).run() == 0
    with open(out, "a") as f:
        f.write('{"image_path": "half')
    events: list[tuple[str, dict[str, object]]] = []
    spec = spec_for(trained_classifier, images, out)
    assert BatchRunner(spec, report=lambda k, p: events.append((k, p))).run() == 0
    lines = read_lines(out)
    assert [line["image_path"] for line in lines] == images
    assert all(line["task_type"] == "classification" and line["predicted_label"] for line in lines)
    progress = [p for k, p in events if k == "progress"]
    assert progress[0] == {"done": 3, "total": 10}
    assert progress[-1] == {"done": 10, "total": 10}
    assert any("Resuming batch inference at image 4/10" in str(p) for k, p in events)


def test_a_bad_image_gets_an_error_line_and_the_rest_go_on(
    trained_classifier: Path, digits_dir: Path, tmp_path: Path
) -> None:
    images = images_of(digits_dir, 6)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    missing = str(tmp_path / "missing.png")
    inputs = [images[0], str(bad), *images[1:4], missing, *images[4:]]
    out = tmp_path / "results.jsonl"
    assert BatchRunner(spec_for(trained_classifier, inputs, out)).run() == 0
    lines = read_lines(out)
    assert [line["image_path"] for line in lines] == inputs
    errors = {str(line["image_path"]): str(line["error"]) for line in lines if "error" in line}
    assert set(errors) == {str(bad), missing}
    assert "not a readable image" in errors[str(bad)]
    assert all("predicted_label" in line for line in lines if "error" not in line)


def test_a_stop_request_finishes_the_batch_and_exits_75(
    trained_classifier: Path, digits_dir: Path, tmp_path: Path
) -> None:
    images = images_of(digits_dir, 12)
    out = tmp_path / "results.jsonl"
    calls = iter([None, None, "SIGTERM"])
    runner = BatchRunner(
        spec_for(trained_classifier, images, out), stop_reason=lambda: next(calls, "SIGTERM")
    )
    assert runner.run() == 75
    assert [line["image_path"] for line in read_lines(out)] == images[:8]


def test_sigterm_to_vp_infer_batch_exits_75_with_a_complete_file_and_a_rerun_finishes(
    trained_classifier: Path, digits_dir: Path, tmp_path: Path
) -> None:
    images = images_of(digits_dir, 40)
    out = tmp_path / "results.jsonl"
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(spec_for(trained_classifier, images, out).model_dump_json())
    env = vp_env(VP_BATCH_ITEM_DELAY_SECONDS="0.1")
    process = subprocess.Popen(
        vp_command("infer-batch", "--spec", str(spec_path)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while not (out.is_file() and out.read_text().count("\n") >= 4):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0].decode()
    assert process.returncode == 75, output
    stopped = read_lines(out)
    assert 4 <= len(stopped) < len(images)
    assert len(stopped) % 4 == 0  # whole batches only

    rerun = run_vp("infer-batch", "--spec", str(spec_path))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"Resuming batch inference at image {len(stopped) + 1}/40" in rerun.stdout
    assert [line["image_path"] for line in read_lines(out)] == images


@pytest.mark.parametrize(
    "doc",
    [
        {"model_path": "/nowhere/best.pt", "input_images": ["a.png"]},
        {"input_images": ["a.png"]},
        {"model_path": "m.pt", "input_images": ["a.png"], "backend": "tensorrt"},
        None,
    ],
)
def test_invalid_input_exits_2(doc: dict[str, object] | None, tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.json"  # None: no spec file at all
    if doc is not None:
        spec_path.write_text(json.dumps({**doc, "output_path": str(tmp_path / "o.jsonl")}))
    result = run_vp("infer-batch", "--spec", str(spec_path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ERROR:" in result.stderr
