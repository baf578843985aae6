"""Inspection: each format checked with training's loaders and described in a report; the
problems named by their path inside the data set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.archives import write_coco
from vision_platform.datastore.inspection import inspect_dataset
from vision_platform.errors import DatasetError


@pytest.fixture
def digits(tiny_digits: Path, tmp_path: Path) -> Path:
    return shutil.copytree(tiny_digits, tmp_path / "digits")


@pytest.fixture
def yolo(shapes: Path, tmp_path: Path) -> Path:
    return shutil.copytree(shapes, tmp_path / "shapes")


def test_an_image_folder_report(digits: Path, tmp_path: Path) -> None:
    found = inspect_dataset(digits, tmp_path / "work")
    report = found.report
    assert (report.format, report.layout, report.task_type) == (
        "imagefolder",
        "imagefolder",
        "classification",
    )
    assert report.class_names == ["0", "1"]
    images = sorted(digits.rglob("*.png"))
    assert sum(report.splits.values()) == len(images) == len(found.samples)
    for stats in report.classes:
        per_class = [p for p in images if p.parent.name == stats.name]
        assert sum(stats.images.values()) == sum(stats.instances.values()) == len(per_class)
    assert report.image_sizes is not None
    assert (report.image_sizes.min_width, report.image_sizes.max_height) == (32, 32)
    assert all(not Path(s.file).is_absolute() for s in found.samples)


def test_a_corrupt_image_fails_naming_it_or_is_skipped(digits: Path, tmp_path: Path) -> None:
    broken = sorted((digits / "train").rglob("*.png"))[0]
    broken.write_bytes(b"not a png at all")
    relative = broken.relative_to(digits).as_posix()
    with pytest.raises(DatasetError, match=f"1 unreadable or corrupt image.*\n  {relative}: ") as e:
        inspect_dataset(digits, tmp_path / "work")
    assert str(tmp_path) not in str(e.value)
    found = inspect_dataset(digits, tmp_path / "work", skip_bad_images=True)
    assert [p.file for p in found.report.problems] == [relative]
    assert found.exclude == {relative}
    assert relative not in {s.file for s in found.samples}


def test_a_yolo_report_counts_objects(yolo: Path, tmp_path: Path) -> None:
    found = inspect_dataset(yolo, tmp_path / "work")
    report = found.report
    assert (report.format, report.layout, report.task_type) == ("yolo", "yolo", "detection")
    assert report.class_names == ["square", "disc", "triangle"]
    assert report.splits == {"train": 8, "val": 4}
    lines = [line for p in (yolo / "labels").rglob("*.txt") for line in p.read_text().splitlines()]
    assert sum(sum(c.instances.values()) for c in report.classes) == len(lines)
    for sample in found.samples:
        for obj in sample.objects:
            x1, y1, x2, y2 = obj.bbox
            assert 0 <= x1 <= x2 <= 1 and 0 <= y1 <= y2 <= 1
            assert obj.class_id in sample.class_ids
    # make_shapes writes an absolute `path`; the stored version reads relative to data.yaml.
    assert "path" not in yaml.safe_load((yolo / "data.yaml").read_text())
    assert any("dropped 'path'" in w for w in report.warnings)


def test_segmentation_is_recognised_by_its_polygons(tmp_path: Path) -> None:
    from vision_platform.datasets.shapes import make_shapes

    out = make_shapes(tmp_path / "seg", num_train=4, num_val=2, task="segment")
    root = out.parent if out.is_file() else out
    found = inspect_dataset(root, tmp_path / "work")
    assert found.report.task_type == "segmentation"
    assert all(o.polygon and len(o.polygon) >= 3 for s in found.samples for o in s.objects)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("7 0.5 0.5 0.2 0.2", "class id 7 out of range"),
        ("0 1.5 0.5 0.2 0.2", "coordinates outside"),
        ("0 0.5 0.5", "expected 5 columns"),
    ],
)
def test_bad_label_lines_are_named_by_file_and_line(
    yolo: Path, tmp_path: Path, line: str, problem: str
) -> None:
    label = sorted((yolo / "labels" / "train").glob("*.txt"))[0]
    label.write_text(label.read_text() + line + "\n")
    number = len(label.read_text().splitlines())
    where = f"{label.relative_to(yolo).as_posix()}:{number}: {problem}"
    with pytest.raises(DatasetError, match=where) as e:
        inspect_dataset(yolo, tmp_path / "work")
    assert str(tmp_path) not in str(e.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [("train", "/etc"), ("val", "../../outside"), ("train", "~/images"), ("val", "a/../../x")],
)
def test_a_data_yaml_pointing_outside_is_refused(
    yolo: Path, tmp_path: Path, key: str, value: str
) -> None:
    data = yaml.safe_load((yolo / "data.yaml").read_text())
    data.pop("path", None)
    data[key] = value
    (yolo / "data.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(DatasetError, match=r"must be a relative path inside the data set"):
        inspect_dataset(yolo, tmp_path / "work")


def test_an_image_list_pointing_outside_is_refused(yolo: Path, tmp_path: Path) -> None:
    data = yaml.safe_load((yolo / "data.yaml").read_text())
    (yolo / "train.txt").write_text("images/train/000000.png\n/etc/hostname.png\n")
    data["train"] = "train.txt"
    (yolo / "data.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(DatasetError, match=r"train.txt:2: an image path must be a relative"):
        inspect_dataset(yolo, tmp_path / "work")


@pytest.mark.parametrize("layout", ["roboflow", "coco"])
def test_coco_is_converted_to_yolo(tmp_path: Path, layout: str) -> None:
    coco = write_coco(tmp_path / "coco", layout=layout)
    found = inspect_dataset(coco, tmp_path / "work")
    report = found.report
    assert (report.format, report.layout, report.task_type) == ("coco", "yolo", "detection")
    assert report.class_names == ["apple", "pear"]
    assert report.splits == {"train": 3, "val": 3}
    assert found.root == (tmp_path / "work" / "converted").resolve()
    assert "path" not in yaml.safe_load((found.root / "data.yaml").read_text())
    assert report.warnings == []


def test_a_task_that_does_not_fit_the_format_is_refused(digits: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"an ImageFolder is for classification"):
        inspect_dataset(digits, tmp_path / "work", task_type="detection")
