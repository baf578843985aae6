"""Checks on images that come from users: size limits, real image data, no decompression bombs."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from vision_platform.errors import PayloadTooLargeError, UnsupportedImageError

# Stricter than Pillow's default: a 40-megapixel image is far beyond any model input.
MAX_PIXELS = 40_000_000


def check_image(path: Path, *, name: str | None = None) -> None:
    """UnsupportedImageError (with the reason) unless `path` decodes as a sane image."""
    shown = name or str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise UnsupportedImageError(
                        f"{shown}: {img.width}x{img.height} pixels is too large "
                        f"(at most {MAX_PIXELS:,} pixels)"
                    )
                img.verify()
        except UnsupportedImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise UnsupportedImageError(f"{shown}: refused as a decompression bomb ({e})") from e
        except Exception as e:  # PIL raises many types for bad data
            raise UnsupportedImageError(f"{shown}: not a readable image ({e})") from e


def image_media_type(path: Path) -> str:
    """The MIME type of the image in `path`, read from its header (not its name);
    UnsupportedImageError when Pillow cannot identify it."""
    try:
        with Image.open(path) as img:
            kind = img.format
    except Exception as e:  # PIL raises many types for bad data
        raise UnsupportedImageError(f"{path.name}: not a readable image ({e})") from e
    return Image.MIME.get(kind or "", "application/octet-stream")


def check_size(num_bytes: int, *, max_mb: float, name: str) -> None:
    if num_bytes > max_mb * 1024 * 1024:
        raise PayloadTooLargeError(
            f"{name}: {num_bytes / 2**20:.1f} MB is over the {max_mb:g} MB "
            "upload limit (VP_MAX_UPLOAD_MB)"
        )
