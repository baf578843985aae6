"""ImageFolder data sets: detection, validation and the train/val split."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from vision_platform.datasets.images import IMAGE_SUFFIXES
from vision_platform.errors import DatasetError

VAL_FRACTION = 0.2
_SPLIT_SEED = 20240607  # fixed: the automatic split must not change between runs or resumes


@dataclass
class ImageFolderSplit:
    """A validated ImageFolder: class names and the (path, label) samples of each split."""

    root: Path
    class_names: list[str]
    train: list[tuple[str, int]]
    val: list[tuple[str, int]]
    auto_split: bool
    bad_images: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def train_images(self) -> int:
        return len(self.train)


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES


def _class_folders(split_dir: Path) -> dict[str, list[Path]]:
    return {
        d.name: sorted(p for p in d.rglob("*") if is_image_file(p))
        for d in sorted(split_dir.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    }


def image_problem(path: Path) -> str | None:
    """Why the image at `path` cannot be read (decoded in full), or None when it can."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.verify()
        with Image.open(path) as img:  # verify() leaves the file unusable; decode for real
            img.load()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as e:
        return str(e) or type(e).__name__
    return None


def _validate_classes(split_dir: Path, classes: dict[str, list[Path]]) -> None:
    if not classes:
        raise DatasetError(f"{split_dir}: no class folders (expected one sub-folder per class)")
    empty = [name for name, files in classes.items() if not files]
    if empty:
        listed = ", ".join(str(split_dir / n) for n in empty)
        raise DatasetError(f"empty class folder(s) with no images: {listed}")
    if len(classes) < 2:
        only = next(iter(classes))
        raise DatasetError(
            f"{split_dir}: only one class ({only!r}); classification needs at least two"
        )


def _auto_split(
    classes: dict[str, list[Path]], class_names: list[str]
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Per class, a seeded shuffle of the sorted file list; 20% (at least one) goes to val."""
    rng = random.Random(_SPLIT_SEED)
    train: list[tuple[str, int]] = []
    val: list[tuple[str, int]] = []
    for label, name in enumerate(class_names):
        files = list(classes[name])
        rng.shuffle(files)
        n_val = max(1, round(len(files) * VAL_FRACTION)) if len(files) > 1 else 0
        val += [(str(p), label) for p in files[:n_val]]
        train += [(str(p), label) for p in files[n_val:]]
    return train, val


def load_image_folder(root: str | Path, *, skip_bad_images: bool = False) -> ImageFolderSplit:
    """Validate an ImageFolder root and return its splits.

    `root/train/<class>/…` with `root/val/<class>/…` (or `valid/`), or class folders directly
    under `root` (then 20% of each class is held out, the same split every time). Raises
    DatasetError naming the folder or files at fault; corrupt images are listed, or skipped
    with a warning when `skip_bad_images` is set.
    """
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"data set folder not found: {root}")
    if not root.is_dir():
        raise DatasetError(f"data set path is not a folder: {root}")
    train_dir = root / "train"
    val_dir = next((root / n for n in ("val", "valid", "validation") if (root / n).is_dir()), None)
    warnings: list[str] = []
    if train_dir.is_dir():
        train_classes = _class_folders(train_dir)
        _validate_classes(train_dir, train_classes)
        class_names = sorted(train_classes)
        if val_dir is None:
            warnings.append(f"{root}: no val/ folder; holding out 20% of train/ for validation")
            train, val = _auto_split(train_classes, class_names)
            auto = True
        else:
            val_classes = _class_folders(val_dir)
            extra = sorted(set(val_classes) - set(train_classes))
            if extra:
                raise DatasetError(f"{val_dir}: classes not in train/: {', '.join(extra)}")
            missing = sorted(set(train_classes) - set(val_classes))
            if missing:
                warnings.append(f"{val_dir}: no validation images for: {', '.join(missing)}")
            index = {n: i for i, n in enumerate(class_names)}
            train = [(str(p), index[n]) for n in class_names for p in train_classes[n]]
            val = [(str(p), index[n]) for n in sorted(val_classes) for p in val_classes[n]]
            auto = False
    else:
        if val_dir is not None:
            raise DatasetError(f"{root}: has {val_dir.name}/ but no train/ folder")
        classes = _class_folders(root)
        _validate_classes(root, classes)
        class_names = sorted(classes)
        train, val = _auto_split(classes, class_names)
        auto = True
    split = ImageFolderSplit(root, class_names, train, val, auto, warnings=warnings)
    _check_images(split, skip_bad_images=skip_bad_images)
    if not split.val:
        raise DatasetError(f"{root}: no validation images (each class needs at least 2 images)")
    return split


def _check_images(split: ImageFolderSplit, *, skip_bad_images: bool) -> None:
    bad = [
        (path, problem)
        for path, _ in split.train + split.val
        if (problem := image_problem(Path(path)))
    ]
    if not bad:
        return
    listed = "\n".join(f"  {path}: {problem}" for path, problem in bad)
    if not skip_bad_images:
        raise DatasetError(
            f"{len(bad)} unreadable or corrupt image(s) in {split.root} "
            f"(fix or remove them, or pass --skip-bad-images):\n{listed}"
        )
    bad_paths = {path for path, _ in bad}
    split.train = [s for s in split.train if s[0] not in bad_paths]
    split.val = [s for s in split.val if s[0] not in bad_paths]
    split.bad_images = bad
    split.warnings.append(f"skipping {len(bad)} unreadable image(s):\n{listed}")
