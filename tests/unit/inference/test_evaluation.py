"""Classification test-run metrics against a case with a known answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image

from vision_platform.adapters.base import ClassScore, InferenceResult
from vision_platform.errors import DatasetError
from vision_platform.inference.evaluation import evaluate_classification


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


def test_classes_unknown_to_the_model_are_named(tmp_path: Path) -> None:
    root = make_set(tmp_path / "t", {"cat": ["a.png"], "zebra": ["z.png"]})
    with pytest.raises(DatasetError, match="zebra"):
        evaluate_classification(ScriptedModel({}, ["cat"]), ["cat"], root)
