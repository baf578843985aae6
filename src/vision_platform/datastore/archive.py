"""Safe, streaming extraction of an uploaded .zip, .tar or .tar.gz into a fresh folder.

Every entry is checked before a byte of it is written: no absolute paths, no `..`, no links, no
device files or FIFOs. Sizes are counted as the data is written (the sizes an archive declares
can lie), so a zip bomb stops at the limit instead of filling the disk. Any failure removes the
folder: a rejected archive leaves nothing behind.
"""

from __future__ import annotations

import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from vision_platform.datastore.errors import ArchiveTooLargeError, UnsafeArchiveError
from vision_platform.errors import DatasetError

CHUNK = 1 << 20
FORMATS = ".zip, .tar or .tar.gz"
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ExtractLimits:
    """How much an archive may unpack to.

    The ratio is checked only past `ratio_floor_bytes`: small archives of text labels compress
    well and are no danger, while images (already compressed) unpack to about their own size.
    """

    max_bytes: int
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 16 << 20
    max_entries: int = 1_000_000


@dataclass
class Extracted:
    """What an archive held: its regular files and their total size."""

    files: int = 0
    bytes: int = 0
    entries: int = 0
    archive_bytes: int = 0


def archive_kind(path: Path) -> str:
    """'zip' or 'tar' (plain or compressed), from the file's first bytes, not its name."""
    with open(path, "rb") as f:
        head = f.read(512)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x8b" or head[257:262] == b"ustar":
        return "tar"
    if not head:
        raise DatasetError(f"the upload is empty (expected a {FORMATS} archive)")
    raise DatasetError(f"the upload is not a {FORMATS} archive")


def extract_archive(archive: Path, dest: Path, limits: ExtractLimits) -> Extracted:
    """Unpack `archive` into `dest` (created; it must not exist) within `limits`.

    Raises UnsafeArchiveError or ArchiveTooLargeError naming the entry at fault, and
    DatasetError for a corrupt, cut-off, empty or unknown archive; `dest` is gone then."""
    kind = archive_kind(archive)
    dest.mkdir(parents=True)
    result = Extracted(archive_bytes=archive.stat().st_size)
    try:
        if kind == "zip":
            _extract_zip(archive, dest, limits, result)
        else:
            _extract_tar(archive, dest, limits, result)
        if result.files == 0:
            raise DatasetError("the archive holds no files")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return result


def safe_member_path(name: str) -> PurePosixPath | None:
    """The entry's path relative to the archive's root; None for the root itself.

    Backslashes count as separators (archives written on Windows)."""
    raw = name.replace("\\", "/")
    if "\x00" in raw:
        raise UnsafeArchiveError(f"archive entry {name!r}: NUL character in its name")
    if raw.startswith("/") or _DRIVE.match(raw):
        raise UnsafeArchiveError(f"archive entry {name!r}: absolute paths are not allowed")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"archive entry {name!r}: '..' in a path is not allowed")
    return PurePosixPath(*parts) if parts else None


class _Budget:
    """Counts the bytes written against the limits; the error names the entry being written."""

    def __init__(self, limits: ExtractLimits, result: Extracted) -> None:
        self.limits = limits
        self.result = result

    def entry(self, name: str) -> None:
        self.result.entries += 1
        if self.result.entries > self.limits.max_entries:
            raise ArchiveTooLargeError(
                f"archive entry {name!r}: more than {self.limits.max_entries} entries"
            )

    def add(self, size: int, name: str) -> None:
        self.result.bytes += size
        total, limits = self.result.bytes, self.limits
        if total > limits.max_bytes:
            raise ArchiveTooLargeError(
                f"archive entry {name!r}: the archive unpacks to more than "
                f"{limits.max_bytes / 2**20:g} MB (VP_MAX_DATASET_EXTRACTED_MB)"
            )
        ratio = total / max(1, self.result.archive_bytes)
        if total > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise ArchiveTooLargeError(
                f"archive entry {name!r}: the archive unpacks to over {limits.max_ratio:g} times "
                "its size (a zip bomb?); VP_MAX_DATASET_RATIO sets the limit"
            )


def _target(dest: Path, name: str, result: Extracted) -> Path | None:
    relative = safe_member_path(name)
    if relative is None:
        return None
    target = dest.joinpath(*relative.parts)
    for parent in reversed(target.parents):
        if parent.is_relative_to(dest) and parent != dest and parent.is_file():
            raise UnsafeArchiveError(f"archive entry {name!r}: {parent.name!r} is a file")
    return target


def _write(source: IO[bytes], target: Path, name: str, budget: _Budget) -> None:
    if target.is_dir():
        raise UnsafeArchiveError(f"archive entry {name!r}: a folder of that name exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK):
            budget.add(len(chunk), name)
            out.write(chunk)
    budget.result.files += 1


@contextmanager
def _read_errors(kind: str) -> Iterator[None]:
    """A damaged or truncated archive as a DatasetError, not a library traceback."""
    try:
        yield
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zipfile.LargeZipFile) as e:
        raise DatasetError(f"the {kind} archive is corrupt or cut off: {e}") from e
    except RuntimeError as e:  # zipfile: encrypted entries
        raise DatasetError(f"the {kind} archive cannot be read: {e}") from e
    except OSError as e:  # a name the file system refuses (too long, …)
        raise DatasetError(f"the {kind} archive cannot be unpacked: {e}") from e


def _zip_mode_problem(info: zipfile.ZipInfo) -> str | None:
    """What the entry is when it is not a plain file or folder (by its Unix mode bits)."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)  # 0: no type recorded (Windows tools, zipfile.writestr)
    if kind in (0, stat.S_IFREG, stat.S_IFDIR):
        return None
    if stat.S_ISLNK(mode):
        return "symbolic links are not allowed"
    return "device files, FIFOs and sockets are not allowed"


def _extract_zip(archive: Path, dest: Path, limits: ExtractLimits, result: Extracted) -> None:
    budget = _Budget(limits, result)
    with _read_errors("zip"), zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if infos and declared > limits.max_bytes:
            budget.add(declared, infos[-1].filename)  # refused before writing anything
        for info in infos:
            budget.entry(info.filename)
            problem = _zip_mode_problem(info)
            if problem:
                raise UnsafeArchiveError(f"archive entry {info.filename!r}: {problem}")
            target = _target(dest, info.filename, result)
            if target is None:
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            with zf.open(info) as source:
                _write(source, target, info.filename, budget)


def _tar_member_problem(member: tarfile.TarInfo) -> str | None:
    if member.isreg() or member.isdir():
        return None
    if member.issym():
        return "symbolic links are not allowed"
    if member.islnk():
        return "hard links are not allowed"
    return "device files, FIFOs and other special entries are not allowed"


def _extract_tar(archive: Path, dest: Path, limits: ExtractLimits, result: Extracted) -> None:
    budget = _Budget(limits, result)
    # "r|*": a stream, read once front to back (gzip, bz2 and xz included).
    with _read_errors("tar"), tarfile.open(archive, mode="r|*") as tf:
        while (member := tf.next()) is not None:
            tf.members = []  # type: ignore[attr-defined]  # every header kept; a stream needs none
            budget.entry(member.name)
            problem = _tar_member_problem(member)
            if problem:
                raise UnsafeArchiveError(f"archive entry {member.name!r}: {problem}")
            target = _target(dest, member.name, result)
            if target is not None and member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif target is not None:
                source = tf.extractfile(member)
                assert source is not None  # a regular file always has data
                _write(source, target, member.name, budget)
