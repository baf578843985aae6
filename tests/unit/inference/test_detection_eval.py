"""Detection test-run metrics against cases with a known answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from vision_platform.adapters.base import Detection
from vision_platform.inference.detection_eval import (
    CURVE_POINTS,
    SWEEP,
    GroundTruth,
    box_iou,
    data_yaml_for_eval,
    image_mistakes,
    match_boxes,
    summarize_box_metrics,
    worst_images,
)

NAMES = ["square", "disc"]


def det(cls: int, conf: float, box: list[float]) -> Detection:
    return Detection(class_id=cls, class_name=NAMES[cls], confidence=conf, bbox=box)


def truth(boxes: list[list[float]], classes: list[int]) -> GroundTruth:
    return GroundTruth("a.png", np.array(boxes, dtype=float).reshape(-1, 4), np.array(classes))


def test_box_iou_by_hand() -> None:
    a = np.array([[0, 0, 10, 10]], dtype=float)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]], dtype=float)
    # overlap 5x10 = 50, union 100 + 100 - 50 = 150
    assert box_iou(a, b)[0].tolist() == pytest.approx([1 / 3, 0.0, 1.0])


def test_matching_missed_false_and_wrong_class() -> None:
    gt = truth([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], [0, 0, 1])
    preds = [
        det(0, 0.9, [0, 0, 10, 11]),  # IoU 100/110: matches truth 0
        det(0, 0.8, [0, 0, 10, 10]),  # truth 0 already taken: false (a duplicate)
        det(0, 0.7, [40, 40, 50, 50]),  # right place, wrong class: false, and truth 2 missed
        det(0, 0.6, [25, 20, 35, 30]),  # IoU 50/150 < 0.5 with truth 1: false, truth 1 missed
    ]
    missed, false = match_boxes(gt, preds)
    assert missed == [1, 2]
    assert false == [1, 2, 3]
    row = image_mistakes(gt, preds, NAMES)
    assert row["num_mistakes"] == 5
    assert [m["class_name"] for m in row["missed_boxes"]] == ["square", "disc"]
    assert row["missed_boxes"][0]["bbox"] == [20.0, 20.0, 30.0, 30.0]
    assert [f["confidence"] for f in row["false_boxes"]] == [0.8, 0.7, 0.6]


def test_matching_with_no_truth_or_no_predictions() -> None:
    assert match_boxes(truth([], []), [det(1, 0.5, [0, 0, 5, 5])]) == ([], [0])
    assert match_boxes(truth([[0, 0, 5, 5]], [1]), []) == ([0], [])


def test_worst_images_sorted_by_mistakes_and_capped() -> None:
    rows = [{"image_path": f"{i}.png", "num_mistakes": n} for i, n in enumerate([0, 3, 1, 3, 2])]
    assert [r["image_path"] for r in worst_images(rows, 3)] == ["1.png", "3.png", "4.png"]
    assert len(worst_images(rows, 20)) == 4  # images without mistakes are left out


def ultralytics_metrics(stats: list[dict[str, Any]]) -> Any:
    """Ultralytics' own DetMetrics fed with per-image match results, then processed."""
    from vision_platform.adapters.ultralytics.shim import import_ultralytics

    import_ultralytics()
    from ultralytics.utils.metrics import DetMetrics

    metrics = DetMetrics(names=dict(enumerate(NAMES)))
    for i, s in enumerate(stats):
        metrics.update_stats({**s, "target_img": np.unique(s["target_cls"]), "im_name": f"{i}"})
    metrics.process()
    return metrics


def image_stats(tp: list[bool], conf: list[float], cls: list[int], targets: list[int]) -> Any:
    return {
        "tp": np.repeat(np.array(tp, dtype=bool)[:, None], 10, axis=1),  # same at every IoU
        "conf": np.array(conf, dtype=float),
        "pred_cls": np.array(cls, dtype=float),
        "target_cls": np.array(targets, dtype=float),
    }


