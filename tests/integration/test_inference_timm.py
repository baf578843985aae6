"""Inference on a really trained classifier: ONNX agrees with PyTorch, cache, evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

from tests.conftest import run_vp
from vision_platform.adapters.registry import load_for_inference
from vision_platform.inference.evaluation import evaluate_classification
from vision_platform.inference.predictor import Predictor


def val_images(root: Path) -> list[Path]:
    return sorted((root / "val").rglob("*.png"))


def test_onnx_export_matches_pytorch(
    trained_classifier: Path, digits_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "model.onnx"
    result = run_vp(
        "export",
        "--checkpoint",
        str(trained_classifier),
        "--format",
        "onnx",
        "--output",
        str(target),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    meta = {p.key: p.value for p in onnx.load(str(target)).metadata_props}
    assert json.loads(meta["vp_class_names"]) == ["0", "1", "2"]
    assert meta["vp_image_size"] == "32"

    images = val_images(digits_dir)
    predictor = Predictor()
    eager = predictor.predict(trained_classifier, images, backend="eager", batch_size=5)
    fast = predictor.predict(target, images, backend="onnx", batch_size=5)
    for e, o in zip(eager, fast, strict=True):
        assert o.predicted_label == e.predicted_label
        assert o.confidence == pytest.approx(e.confidence, abs=1e-4)
        assert o.image_path == e.image_path


def test_predictor_keeps_the_model_warm(trained_classifier: Path, digits_dir: Path) -> None:
    predictor = Predictor()
    images = val_images(digits_dir)[:3]
    first = predictor.predict(trained_classifier, images)
    second = predictor.predict(trained_classifier, images)
    assert predictor.cache.loads == 1 and predictor.cache.hits == 1
    assert [r.predicted_label for r in first] == [r.predicted_label for r in second]
    assert all(r.inference_time_ms > 0 and r.preprocessing_time_ms > 0 for r in first)


def test_test_run_metrics_agree_with_a_direct_computation(
    trained_classifier: Path, digits_dir: Path
) -> None:
    model = load_for_inference(trained_classifier)
    assert model.class_names is not None
    metrics = evaluate_classification(model, model.class_names, digits_dir, batch_size=4)
    images = val_images(digits_dir)
    direct = model.infer_batch(images)
    right = sum(r.predicted_label == Path(r.image_path).parent.name for r in direct)
    assert metrics["num_images"] == len(images)
    assert metrics["accuracy"] == pytest.approx(right / len(images))
    assert sum(map(sum, metrics["confusion_matrix"])) == len(images)
