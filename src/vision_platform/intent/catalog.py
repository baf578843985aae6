"""The model names the offline parser knows: spellings people use → real registry names."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

# Ultralytics families: version → (sizes, the first is the default; task suffixes).
_YOLO_FAMILIES: dict[int, tuple[str, tuple[str, ...]]] = {
    5: ("nsmlx", ()),
    8: ("nsmlx", ("seg", "pose", "cls", "obb")),
    9: ("tsmce", ()),
    10: ("nsmblx", ()),
    11: ("nsmlx", ("seg", "pose", "cls", "obb")),
    12: ("nsmlx", ()),
    26: ("nsmlx", ("seg", "pose", "cls", "obb")),
}
_LATEST_YOLO = 11
_TASK_SUFFIX = {"segmentation": "seg", "pose": "pose", "classification": "cls"}
_SUFFIX_TASK = {suffix: task for task, suffix in _TASK_SUFFIX.items()}

_TIMM_MODELS: tuple[str, ...] = (
    *(f"resnet{n}" for n in (18, 26, 34, 50, 101, 152, 200)),
    "resnet10t",
    "resnext50_32x4d",
    "wide_resnet50_2",
    *(f"efficientnet_b{i}" for i in range(8)),
    "efficientnetv2_rw_s",
    "tf_efficientnetv2_s",
    "mobilenetv2_100",
    "mobilenetv3_large_100",
    "mobilenetv3_small_100",
    *(f"vit_{s}_patch16_224" for s in ("tiny", "small", "base", "large")),
    *(f"deit_{s}_patch16_224" for s in ("tiny", "small", "base")),
    *(f"convnext_{s}" for s in ("tiny", "small", "base", "large")),
    *(f"densenet{n}" for n in (121, 161, 169, 201)),
    "swin_tiny_patch4_window7_224",
    "regnety_040",
)

DEFAULT_MODELS: dict[str, str] = {
    "classification": "resnet18",
    "detection": "yolo11n",
    "segmentation": "yolo11n-seg",
    "pose": "yolo11n-pose",
}


def yolo_name(version: int, size: str, suffix: str | None = None) -> str:
    """The Ultralytics file stem for a YOLO version, size and task suffix."""
    if version == 5:
        stem = f"yolov5{size}u"
    elif version < 11:
        stem = f"yolov{version}{size}"
    else:
        stem = f"yolo{version}{size}"
    return f"{stem}-{suffix}" if suffix else stem


def _ultralytics_models() -> tuple[str, ...]:
    names = [
        yolo_name(version, size, suffix)
        for version, (sizes, suffixes) in _YOLO_FAMILIES.items()
        for size in sizes
        for suffix in (None, *suffixes)
    ]
    return (*names, "rtdetr-l", "rtdetr-x")


ULTRALYTICS_MODELS = _ultralytics_models()
KNOWN_MODELS: frozenset[str] = frozenset((*_TIMM_MODELS, *ULTRALYTICS_MODELS))


@dataclass(frozen=True)
class ModelMention:
    """A model named in a request: the registry name and where it was written."""

    name: str
    start: int
    end: int


def _size_word(word: str | None, table: dict[str, str], default: str) -> str:
    return table.get(word, word) if word else default


_VIT_SIZES = {"t": "tiny", "ti": "tiny", "s": "small", "b": "base", "l": "large"}
_CONVNEXT_SIZES = {"t": "tiny", "s": "small", "b": "base", "l": "large"}


def _resnet(m: re.Match[str]) -> str:
    return f"resnet{m.group(1) or 50}"


def _efficientnet(m: re.Match[str]) -> str:
    return f"efficientnet_b{m.group(1) or 0}"


def _mobilenet(m: re.Match[str]) -> str:
    if m.group(1) == "2":
        return "mobilenetv2_100"
    return f"mobilenetv3_{m.group(2) or 'large'}_100"


def _vit(m: re.Match[str]) -> str:
    size = _size_word(m.group(1), _VIT_SIZES, "base")
    return f"vit_{_VIT_SIZES.get(size, size)}_patch16_224"


def _convnext(m: re.Match[str]) -> str:
    size = _size_word(m.group(1), _CONVNEXT_SIZES, "tiny")
    return f"convnext_{_CONVNEXT_SIZES.get(size, size)}"


def _densenet(m: re.Match[str]) -> str:
    return f"densenet{m.group(1) or 121}"


def _yolo(m: re.Match[str]) -> str:
    version = int(m.group(1) or _LATEST_YOLO)
    sizes = _YOLO_FAMILIES.get(version, ("n", ()))[0]
    return yolo_name(version, m.group(2) or sizes[0], m.group(3))


def _rtdetr(m: re.Match[str]) -> str:
    return f"rtdetr-{m.group(1) or 'l'}"


_END = r"(?![a-z0-9])"
_FAMILY_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?<![a-z0-9])res\s*-?\s*net(?:\s*[-_]?\s*(\d+))?" + _END), _resnet),
    (
        re.compile(r"efficient\s*-?\s*net(?:\s*[-_]?\s*(?:b\s*-?\s*)?(\d))?" + _END),
        _efficientnet,
    ),
    (
        re.compile(
            r"mobile\s*-?\s*net(?:\s*[-_]?\s*v?([23]))?(?:\s*[-_]?\s*(small|large))?" + _END
        ),
        _mobilenet,
    ),
    (
        re.compile(r"(?<![a-z0-9])vit(?:\s*[-_]?\s*(tiny|small|base|large|ti|t|s|b|l))?" + _END),
        _vit,
    ),
    (re.compile(r"convnext(?:\s*[-_]?\s*(tiny|small|base|large|t|s|b|l))?" + _END), _convnext),
    (re.compile(r"dense\s*-?\s*net(?:\s*-?\s*(\d+))?" + _END), _densenet),
    (
        re.compile(
            r"(?<![a-z0-9])yolo\s*-?\s*v?\s*(\d+)?(?:\s*([nsmlxtcbe]))?"
            r"(?:\s*-?\s*(seg|pose|cls|obb))?" + _END
        ),
        _yolo,
    ),
    (re.compile(r"rt\s*-?\s*detr(?:\s*-?\s*([lx]))?" + _END), _rtdetr),
)
_TOKEN = re.compile(r"(?<![a-z0-9_.-])[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)+(?![a-z0-9_-])")
_EXPLICIT = re.compile(
    r"(?:model(?:\s*name)?|모델(?:\s*이름)?)\s*(?:은|는|을|를|:|=|is)?\s*"
    r"([a-z][a-z0-9_.-]*[a-z0-9])" + _END
)


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def find_models(text: str) -> list[ModelMention]:
    """Every model a (lower-cased) request names, in order, each registry name once."""
    found: list[ModelMention] = []
    for m in _TOKEN.finditer(text):
        if m.group(0) in KNOWN_MODELS:
            found.append(ModelMention(m.group(0), m.start(), m.end()))
    for mention in found:
        text = _mask(text, mention.start, mention.end)
    for pattern, build in _FAMILY_PATTERNS:
        for m in pattern.finditer(text):
            found.append(ModelMention(build(m), m.start(), m.end()))
            text = _mask(text, m.start(), m.end())
    for m in _EXPLICIT.finditer(text):
        found.append(ModelMention(m.group(1), m.start(1), m.end(1)))
    found.sort(key=lambda mention: mention.start)
    unique: dict[str, ModelMention] = {}
    for mention in found:
        unique.setdefault(mention.name, mention)
    return list(unique.values())


def is_ultralytics_name(name: str) -> bool:
    """Whether `name` belongs to an Ultralytics family (YOLO, RT-DETR)."""
    return name.startswith(("yolo", "rtdetr"))


_CLOSED_FAMILIES = re.compile(r"(?:resnet|densenet)\d+|efficientnet_b\d+|(?:yolo|rtdetr).*")


def is_closed_family(name: str) -> bool:
    """Whether every valid name of `name`'s family is in the catalogue (no need to ask timm)."""
    return _CLOSED_FAMILIES.fullmatch(name) is not None


def task_of(name: str) -> str | None:
    """The task a model name implies: an Ultralytics suffix, plain YOLO = detection, timm = cls."""
    if not is_ultralytics_name(name):
        return "classification"
    suffix = name.rpartition("-")[2] if "-" in name and not name.startswith("rtdetr") else None
    if suffix is None:
        return "detection"
    return _SUFFIX_TASK.get(suffix)


def with_task(name: str, task: str) -> str:
    """`name` turned into its variant for `task` (yolo11n + segmentation → yolo11n-seg)."""
    if not is_ultralytics_name(name) or name.startswith("rtdetr") or task_of(name) == task:
        return name
    stem = name.split("-")[0]
    suffix = _TASK_SUFFIX.get(task)
    return f"{stem}-{suffix}" if suffix else stem


def suggestions(name: str, *, limit: int = 3) -> list[str]:
    """The known model names closest to `name`, best first."""
    return difflib.get_close_matches(name, sorted(KNOWN_MODELS), n=limit, cutoff=0.6)
