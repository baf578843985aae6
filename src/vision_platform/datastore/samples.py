"""Browsing a version's images: pages of samples with their labels, and JPEG thumbnails."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vision_platform.datastore.files import SAMPLES, VersionFiles
from vision_platform.datastore.schemas import Sample, SamplePage, VersionOut
from vision_platform.errors import InvalidInputError, NotFoundError

MAX_PAGE = 200
THUMBNAIL_SIDES = (64, 128, 256, 512)
_INDEXES_KEPT = 8  # sample indexes of recently browsed versions, kept in memory


class SampleGallery:
    """Samples of versions, read from each version's sample index (a few indexes are kept in
    memory as plain JSON; only the page asked for becomes Sample objects)."""

    def __init__(self, files: VersionFiles, cache: Path) -> None:
        self.files = files
        self.cache = cache
        self._indexes: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def _index(self, version: VersionOut) -> list[dict[str, Any]]:
        key = (version.name, version.version)
        with self._lock:
            if key in self._indexes:
                self._indexes.move_to_end(key)
                return self._indexes[key]
        samples: list[dict[str, Any]] = self.files.read_json(*key, SAMPLES)["samples"]
        with self._lock:
            self._indexes[key] = samples
            while len(self._indexes) > _INDEXES_KEPT:
                self._indexes.popitem(last=False)
        return samples

    def page(
        self,
        version: VersionOut,
        *,
        split: str | None,
        class_name: str | None,
        offset: int,
        limit: int,
        thumbnail_url: Callable[[int], str],
    ) -> SamplePage:
        """Samples of one split and/or class, in the index's order (split, then file)."""
        names = version.report.class_names if version.report else []
        if class_name is not None and class_name not in names:
            raise InvalidInputError(
                f"class: {class_name!r} is not a class of {version.ref} ({', '.join(names)})"
            )
        class_id = names.index(class_name) if class_name is not None else None
        samples = self._index(version)
        chosen = [
            index
            for index, raw in enumerate(samples)
            if (split is None or raw["split"] == split)
            and (class_id is None or class_id in raw["class_ids"])
        ]
        items = [
            _sample(index, samples[index], names, thumbnail_url(index))
            for index in chosen[offset : offset + limit]
        ]
        return SamplePage(items=items, total=len(chosen), offset=offset, limit=limit)

    def thumbnail(self, version: VersionOut, index: int, side: int) -> Path:
        """A JPEG of sample `index` at most `side` pixels wide and high, made once."""
        samples = self._index(version)
        if not 0 <= index < len(samples):
            raise NotFoundError(f"{version.ref} has no sample {index} ({len(samples)} samples)")
        target = self.cache / version.name / version.version / "thumbs" / f"{index}-{side}.jpg"
        if target.is_file():
            return target
        source = self.files.local_file(version.name, version.version, samples[index]["file"])
        _write_thumbnail(source, target, side)
        return target


def _sample(index: int, raw: dict[str, Any], names: list[str], url: str) -> Sample:
    sample = Sample(index=index, thumbnail_url=url, **raw)
    sample.class_names = [names[i] for i in sample.class_ids]
    for obj in sample.objects:
        obj.class_name = names[obj.class_id]
    return sample


def _write_thumbnail(source: Path, target: Path, side: int) -> None:
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{uuid.uuid4().hex}.partial")  # two requests may race
    with Image.open(source) as img:
        img.thumbnail((side, side))
        img.convert("RGB").save(partial, "JPEG", quality=85)
    partial.replace(target)
