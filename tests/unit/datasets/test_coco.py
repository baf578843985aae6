"""COCO JSON → YOLO: exact label lines, the data.yaml, and errors naming the problem."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from vision_platform.datasets.coco import coco_to_yolo
from vision_platform.datasets.yolo import validate_yolo_dataset
from vision_platform.errors import DatasetError


def _coco() -> dict[str, Any]:
    """Two images (one without objects), two categories with ids out of order, one crowd."""
    return {
        "images": [
            {"id": 7, "file_name": "a.jpg", "width": 100, "height": 50},
            {"id": 9, "file_name": "sub/b.png", "width": 200, "height": 100},
        ],
        "categories": [{"id": 3, "name": "cat"}, {"id": 1, "name": "dog"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 3, "bbox": [10, 5, 20, 10], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 100, 50]},
            {"id": 3, "image_id": 7, "category_id": 1, "bbox": [5, 5, 5, 5], "iscrowd": 1},
        ],
    }


def _write(tmp_path: Path, coco: dict[str, Any]) -> tuple[Path, Path]:
    images = tmp_path / "coco_images"
    for image in coco["images"]:
        path = images / image["file_name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (image.get("width", 40), image.get("height", 20))).save(path)
    json_path = tmp_path / "instances.json"
    json_path.write_text(json.dumps(coco, indent=1))
    return json_path, images


def _labels(out: Path, split: str, name: str) -> list[str]:
    return (out / "labels" / split / name).read_text().splitlines()


def test_detection_labels_exact(tmp_path: Path) -> None:
    json_path, images = _write(tmp_path, _coco())
    out = tmp_path / "yolo"
    result = coco_to_yolo(json_path, images, out)
    assert result.task == "detect"
    assert result.class_names == ["dog", "cat"]  # sorted by category id: 1, 3
    assert (result.images, result.labels, result.skipped) == (2, 2, 1)
    assert _labels(out, "train", "a.txt") == [
        "1 0.200000 0.200000 0.200000 0.200000",
        "0 0.500000 0.500000 1.000000 1.000000",
    ]
    assert _labels(out, "train", "sub/b.txt") == []
    assert (out / "images" / "train" / "sub" / "b.png").is_file()
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == {0: "dog", 1: "cat"}
    assert data["path"] == str(out.resolve())
    dataset = validate_yolo_dataset(out, task_type="detect")
    assert (dataset.train_images, dataset.images_without_labels) == (2, 0)


def test_polygons_give_segmentation_labels(tmp_path: Path) -> None:
    coco = _coco()
    coco["annotations"][0]["segmentation"] = [
        [10, 5, 30, 5, 20, 15],
        [0, 0, 1, 0, 1, 1],  # a smaller second part: dropped for the largest
    ]
    json_path, images = _write(tmp_path, coco)
    result = coco_to_yolo(json_path, images, tmp_path / "yolo")
    assert result.task == "segment"
    assert _labels(tmp_path / "yolo", "train", "a.txt") == [
        "1 0.100000 0.100000 0.300000 0.100000 0.200000 0.300000",
        "0 0.000000 0.000000 1.000000 0.000000 1.000000 1.000000 0.000000 1.000000",
    ]
    assert any("multi-part polygon" in w for w in result.warnings)
    assert any("no polygon (box used)" in w for w in result.warnings)
    validate_yolo_dataset(tmp_path / "yolo", task_type="segment")


def test_train_then_val_make_one_dataset(tmp_path: Path) -> None:
    json_path, images = _write(tmp_path, _coco())
    out = tmp_path / "yolo"
    first = coco_to_yolo(json_path, images, out, split="train")
    assert any("no val split yet" in w for w in first.warnings)
    coco_to_yolo(json_path, images, out, split="val")
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert (data["train"], data["val"]) == ("images/train", "images/val")
    assert validate_yolo_dataset(out).val_images == 2


def test_other_classes_into_same_folder_refused(tmp_path: Path) -> None:
    json_path, images = _write(tmp_path, _coco())
    coco_to_yolo(json_path, images, tmp_path / "yolo")
    coco = _coco()
    coco["categories"][0]["name"] = "horse"
    json_path.write_text(json.dumps(coco))
    with pytest.raises(DatasetError, match="differ"):
        coco_to_yolo(json_path, images, tmp_path / "yolo", split="val")


def test_size_read_from_image_when_missing(tmp_path: Path) -> None:
    coco = _coco()
    del coco["images"][0]["width"], coco["images"][0]["height"]
    json_path, images = _write(tmp_path, coco)  # the file is written 40×20
    coco_to_yolo(json_path, images, tmp_path / "yolo")
    assert (
        _labels(tmp_path / "yolo", "train", "a.txt")[0] == "1 0.500000 0.500000 0.500000 0.500000"
    )


def _error(tmp_path: Path, coco: dict[str, Any]) -> str:
    json_path, images = _write(tmp_path, coco)
    with pytest.raises(DatasetError) as info:
        coco_to_yolo(json_path, images, tmp_path / "yolo")
    return str(info.value)


def test_missing_json(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="COCO annotation file not found"):
        coco_to_yolo(tmp_path / "nope.json", tmp_path, tmp_path / "yolo")


def test_invalid_json_names_line(tmp_path: Path) -> None:
    json_path = tmp_path / "bad.json"
    json_path.write_text('{\n"images": [],\n"annotations": [,]\n}')
    with pytest.raises(DatasetError, match=re.escape(f"{json_path}:3: invalid JSON")):
        coco_to_yolo(json_path, tmp_path, tmp_path / "yolo")


def test_missing_section(tmp_path: Path) -> None:
    coco = _coco()
    del coco["categories"]
    assert "missing or not a list: categories" in _error(tmp_path, coco)


def test_unknown_image_and_category_listed_together(tmp_path: Path) -> None:
    coco = _coco()
    coco["annotations"][0]["image_id"] = 99
    coco["annotations"][1]["category_id"] = 5
    message = _error(tmp_path, coco)
    assert "annotations[0] (id 1): image_id 99 is not in 'images'" in message
    assert "annotations[1] (id 2): category_id 5 is not in 'categories'" in message


def test_bad_bbox(tmp_path: Path) -> None:
    coco = _coco()
    coco["annotations"][1]["bbox"] = [1, 2, 3]
    assert "annotations[1] (id 2): 'bbox' must be [x, y, width, height]" in _error(tmp_path, coco)


def test_missing_image_file(tmp_path: Path) -> None:
    json_path, images = _write(tmp_path, _coco())
    (images / "sub" / "b.png").unlink()
    with pytest.raises(DatasetError) as info:
        coco_to_yolo(json_path, images, tmp_path / "yolo")
    assert f"images id 9: {images / 'sub' / 'b.png'}" in str(info.value)
