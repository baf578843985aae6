"""The demo classification data set: scikit-learn's handwritten digits as an ImageFolder.

The 1,797 8×8 digit images (UCI ML hand-written digits, shipped with scikit-learn under the
BSD licence) are bundled in `_data/digits.csv.gz`, so no download and no scikit-learn is needed.
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import numpy as np

CLASS_NAMES = [str(d) for d in range(10)]


def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    raw = resources.files("vision_platform.datasets").joinpath("_data/digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode().splitlines(), delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)


def make_digits(
    out_dir: str | Path,
    *,
    size: int = 32,
    num_classes: int = 10,
    per_class: int | None = None,
    val_fraction: float = 0.2,
) -> Path:
    """Write the digits as RGB PNGs to `out_dir/{train,val}/<digit>/`; returns `out_dir`."""
    from PIL import Image

    if not 2 <= num_classes <= 10:
        raise ValueError("num_classes must be between 2 and 10")
    images, labels = _load_digits()
    out = Path(out_dir)
    for digit in range(num_classes):
        idx = np.flatnonzero(labels == digit)[:per_class]
        n_val = max(1, round(len(idx) * val_fraction))
        for i, k in enumerate(idx):
            split = "val" if i < n_val else "train"
            folder = out / split / CLASS_NAMES[digit]
            folder.mkdir(parents=True, exist_ok=True)
            pixels = (images[k] * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
            img = Image.fromarray(pixels, mode="L").resize((size, size), Image.Resampling.BILINEAR)
            img.convert("RGB").save(folder / f"{k:04d}.png")
    return out
