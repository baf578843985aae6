"""Archive extraction: good archives unpack; every hostile entry is refused by name and
leaves nothing behind."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tests.archives import tar_folder, tar_special, zip_bomb, zip_entries, zip_folder, zip_symlink
from vision_platform.datastore.archive import ExtractLimits, extract_archive, safe_member_path
from vision_platform.datastore.errors import ArchiveTooLargeError, UnsafeArchiveError
from vision_platform.errors import DatasetError

LIMITS = ExtractLimits(max_bytes=64 << 20)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "src" / "data"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.txt").write_text("beta")
    return root


@pytest.mark.parametrize("kind", ["zip", "tar", "tar.gz"])
def test_a_good_archive_unpacks_with_its_folders(folder: Path, tmp_path: Path, kind: str) -> None:
    archive = tmp_path / f"data.{kind}"
    if kind == "zip":
        zip_folder(folder, archive)
    else:
        tar_folder(folder, archive, mode="w" if kind == "tar" else "w:gz")
    out = tmp_path / "out"
    result = extract_archive(archive, out, LIMITS)
    assert (out / "data" / "a.txt").read_text() == "alpha"
    assert (out / "data" / "sub" / "b.txt").read_text() == "beta"
    assert (result.files, result.bytes) == (2, 9)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.txt", "'..'"),
        ("data/../../evil.txt", "'..'"),
        ("/etc/evil.txt", "absolute"),
        ("C:/evil.txt", "absolute"),
        ("..\\evil.txt", "'..'"),
    ],
)
def test_zip_entries_leaving_the_folder_are_refused(
    tmp_path: Path, name: str, problem: str
) -> None:
    archive = zip_entries(tmp_path / "evil.zip", {"ok/a.txt": b"x", name: b"evil"})
    out = tmp_path / "out"
    with pytest.raises(UnsafeArchiveError, match=problem) as caught:
        extract_archive(archive, out, LIMITS)
    assert repr(name) in str(caught.value)
    assert not out.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_a_zip_symlink_is_refused(tmp_path: Path) -> None:
    archive = zip_symlink(tmp_path / "link.zip", "ok/passwd", "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match=r"'ok/passwd': symbolic links"):
        extract_archive(archive, tmp_path / "out", LIMITS)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("symlink", "symbolic links"),
        ("hardlink", "hard links"),
        ("chr", "device files"),
        ("fifo", "FIFOs"),
        ("dotdot", "'..'"),
        ("absolute", "absolute"),
    ],
)
def test_special_tar_entries_are_refused(tmp_path: Path, kind: str, problem: str) -> None:
    archive = tar_special(tmp_path / "evil.tar.gz", kind)
    out = tmp_path / "deep" / "out"
    with pytest.raises(UnsafeArchiveError, match=problem):
        extract_archive(archive, out, LIMITS)
    assert not out.exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_a_zip_bomb_stops_at_the_size_limit(tmp_path: Path) -> None:
    archive = zip_bomb(tmp_path / "bomb.zip", 20)
    small = ExtractLimits(max_bytes=8 << 20, max_ratio=10_000)
    with pytest.raises(ArchiveTooLargeError, match=r"'data/zeros.bin'.*more than 8 MB"):
        extract_archive(archive, tmp_path / "out", small)
    assert not (tmp_path / "out").exists()


def test_a_zip_bomb_stops_at_the_ratio_limit(tmp_path: Path) -> None:
    archive = zip_bomb(tmp_path / "bomb.zip", 4)
    ratio = ExtractLimits(max_bytes=1 << 30, max_ratio=50, ratio_floor_bytes=1 << 20)
    with pytest.raises(ArchiveTooLargeError, match=r"over 50 times its size"):
        extract_archive(archive, tmp_path / "out", ratio)


def test_a_zip_that_understates_its_size_is_corrupt(tmp_path: Path) -> None:
    """A zip whose directory says 10 bytes for 3 MB: reading stops at 10 bytes and the CRC
    check fails, so the lie never writes more than it declared."""
    archive = zip_bomb(tmp_path / "bomb.zip", 3)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.infolist()[0]
    # The central directory's uncompressed size (offset 24 of its record) says 10 bytes.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    assert info.file_size == 3 << 20
    small = ExtractLimits(max_bytes=1 << 20, max_ratio=10_000)
    with pytest.raises(DatasetError, match=r"corrupt or cut off"):
        extract_archive(archive, tmp_path / "out", small)
    assert not (tmp_path / "out").exists()


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    archive = zip_entries(tmp_path / "many.zip", {f"d/{i}.txt": b"x" for i in range(20)})
    with pytest.raises(ArchiveTooLargeError, match=r"more than 10 entries"):
        extract_archive(archive, tmp_path / "out", ExtractLimits(max_bytes=1 << 20, max_entries=10))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the upload is empty"),
        (b"just some text", "not a .zip, .tar or .tar.gz archive"),
    ],
)
def test_what_is_no_archive_is_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        extract_archive(path, tmp_path / "out", LIMITS)


def test_an_empty_archive_is_refused(tmp_path: Path) -> None:
    archive = zip_entries(tmp_path / "empty.zip", {"only/": b""})
    with pytest.raises(DatasetError, match=r"holds no files"):
        extract_archive(archive, tmp_path / "out", LIMITS)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_a_cut_off_archive_is_corrupt(folder: Path, tmp_path: Path, kind: str) -> None:
    (folder / "big.bin").write_bytes(bytes(range(256)) * 4000)
    archive = tmp_path / f"data.{kind}"
    zip_folder(folder, archive) if kind == "zip" else tar_folder(folder, archive)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(DatasetError, match=r"corrupt or cut off"):
        extract_archive(archive, tmp_path / "out", LIMITS)
    assert not (tmp_path / "out").exists()


def test_a_file_where_a_folder_must_be_is_refused(tmp_path: Path) -> None:
    archive = zip_entries(tmp_path / "clash.zip", {"d/a": b"x", "d/a/b.txt": b"y"})
    with pytest.raises(UnsafeArchiveError, match=r"'d/a/b.txt'"):
        extract_archive(archive, tmp_path / "out", LIMITS)


def test_member_paths_are_normalised() -> None:
    assert str(safe_member_path("./a//b/./c.txt")) == "a/b/c.txt"
    assert str(safe_member_path("a\\b.txt")) == "a/b.txt"
    assert safe_member_path("./") is None
    with pytest.raises(UnsafeArchiveError, match=r"NUL"):
        safe_member_path("a\x00b")
