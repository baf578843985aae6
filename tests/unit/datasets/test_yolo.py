"""YOLO data set validation: what passes, and every error naming its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from PIL import Image

from vision_platform.datasets.yolo import (
    find_yolo_yaml,
    is_yolo_dataset,
    label_path_for,
    validate_yolo_dataset,
)
from vision_platform.errors import DatasetError

BOX = "0 0.5 0.5 0.2 0.2"


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (200, 30, 30)).save(path)


def make_yolo(
    root: Path,
    *,
    train: dict[str, str | None] | None = None,
    val: dict[str, str | None] | None = None,
    data: dict[str, object] | None = None,
) -> Path:
    """A small YOLO data set: image stem → label text (None: image without a label file)."""
    splits = {"train": train or {"a": BOX}, "val": val or {"v": BOX}}
    for split, files in splits.items():
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for stem, text in files.items():
            _image(root / "images" / split / f"{stem}.png")
            if text is not None:
                (root / "labels" / split / f"{stem}.txt").write_text(text)
    content = {"path": ".", "train": "images/train", "val": "images/val", "names": ["red", "blue"]}
    content.update(data or {})
    yaml_path = root / "data.yaml"
    yaml_path.write_text(yaml.safe_dump({k: v for k, v in content.items() if v is not None}))
    return yaml_path


def _error(path: Path, task_type: str = "detect") -> str:
    with pytest.raises(DatasetError) as info:
        validate_yolo_dataset(path, task_type=task_type)
    return str(info.value)


def test_valid_dataset_is_described(tmp_path: Path) -> None:
    make_yolo(
        tmp_path,
        train={"a": f"{BOX}\n1 0.1 0.1 0.05 0.05\n", "b": "", "c": None},
        val={"v": BOX, "w": None},
    )
    dataset = validate_yolo_dataset(tmp_path, task_type="detection")
    assert dataset.yaml_path == tmp_path / "data.yaml"
    assert dataset.class_names == ["red", "blue"]
    assert (dataset.train_images, dataset.val_images) == (3, 2)
    assert dataset.images_without_labels == 2
    assert any("1 of 3 train image(s) have no label file" in w for w in dataset.warnings)
    assert dataset.train_sources == [tmp_path / "images" / "train"]


def test_yaml_file_and_folder_both_accepted(tmp_path: Path) -> None:
    yaml_path = make_yolo(tmp_path)
    assert find_yolo_yaml(tmp_path) == yaml_path
    assert validate_yolo_dataset(yaml_path).class_names == ["red", "blue"]
    assert is_yolo_dataset(tmp_path) and is_yolo_dataset(yaml_path)
    assert not is_yolo_dataset(tmp_path / "images")


def test_names_as_mapping_and_relative_path_from_yaml_folder(tmp_path: Path) -> None:
    make_yolo(tmp_path / "ds", data={"names": {1: "blue", 0: "red"}, "path": "../ds"})
    dataset = validate_yolo_dataset(tmp_path / "ds" / "data.yaml")
    assert dataset.class_names == ["red", "blue"]
    assert dataset.root == tmp_path / "ds"
    data = dataset.to_data_dict()
    assert data["train"] == [str(tmp_path / "ds" / "images" / "train")]
    assert data["names"] == {0: "red", 1: "blue"}


def test_image_list_file_as_split(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": BOX, "b": BOX})
    (tmp_path / "train.txt").write_text("./images/train/a.png\n\n")
    make_yolo(tmp_path, data={"train": "train.txt"})
    assert validate_yolo_dataset(tmp_path).train_images == 1


def test_missing_data_yaml_names_the_folder(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    message = _error(tmp_path)
    assert str(tmp_path) in message
    assert "no data.yaml" in message


def test_missing_names(tmp_path: Path) -> None:
    yaml_path = make_yolo(tmp_path, data={"names": None})
    message = _error(tmp_path)
    assert f"{yaml_path}: missing 'names'" in message


def test_names_dict_with_gap(tmp_path: Path) -> None:
    yaml_path = make_yolo(tmp_path, data={"names": {0: "red", 2: "blue"}})
    assert f"{yaml_path}:" in _error(tmp_path)


def test_missing_train_folder_names_yaml_line_and_folder(tmp_path: Path) -> None:
    yaml_path = tmp_path / "data.yaml"
    make_yolo(tmp_path)
    yaml_path.write_text("names: [red, blue]\ntrain: images/nope\nval: images/val\n")
    message = _error(tmp_path)
    assert f"{yaml_path}:2:" in message
    assert f"train images folder not found: {tmp_path / 'images' / 'nope'}" in message


def test_missing_val_key(tmp_path: Path) -> None:
    yaml_path = make_yolo(tmp_path, data={"val": None})
    assert f"{yaml_path}: missing 'val'" in _error(tmp_path)


def test_missing_labels_folder(tmp_path: Path) -> None:
    make_yolo(tmp_path)
    (tmp_path / "labels" / "val" / "v.txt").unlink()
    (tmp_path / "labels" / "val").rmdir()
    message = _error(tmp_path)
    assert f"labels folder not found: {tmp_path / 'labels' / 'val'}" in message


def test_no_label_in_train_at_all(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": None, "b": None})
    assert "none of the 2 train images has a label file" in _error(tmp_path)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    yaml_path = make_yolo(tmp_path)
    yaml_path.write_text("names: [red, blue]\ntrain: [images/train\nval: images/val\n")
    assert f"{yaml_path}:" in _error(tmp_path)
    assert "invalid YAML" in _error(tmp_path)


def test_wrong_column_count_names_file_and_line(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": f"{BOX}\n0 0.5 0.5 0.2\n"})
    message = _error(tmp_path)
    label = tmp_path / "labels" / "train" / "a.txt"
    assert f"{label}:2: expected 5 columns" in message
    assert "got 4" in message


def test_not_a_number(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": "0 0.5 x 0.2 0.2\n"})
    assert f"{tmp_path / 'labels' / 'train' / 'a.txt'}:1: not a number" in _error(tmp_path)


def test_class_id_out_of_range_says_the_range(tmp_path: Path) -> None:
    make_yolo(tmp_path, val={"v": f"{BOX}\n\n2 0.5 0.5 0.1 0.1\n"})
    message = _error(tmp_path)
    assert f"{tmp_path / 'labels' / 'val' / 'v.txt'}:3: class id 2 out of range" in message
    assert "ids 0-1" in message


def test_fractional_class_id_rejected(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": "0.5 0.5 0.5 0.2 0.2\n"})
    assert "class id 0.5 out of range" in _error(tmp_path)


def test_coordinates_outside_unit_range(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": "0 1.2 0.5 0.2 0.2\n"})
    message = _error(tmp_path)
    assert (
        f"{tmp_path / 'labels' / 'train' / 'a.txt'}:1: coordinates outside [0, 1]: 1.2" in message
    )


def test_float_noise_past_the_border_is_tolerated(tmp_path: Path) -> None:
    make_yolo(tmp_path, train={"a": "0 1.004 0.5 0.2 -0.003\n"})
    assert validate_yolo_dataset(tmp_path).train_images == 1


def test_all_problems_reported_together_and_capped(tmp_path: Path) -> None:
    bad = "".join("0 2 0.5 0.2 0.2\n" for _ in range(30))
    make_yolo(tmp_path, train={"a": bad}, val={"v": "5 0.5 0.5 0.2 0.2\n"})
    message = _error(tmp_path)
    assert message.startswith("31 problem(s) in the labels of")
    assert "… and 11 more problem(s)" in message
    assert f"{tmp_path / 'labels' / 'train' / 'a.txt'}:20:" in message
    assert f"{tmp_path / 'labels' / 'train' / 'a.txt'}:21:" not in message


def test_segment_rows(tmp_path: Path) -> None:
    triangle = "1 0.1 0.1 0.9 0.1 0.5 0.9"
    make_yolo(tmp_path, train={"a": f"{triangle}\n"}, val={"v": f"{triangle} 0.4 0.4\n"})
    assert validate_yolo_dataset(tmp_path, task_type="segment").val_images == 1
    make_yolo(tmp_path, train={"a": f"{BOX}\n"})
    message = _error(tmp_path, "segmentation")
    assert f"{tmp_path / 'labels' / 'train' / 'a.txt'}:1: expected class then at least 3" in message
    make_yolo(tmp_path, train={"a": f"{triangle} 0.4\n"})
    assert "got 8" in _error(tmp_path, "segment")


def test_pose_rows_follow_kpt_shape(tmp_path: Path) -> None:
    row = f"{BOX} 0.1 0.2 2 0.3 0.4 0"  # two keypoints, x y visibility
    make_yolo(tmp_path, train={"a": row}, val={"v": row}, data={"kpt_shape": [2, 3]})
    assert validate_yolo_dataset(tmp_path, task_type="pose").kpt_shape == (2, 3)
    make_yolo(tmp_path, train={"a": f"{BOX} 0.1 0.2 2"}, data={"kpt_shape": [2, 3]})
    assert "expected 11 columns" in _error(tmp_path, "pose")


def test_pose_needs_kpt_shape(tmp_path: Path) -> None:
    yaml_path = make_yolo(tmp_path)
    assert f"{yaml_path}: pose data needs 'kpt_shape" in _error(tmp_path, "pose")


def test_unknown_task_type(tmp_path: Path) -> None:
    make_yolo(tmp_path)
    assert "no YOLO label format" in _error(tmp_path, "classification")


def test_label_path_follows_ultralytics_convention() -> None:
    image = Path("/d/images/x/images/train/a.b.jpg")
    assert label_path_for(image) == Path("/d/images/x/labels/train/a.b.txt")
    assert label_path_for(Path("/d/train/a.png")) == Path("/d/train/a.txt")