def test_predictions_equal_to_labels_give_map_one() -> None:
    """The "model" is the ground truth: every label predicted once, confidently."""
    stats = [
        image_stats([True, True], [0.9, 0.8], [0, 1], [0, 1]),
        image_stats([True], [0.95], [0], [0]),
    ]
    out = summarize_box_metrics(ultralytics_metrics(stats).box, NAMES)
    # A perfect detector scores 0.995 in Ultralytics (and in its printed tables): the 101-point
    # trapezoid starts at recall 0 with precision 1 but the envelope's end point is (1, 0),
    # so the last 0.01 of recall counts half. pycocotools' mean of 101 points would say 1.0.
    assert out["map50"] == pytest.approx(0.995, abs=1e-6)
    assert out["map50_95"] == pytest.approx(0.995, abs=1e-6)
    assert out["precision"] == pytest.approx(1.0) and out["recall"] == pytest.approx(1.0)
    assert [c["label"] for c in out["per_class"]] == NAMES
    assert all(c["ap50"] == pytest.approx(0.995, abs=1e-6) for c in out["per_class"])
    for curve in out["pr_curves"]:
        assert len(curve["recall"]) == len(curve["precision"]) == CURVE_POINTS
        assert curve["precision"][0] == 1.0 and curve["recall"][-1] == 1.0
    assert [row["conf"] for row in out["confidence_sweep"]] == SWEEP
    sweep = {row["conf"]: row for row in out["confidence_sweep"]}
    assert sweep[0.5]["f1"] == pytest.approx(1.0, abs=1e-3)  # all predictions are >= 0.8
    assert sweep[0.95]["recall"] < 0.5  # only one of three boxes is at 0.95
    # F1 is 1 from 0 to 0.8 (the lowest score): the middle of that plateau, not 0.0
    assert 0.3 <= out["recommended_conf_threshold"] <= 0.5


def test_ap_and_recommended_threshold_by_hand() -> None:
    """One class, 2 truths; predictions 0.9 right, 0.6 wrong, 0.3 right.

    Precision envelope: 1 up to recall 0.5, 2/3 up to recall 1 → AP50 = 0.5 + 0.5·2/3 = 5/6
    (Ultralytics integrates 101 interpolated points; within 0.01). F1 is best with all three
    kept (P 2/3, R 1 → 0.8) against 0.667 with the first only, so the F1-optimal threshold
    is in the plateau below 0.3 (its middle, about 0.15)."""
    stats = [image_stats([True, False, True], [0.9, 0.6, 0.3], [0, 0, 0], [0, 0])]
    out = summarize_box_metrics(ultralytics_metrics(stats).box, NAMES)
    assert out["map50"] == pytest.approx(5 / 6, abs=0.01)
    assert 0.05 <= out["recommended_conf_threshold"] <= 0.3
    sweep = {row["conf"]: row for row in out["confidence_sweep"]}
    # Ultralytics' curves at the predictions' own confidences (between them it interpolates)
    expected = {0.3: (2 / 3, 1.0), 0.6: (0.5, 0.5), 0.95: (1.0, 0.0)}
    for conf, (precision, recall) in expected.items():
        assert sweep[conf]["precision"] == pytest.approx(precision, abs=0.02), conf
        assert sweep[conf]["recall"] == pytest.approx(recall, abs=0.02), conf


def test_no_correct_prediction_recommends_nothing() -> None:
    stats = [image_stats([False], [0.9], [0], [1])]
    out = summarize_box_metrics(ultralytics_metrics(stats).box, NAMES)
    assert out["map50"] == 0.0 and out["recommended_conf_threshold"] is None


def test_eval_yaml_uses_the_test_split_when_named(tmp_path: Path) -> None:
    from vision_platform.datasets.shapes import make_shapes

    data = make_shapes(tmp_path / "s", num_train=2, num_val=2, image_size=32)
    target, split = data_yaml_for_eval(data.parent, "detection", tmp_path)
    assert split == "val" and target.parent == tmp_path
    written = yaml.safe_load(target.read_text())
    assert all(Path(p).is_absolute() for p in written["val"])
    raw = yaml.safe_load(data.read_text())
    data.write_text(yaml.safe_dump({**raw, "test": "images/val"}))
    target, split = data_yaml_for_eval(data, "detection", tmp_path)
    assert split == "test"
    assert yaml.safe_load(target.read_text())["test"] == [str(data.parent / "images" / "val")]
