"""Where a data set starts inside an unpacked folder, which format it is, and which of its
files make up its content (and so its version)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vision_platform.errors import DatasetError
from vision_platform.storage import file_sha256

SourceFormat = Literal["imagefolder", "yolo", "coco"]
# Files that archivers and desktops add; never part of a data set.
JUNK_NAMES = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})
META_DIR = ".vp"  # the store's own files beside a version's content (hidden from loaders)
_YAML = (".yaml", ".yml")
_COCO_KEYS = ("images", "annotations", "categories")


@dataclass(frozen=True)
class ContentFile:
    """One file of a data set: its '/'-separated path inside the data set and where it is."""

    relative: str
    path: Path
    size: int


def is_ignored(relative: Path) -> bool:
    """Hidden files and folders (.DS_Store, .git, ours) and archiver junk (__MACOSX)."""
    return any(part.startswith(".") or part in JUNK_NAMES for part in relative.parts)


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not is_ignored(Path(p.name)))


def find_root(folder: Path) -> Path:
    """The data set's root: `folder`, or the single folder an archive wrapped it in.

    Descends while a folder holds exactly one sub-folder and nothing else (`digits.zip` often
    holds `digits/…`); stops at a folder with files in it, such as a data.yaml."""
    current = folder
    while True:
        entries = _entries(current)
        if len(entries) == 1 and entries[0].is_dir():
            current = entries[0]
            continue
        return current


def coco_files(root: Path) -> list[Path]:
    """COCO annotation files: JSON objects with images, annotations and categories, at the
    root, in `annotations/`, or one folder down (Roboflow's `train/_annotations.coco.json`)."""
    candidates = [
        *root.glob("*.json"),
        *root.glob("annotations/*.json"),
        *root.glob("*/*.json"),
    ]
    return sorted({p for p in candidates if p.is_file() and _is_coco(p)})


def _is_coco(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, OSError):
        return False
    return isinstance(data, dict) and all(isinstance(data.get(k), list) for k in _COCO_KEYS)


def detect_format(root: Path) -> SourceFormat:
    """YOLO when a yaml file lies at the root, COCO when a COCO JSON does, else ImageFolder
    when there are folders of images; DatasetError saying what was found otherwise."""
    if any(p.suffix.lower() in _YAML and p.is_file() for p in root.iterdir()):
        return "yolo"
    if coco_files(root):
        return "coco"
    if any(p.is_dir() for p in _entries(root)):
        return "imagefolder"
    found = ", ".join(p.name for p in _entries(root)[:10]) or "nothing"
    raise DatasetError(
        "no recognisable data set format: expected ImageFolder (a folder per class, optionally "
        "under train/ and val/), YOLO (a data.yaml naming classes and splits) or COCO (a JSON "
        f"file with images, annotations and categories); found: {found}"
    )


def content_files(
    root: Path, *, exclude: frozenset[str] = frozenset()
) -> tuple[list[ContentFile], int]:
    """Every file of the data set under `root`, sorted by path, without ignored files and the
    paths in `exclude` (images skipped as unreadable), and the number of ignored files. Links
    are refused: an uploaded archive never holds one, and a registered folder must not reach
    outside itself."""
    files = []
    ignored = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if is_ignored(relative):
            ignored += path.is_file()
            continue
        if path.is_symlink():
            raise DatasetError(f"{relative}: symbolic links are not allowed in a data set")
        if path.is_file() and relative.as_posix() not in exclude:
            files.append(ContentFile(relative.as_posix(), path, path.stat().st_size))
    if not files:
        raise DatasetError("the data set holds no files")
    return files, ignored


def copy_folder(source: Path, dest: Path, *, max_bytes: int) -> None:
    """Copy a registered folder into a scratch folder before it is checked, so that what is
    checked is what is stored (the original may change meanwhile). Links are refused, ignored
    files left behind."""
    total = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if is_ignored(relative):
            continue
        if path.is_symlink():
            raise DatasetError(f"{relative}: symbolic links are not allowed in a data set")
        target = dest / relative
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            total += path.stat().st_size
            if total > max_bytes:
                raise DatasetError(f"{source}: more than {max_bytes / 2**20:g} MB of files")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def content_digest(files: list[ContentFile]) -> str:
    """sha256 over the sorted relative paths and each file's sha256: the same content gives
    the same digest wherever it lies and however it was packed."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.relative):
        digest.update(f"{item.relative}\0{file_sha256(item.path)}\n".encode())
    return digest.hexdigest()
