"""Classification test-run metrics against a case with a known answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from vision_platform.adapters.base import ClassScore, InferenceResult
from vision_platform.errors import DatasetError
from vision_platform.inference.detection_eval import SWEEP
from vision_platform.inference.evaluation import evaluate_classification, top1_confidence_sweep


class ScriptedModel:
    """Predicts what its table says for each file name."""

    task_type = "classification"

    def __init__(self, answers: dict[str, tuple[str, float]], classes: list[str]) -> None:
        self.answers, self.classes = answers, classes

    def warm_up(self) -> None: ...

    def memory_bytes(self) -> int:
        return 0

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        out = []
        for p in image_paths:
            label, conf = self.answers[Path(p).name]
            others = [c for c in self.classes if c != label]
            top = [ClassScore(label_id=self.classes.index(label), label=label, confidence=conf)]
            top += [
                ClassScore(label_id=self.classes.index(c), label=c, confidence=0.0) for c in others
            ]
            out.append(
                InferenceResult(
                    image_path=str(p),
                    task_type="classification",
                    predicted_label=label,
                    confidence=conf,
                    top5_predictions=top,
                    inference_time_ms=0,
                    preprocessing_time_ms=0,
                    postprocessing_time_ms=0,
                )
            )
        return out


def make_set(root: Path, layout: dict[str, list[str]]) -> Path:
    for label, names in layout.items():
        (root / label).mkdir(parents=True)
        for name in names:
            Image.new("RGB", (4, 4)).save(root / label / name)
    return root


def test_known_answer(tmp_path: Path) -> None:
    # cat: 3 images, 2 right; dog: 2 images, 1 right; both mistakes are shown, surest first.
    root = make_set(
        tmp_path / "test", {"cat": ["c1.png", "c2.png", "c3.png"], "dog": ["d1.png", "d2.png"]}
    )
    answers = {
        "c1.png": ("cat", 0.9),
        "c2.png": ("cat", 0.8),
        "c3.png": ("dog", 0.6),
        "d1.png": ("dog", 0.7),
        "d2.png": ("cat", 0.95),
    }
    progress: list[float] = []
    m = evaluate_classification(
        ScriptedModel(answers, ["cat", "dog"]),
        ["cat", "dog"],
        root,
        batch_size=2,
        progress=progress.append,
    )
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["top5_accuracy"] == 1.0
    assert m["confusion_matrix"] == [[2, 1], [1, 1]]
    cat, dog = m["per_class"]
    assert cat == {
        "label": "cat",
        "precision": pytest.approx(2 / 3),
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(2 / 3),
        "support": 3,
    }
    assert (dog["precision"], dog["recall"], dog["f1"]) == (0.5, 0.5, 0.5)
    assert [w["image_path"].rsplit("/", 1)[1] for w in m["worst_mistakes"]] == ["d2.png", "c3.png"]
    assert progress[-1] == 1.0 and progress == sorted(progress)
    # Accepting conf >= t, F1 = 2·right/(accepted + 5): t <= 0.6 accepts all, 3 right: 6/10;
    # 0.6 < t <= 0.7 drops c3 (wrong): 6/9, the best; above 0.7 the right d1 goes: 4/8.
    assert m["recommended_conf_threshold"] == 0.65
    sweep = {row["conf"]: row for row in m["confidence_sweep"]}
    assert [row["conf"] for row in m["confidence_sweep"]] == SWEEP
    assert sweep[0.05] == {"conf": 0.05, "precision": 0.6, "recall": 0.6, "f1": 0.6}
    assert sweep[0.65] == {"conf": 0.65, "precision": 0.75, "recall": 0.6, "f1": 0.66667}
    assert sweep[0.85] == {"conf": 0.85, "precision": 0.5, "recall": 0.2, "f1": 0.28571}
    assert sweep[0.95] == {"conf": 0.95, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert "at_conf_threshold" not in m

    # A run's own threshold: its operating point, on the same rule.
    at = evaluate_classification(
        ScriptedModel(answers, ["cat", "dog"]), ["cat", "dog"], root, conf_threshold=0.75
    )
    assert at["conf_threshold"] == 0.75
    assert at["at_conf_threshold"] == {
        "conf": 0.75,
        "precision": pytest.approx(2 / 3, abs=1e-5),  # c1, c2 right; d2 wrong
        "recall": 0.4,
        "f1": 0.5,
        "accepted": 3,
    }


def test_sweep_edges_nothing_right_all_right_and_nothing_accepted() -> None:
    sweep, recommended = top1_confidence_sweep([False, False], [0.9, 0.4])
    assert recommended is None and max(row["f1"] for row in sweep) == 0.0
    # All right: keep everything; the threshold sits under the lowest confidence.
    sweep, recommended = top1_confidence_sweep([True, True], [0.9, 0.5])
    assert recommended == 0.25
    above_all = sweep[-1]  # 0.95: nothing accepted, so no wrong claim and no recall
    assert (above_all["precision"], above_all["recall"], above_all["f1"]) == (1.0, 0.0, 0.0)
    # The best gap is (0.8, 0.9]: both wrong answers (0.8, 0.3) rejected, both right kept.
    _, recommended = top1_confidence_sweep([True, False, True, False], [0.95, 0.8, 0.9, 0.3])
    assert recommended == 0.85


def test_classes_unknown_to_the_model_are_named(tmp_path: Path) -> None:
    root = make_set(tmp_path / "t", {"cat": ["a.png"], "zebra": ["z.png"]})
    with pytest.raises(DatasetError, match="zebra"):
        evaluate_classification(ScriptedModel({}, ["cat"]), ["cat"], root)
