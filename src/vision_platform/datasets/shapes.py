"""The demo detection data set: coloured squares, discs and triangles on noisy backgrounds.

Written in YOLO layout (`data.yaml`, `images/{train,val}`, `labels/{train,val}`) with boxes for
detection or polygons for segmentation. The shapes are big and contrast strongly with the
background, so that a tiny YOLO model learns them in minutes on a CPU at a small image size.
The same seed always gives the same files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

CLASS_NAMES = ("square", "disc", "triangle")
DISC_POINTS = 16  # polygon vertices of a disc in segmentation labels
MAX_OBJECTS = 4
NOISE_SIGMA = 10.0  # pixel noise, in 0-255 units

ShapesTask = Literal["detect", "segment"]


@dataclass(frozen=True)
class Shape:
    """One drawn object: its class and its square extent in pixels (x, y of the top left, side)."""

    class_id: int
    x: int
    y: int
    side: int

    def polygon(self) -> list[tuple[float, float]]:
        """The outline in pixels: 4 corners, 3 vertices, or a DISC_POINTS-gon for a disc."""
        x1, y1, s = float(self.x), float(self.y), float(self.side)
        name = CLASS_NAMES[self.class_id]
        if name == "square":
            return [(x1, y1), (x1 + s, y1), (x1 + s, y1 + s), (x1, y1 + s)]
        if name == "triangle":
            return [(x1 + s / 2, y1), (x1 + s, y1 + s), (x1, y1 + s)]
        cx, cy, r = x1 + s / 2, y1 + s / 2, s / 2
        return [
            (cx + r * math.cos(2 * math.pi * k / DISC_POINTS),
             cy + r * math.sin(2 * math.pi * k / DISC_POINTS))
            for k in range(DISC_POINTS)
        ]  # fmt: skip

    def label_line(self, image_size: int, task: ShapesTask) -> str:
        """The YOLO label line: class and normalised box, or class and normalised polygon."""
        if task == "segment":
            coords = [v / image_size for point in self.polygon() for v in point]
        else:
            half = self.side / 2
            coords = [(self.x + half) / image_size, (self.y + half) / image_size]
            coords += [self.side / image_size] * 2
        return " ".join([str(self.class_id), *(f"{_clip01(v):.6f}" for v in coords)])


def make_shapes(
    out_dir: str | Path,
    *,
    num_train: int = 160,
    num_val: int = 40,
    image_size: int = 96,
    seed: int = 0,
    task: ShapesTask = "detect",
) -> Path:
    """Write the shapes data set to `out_dir` and return its `data.yaml` (absolute `path`).

    Each image holds 1-4 non-overlapping shapes whose side is 20-45% of the image. With
    `task="segment"` the labels are polygons (a disc is a 16-point polygon) instead of boxes.
    """
    from PIL import Image

    if task not in ("detect", "segment"):
        raise ValueError(f"task must be 'detect' or 'segment', got {task!r}")
    if image_size < 32:
        raise ValueError("image_size must be at least 32 pixels")
    out = Path(out_dir).resolve()
    for split_index, (split, count) in enumerate((("train", num_train), ("val", num_val))):
        images_dir, labels_dir = out / "images" / split, out / "labels" / split
        images_dir.mkdir(parents=True, exist_ok=True)
        labels_dir.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng([seed, split_index])
        for i in range(count):
            pixels, shapes = draw_shapes_image(rng, image_size)
            Image.fromarray(pixels).save(images_dir / f"{i:06d}.png")
            lines = [s.label_line(image_size, task) for s in shapes]
            (labels_dir / f"{i:06d}.txt").write_text("\n".join(lines) + "\n")
    return _write_data_yaml(out)


def draw_shapes_image(rng: np.random.Generator, image_size: int) -> tuple[np.ndarray, list[Shape]]:
    """One RGB image (uint8, H×W×3) and the shapes drawn on it."""
    from PIL import Image, ImageDraw

    dark_background = bool(rng.random() < 0.5)
    background = _colour(rng, dark=dark_background)
    image = Image.new("RGB", (image_size, image_size), background)
    draw = ImageDraw.Draw(image)
    shapes = _place_shapes(rng, image_size, int(rng.integers(1, MAX_OBJECTS + 1)))
    for shape in shapes:
        colour = _colour(rng, dark=not dark_background)  # opposite brightness: high contrast
        if CLASS_NAMES[shape.class_id] == "disc":
            box = (shape.x, shape.y, shape.x + shape.side - 1, shape.y + shape.side - 1)
            draw.ellipse(box, fill=colour)
        else:
            draw.polygon(shape.polygon(), fill=colour)
    noise = rng.normal(0.0, NOISE_SIGMA, size=(image_size, image_size, 3))
    pixels = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return pixels, shapes


def _place_shapes(rng: np.random.Generator, image_size: int, wanted: int) -> list[Shape]:
    """Up to `wanted` shapes with random classes, sizes and places, none touching another."""
    max_fraction = 0.45 if wanted <= 2 else 0.32
    shapes: list[Shape] = []
    for _ in range(wanted * 20):  # rejection sampling; a crowded image just gets fewer shapes
        if len(shapes) == wanted:
            break
        side = int(rng.uniform(0.2, max_fraction) * image_size)
        x, y = (int(v) for v in rng.integers(0, image_size - side, size=2))
        candidate = Shape(int(rng.integers(len(CLASS_NAMES))), x, y, side)
        if not any(_overlaps(candidate, s, gap=2) for s in shapes):
            shapes.append(candidate)
    return shapes


def _overlaps(a: Shape, b: Shape, *, gap: int) -> bool:
    return not (
        a.x + a.side + gap <= b.x
        or b.x + b.side + gap <= a.x
        or a.y + a.side + gap <= b.y
        or b.y + b.side + gap <= a.y
    )


def _colour(rng: np.random.Generator, *, dark: bool) -> tuple[int, int, int]:
    """A random colour that is clearly dark (channels 0-90) or clearly light (165-255)."""
    low, high = (0, 90) if dark else (165, 255)
    r, g, b = (int(v) for v in rng.integers(low, high + 1, size=3))
    return r, g, b


def _clip01(value: float) -> float:
    return min(1.0, max(0.0, value))


def _write_data_yaml(out: Path) -> Path:
    data = {
        "path": str(out),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(CLASS_NAMES)),
    }
    yaml_path = out / "data.yaml"
    yaml_path.write_text(yaml.safe_dump(data, sort_keys=False))
    return yaml_path
