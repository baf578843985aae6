"""Where a data set starts in an unpacked folder, its format, and its content digest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.archives import write_coco
from vision_platform.datastore.layout import (
    content_digest,
    content_files,
    detect_format,
    find_root,
)
from vision_platform.errors import DatasetError


def test_the_root_is_below_wrapping_folders_and_junk(tiny_digits: Path, tmp_path: Path) -> None:
    wrapped = tmp_path / "raw" / "outer" / "digits"
    shutil.copytree(tiny_digits, wrapped)
    (tmp_path / "raw" / "__MACOSX").mkdir()
    (tmp_path / "raw" / ".DS_Store").write_text("junk")
    assert find_root(tmp_path / "raw") == wrapped


def test_formats(tiny_digits: Path, shapes: Path, tmp_path: Path) -> None:
    assert detect_format(tiny_digits) == "imagefolder"
    assert detect_format(shapes) == "yolo"
    assert detect_format(write_coco(tmp_path / "coco")) == "coco"
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "notes.txt").write_text("hello")
    with pytest.raises(DatasetError, match=r"no recognisable data set format.*found: notes.txt"):
        detect_format(tmp_path / "loose")


def test_the_digest_depends_on_content_only(tiny_digits: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(tiny_digits, tmp_path / "elsewhere")
    (copy / ".DS_Store").write_text("ignored")
    files, ignored = content_files(copy)
    original, _ = content_files(tiny_digits)
    assert ignored == 1
    assert content_digest(files) == content_digest(original)
    first = sorted(copy.rglob("*.png"))[0]
    first.write_bytes(first.read_bytes() + b"\0")
    assert content_digest(content_files(copy)[0]) != content_digest(original)
    renamed = sorted(copy.rglob("*.png"))[1]
    renamed.rename(renamed.with_name("renamed.png"))
    assert len({content_digest(content_files(copy)[0]), content_digest(original)}) == 2


def test_links_and_empty_data_sets_are_refused(tmp_path: Path) -> None:
    (tmp_path / "d" / "a").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"holds no files"):
        content_files(tmp_path / "d")
    (tmp_path / "d" / "a" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(DatasetError, match=r"a/passwd: symbolic links"):
        content_files(tmp_path / "d")
