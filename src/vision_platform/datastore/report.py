"""The counts of a report (classes per split, image sizes), from the samples an inspection
found, and messages that name files inside the data set rather than on the server."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vision_platform.datastore.schemas import ClassStats, ImageSizes, Sample, SizeCount
from vision_platform.errors import DatasetError

COMMON_SIZES = 5


def relative(message: str, root: Path) -> str:
    """`message` with the server's path of the data set's root taken out of file names."""
    base = str(root)
    return message.replace(base + "/", "").replace(base, "the data set")


@contextmanager
def relative_errors(root: Path) -> Iterator[None]:
    """Re-raise a loader's DatasetError with the paths inside the data set made relative."""
    try:
        yield
    except DatasetError as e:
        raise DatasetError(relative(str(e), root)) from e


def image_size(path: Path) -> tuple[int, int]:
    """Width and height from the image's header (the file is not decoded)."""
    from PIL import Image

    with Image.open(path) as img:
        width, height = img.size
    return int(width), int(height)


def class_stats(samples: list[Sample], class_names: list[str]) -> list[ClassStats]:
    """Per class and split: images that hold it, and its objects (one per image without
    objects, as in classification)."""
    images: list[Counter[str]] = [Counter() for _ in class_names]
    instances: list[Counter[str]] = [Counter() for _ in class_names]
    for sample in samples:
        for class_id in set(sample.class_ids):
            images[class_id][sample.split] += 1
        if sample.objects:
            for obj in sample.objects:
                instances[obj.class_id][sample.split] += 1
        else:
            for class_id in sample.class_ids:
                instances[class_id][sample.split] += 1
    return [
        ClassStats(id=i, name=name, images=dict(images[i]), instances=dict(instances[i]))
        for i, name in enumerate(class_names)
    ]


def split_counts(samples: list[Sample]) -> dict[str, int]:
    return dict(Counter(s.split for s in samples))


def image_sizes(samples: list[Sample]) -> ImageSizes | None:
    if not samples:
        return None
    widths = [s.width for s in samples]
    heights = [s.height for s in samples]
    common = Counter((s.width, s.height) for s in samples).most_common(COMMON_SIZES)
    return ImageSizes(
        min_width=min(widths),
        min_height=min(heights),
        max_width=max(widths),
        max_height=max(heights),
        mean_width=round(sum(widths) / len(widths), 1),
        mean_height=round(sum(heights) / len(heights), 1),
        common=[SizeCount(width=w, height=h, count=n) for (w, h), n in common],
    )
