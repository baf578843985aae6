"""The shapes demo data set: valid YOLO data, deterministic, labels where the shapes are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from vision_platform.datasets.shapes import CLASS_NAMES, DISC_POINTS, draw_shapes_image, make_shapes
from vision_platform.datasets.yolo import validate_yolo_dataset


def _rows(label: Path) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in label.read_text().splitlines()]


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_round_trips_through_the_validator(tmp_path: Path, task: str) -> None:
    yaml_path = make_shapes(tmp_path / "shapes", num_train=12, num_val=4, image_size=64, task=task)
    dataset = validate_yolo_dataset(yaml_path, task_type=task)
    assert dataset.class_names == list(CLASS_NAMES)
    assert (dataset.train_images, dataset.val_images) == (12, 4)
    assert dataset.images_without_labels == 0
    data = yaml.safe_load(yaml_path.read_text())
    assert Path(data["path"]).is_absolute()


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "data.yaml"
        }

    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        make_shapes(tmp_path / name, num_train=3, num_val=2, image_size=48, seed=seed)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")


def test_one_to_four_separate_objects_per_image(tmp_path: Path) -> None:
    make_shapes(tmp_path, num_train=30, num_val=1, image_size=64)
    counts = []
    for label in sorted((tmp_path / "labels" / "train").glob("*.txt")):
        rows = _rows(label)
        counts.append(len(rows))
        boxes = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2) for _, x, y, w, h in rows]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    assert min(counts) >= 1 and max(counts) <= 4
    assert len(set(counts)) > 1


def test_segment_discs_are_polygons(tmp_path: Path) -> None:
    make_shapes(tmp_path, num_train=20, num_val=1, image_size=64, task="segment")
    columns = {
        CLASS_NAMES[int(row[0])]: len(row)
        for label in (tmp_path / "labels" / "train").glob("*.txt")
        for row in _rows(label)
    }
    assert columns == {"square": 9, "triangle": 7, "disc": 1 + 2 * DISC_POINTS}


def test_labels_sit_on_the_drawn_shapes() -> None:
    rng = np.random.default_rng(5)
    for _ in range(10):
        pixels, shapes = draw_shapes_image(rng, 96)
        inside = np.zeros((96, 96), dtype=bool)
        for s in shapes:
            inside[s.y : s.y + s.side, s.x : s.x + s.side] = True
        background = np.median(pixels[~inside], axis=0)
        for s in shapes:
            centre = pixels[s.y + s.side // 2 - 1 : s.y + s.side // 2 + 2,
                            s.x + s.side // 2 - 1 : s.x + s.side // 2 + 2]  # fmt: skip
            assert np.abs(centre.reshape(-1, 3).mean(axis=0) - background).max() > 60


def test_rejects_unknown_task(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="task"):
        make_shapes(tmp_path, task="pose")  # type: ignore[arg-type]
