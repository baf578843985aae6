"""The image file types the platform reads (one list, for data sets, test sets and batches)."""

from __future__ import annotations

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})

# What a YOLO data set may hold: Ultralytics' IMG_FORMATS (ultralytics.data.utils); its loader
# ignores an image of another type, so validation must not count one.
YOLO_IMAGE_SUFFIXES = frozenset(
    {
        ".avif", ".bmp", ".dng", ".heic", ".heif", ".jp2", ".jpeg", ".jpg", ".mpo",
        ".png", ".tif", ".tiff", ".webp", ".pfm",
    }
)  # fmt: skip
