"""ImageFolder validation: every problem named, the automatic split stable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from vision_platform.datasets.digits import make_digits
from vision_platform.datasets.imagefolder import load_image_folder
from vision_platform.errors import DatasetError


def image(path: Path, color: int = 128) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (color, color, color)).save(path)
    return path


def flat_set(root: Path, classes: dict[str, int]) -> Path:
    for name, count in classes.items():
        for i in range(count):
            image(root / name / f"{i}.png", color=i * 10)
    return root


def test_train_and_val_folders_are_read(digits_dir: Path) -> None:
    split = load_image_folder(digits_dir)
    assert split.class_names == ["0", "1", "2"]
    assert not split.auto_split
    assert len(split.train) == 48 and len(split.val) == 12
    assert {label for _, label in split.val} == {0, 1, 2}


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=str(tmp_path / "nope")):
        load_image_folder(tmp_path / "nope")


def test_empty_class_is_named(tmp_path: Path) -> None:
    root = flat_set(tmp_path / "d", {"cat": 3, "dog": 3})
    (root / "bird").mkdir()
    with pytest.raises(DatasetError, match=r"empty class.*bird"):
        load_image_folder(root)


def test_single_class_is_refused(tmp_path: Path) -> None:
    root = flat_set(tmp_path / "d", {"cat": 4})
    with pytest.raises(DatasetError, match="only one class"):
        load_image_folder(root)


def test_corrupt_images_are_listed_or_skipped(tmp_path: Path) -> None:
    root = flat_set(tmp_path / "d", {"cat": 5, "dog": 5})
    bad = [root / "cat" / "bad.png", root / "dog" / "bad.jpg"]
    bad[0].write_bytes(b"garbage")
    good = image(tmp_path / "tmp.png").read_bytes()
    bad[1].write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError) as caught:
        load_image_folder(root)
    for path in bad:
        assert str(path) in str(caught.value)
    assert "--skip-bad-images" in str(caught.value)
    split = load_image_folder(root, skip_bad_images=True)
    assert len(split.bad_images) == 2
    used = {p for p, _ in split.train + split.val}
    assert not used & {str(p) for p in bad}
    assert any("skipping 2" in w for w in split.warnings)


def test_automatic_split_is_deterministic_and_covers_every_class(tmp_path: Path) -> None:
    root = flat_set(tmp_path / "d", {"a": 10, "b": 10, "c": 2})
    first, second = load_image_folder(root), load_image_folder(root)
    assert first.auto_split and first.val == second.val and first.train == second.train
    assert {label for _, label in first.val} == {0, 1, 2}
    assert len(first.val) == 2 + 2 + 1
    assert not set(first.val) & set(first.train)


def test_train_without_val_holds_out_part_of_train(tmp_path: Path) -> None:
    flat_set(tmp_path / "d" / "train", {"a": 5, "b": 5})
    split = load_image_folder(tmp_path / "d")
    assert split.auto_split and len(split.val) == 2
    assert any("no val/ folder" in w for w in split.warnings)


def test_val_class_unknown_to_train_is_refused(tmp_path: Path) -> None:
    flat_set(tmp_path / "d" / "train", {"a": 3, "b": 3})
    flat_set(tmp_path / "d" / "val", {"a": 1, "z": 1})
    with pytest.raises(DatasetError, match="classes not in train/: z"):
        load_image_folder(tmp_path / "d")


def test_digits_maker_writes_rgb_pngs_of_the_asked_size(tmp_path: Path) -> None:
    root = make_digits(tmp_path / "digits", size=24, num_classes=4, per_class=10)
    files = sorted(root.rglob("*.png"))
    assert len(files) == 40
    assert sorted(p.name for p in (root / "train").iterdir()) == ["0", "1", "2", "3"]
    with Image.open(files[0]) as img:
        assert img.mode == "RGB" and img.size == (24, 24)
    again = make_digits(tmp_path / "again", size=24, num_classes=4, per_class=10)
    shutil.rmtree(again / "val")
    assert (root / "train" / "0").iterdir()
