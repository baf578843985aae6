"""Archives for the data set tests: good ones made from folders, and hostile ones (links,
devices, `..`, bombs) written entry by entry."""

from __future__ import annotations

import io
import json
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

from PIL import Image


def zip_folder(folder: Path, archive: Path, *, prefix: str | None = None) -> Path:
    """`folder` zipped, its files under `prefix/` (default the folder's name)."""
    base = folder.name if prefix is None else prefix
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{base}/{path.relative_to(folder)}".lstrip("/"))
    return archive


def tar_folder(folder: Path, archive: Path, *, mode: str = "w:gz") -> Path:
    with tarfile.open(archive, mode) as tf:  # type: ignore[call-overload]
        tf.add(folder, arcname=folder.name)
    return archive


def zip_entries(archive: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return archive


def zip_symlink(archive: Path, name: str, target: str) -> Path:
    """A zip whose entry `name` is a symbolic link to `target` (as Info-ZIP's -y writes it)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok/a.txt", b"fine")
        zf.writestr(info, target)
    return archive


def tar_special(archive: Path, kind: str, name: str = "data/evil") -> Path:
    """A .tar.gz holding one good file and one entry of `kind`: symlink, hardlink, chr, fifo,
    dotdot or absolute."""
    with tarfile.open(archive, "w:gz") as tf:
        good = b"fine"
        info = tarfile.TarInfo("data/a.txt")
        info.size = len(good)
        tf.addfile(info, io.BytesIO(good))
        evil = tarfile.TarInfo(name)
        if kind == "symlink":
            evil.type, evil.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif kind == "hardlink":
            evil.type, evil.linkname = tarfile.LNKTYPE, "data/a.txt"
        elif kind == "chr":
            evil.type, evil.devmajor, evil.devminor = tarfile.CHRTYPE, 1, 3
        elif kind == "fifo":
            evil.type = tarfile.FIFOTYPE
        else:
            evil.name = "../../escaped.txt" if kind == "dotdot" else "/tmp/escaped.txt"
            evil.size = len(good)
            tf.addfile(evil, io.BytesIO(good))
            return archive
        tf.addfile(evil)
    return archive


def zip_bomb(archive: Path, megabytes: int) -> Path:
    """`megabytes` of zeros in one entry: a few kilobytes compressed."""
    with (
        zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("data/zeros.bin", "w") as out,
    ):
        for _ in range(megabytes):
            out.write(bytes(1 << 20))
    return archive


def digits_copy(source: Path, dest: Path) -> Path:
    """A copy of an ImageFolder data set to spoil in a test."""
    shutil.copytree(source, dest)
    return dest


def write_coco(root: Path, *, layout: str = "roboflow") -> Path:
    """A small COCO detection data set: train and valid splits, three images each.

    `roboflow`: `train/_annotations.coco.json` beside its images; `coco`:
    `annotations/instances_train.json` with images in `train/`."""
    for split in ("train", "valid"):
        images, annotations = [], []
        folder = root / split
        folder.mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (40, 20), (60 * i, 90, 30)).save(folder / f"{split}{i}.jpg")
            images.append({"id": i, "file_name": f"{split}{i}.jpg", "width": 40, "height": 20})
            box = [2 + i, 3, 12, 6]
            annotations.append({"id": i, "image_id": i, "category_id": 1 + i % 2, "bbox": box})
        doc = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}],
        }
        if layout == "roboflow":
            (folder / "_annotations.coco.json").write_text(json.dumps(doc))
        else:
            (root / "annotations").mkdir(exist_ok=True)
            (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(doc))
    return root
