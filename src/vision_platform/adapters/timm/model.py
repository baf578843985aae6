"""timm models and their image transforms (training augmentation and evaluation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import timm
import torch
import torchvision.transforms as T
from PIL import Image
from timm.data import create_transform
from torch.utils.data import Dataset

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def open_rgb(path: str | Path) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("RGB")


def create_model(
    model_name: str,
    *,
    num_classes: int,
    image_size: int | None,
    drop_rate: float,
) -> torch.nn.Module:
    """A timm model with random weights (pretrained ones are loaded by `weights`)."""
    kwargs: dict[str, Any] = {"num_classes": num_classes, "drop_rate": drop_rate}
    try:
        # Vision transformers need the input size at construction; CNNs reject the argument.
        return timm.create_model(model_name, img_size=image_size, **kwargs)
    except TypeError:
        return timm.create_model(model_name, **kwargs)


def default_image_size(model_name: str) -> int:
    cfg = timm.models.get_pretrained_cfg(model_name)
    size = getattr(cfg, "input_size", None) if cfg is not None else None
    return int(size[-1]) if size else 224


def eval_transform(image_size: int | None) -> Any:
    return create_transform(image_size or 224, is_training=False, crop_pct=1.0, mean=MEAN, std=STD)


def train_transform(image_size: int, config: dict[str, Any]) -> Any:
    if not config["aug_enabled"]:
        return eval_transform(image_size)
    tf = create_transform(
        image_size,
        is_training=True,
        scale=(config["crop_scale_min"], 1.0),
        hflip=0.5 if config["random_flip"] else 0.0,
        color_jitter=config["color_jitter"] or None,  # type: ignore[arg-type]
        mean=MEAN,
        std=STD,
    )
    if config["random_rotation"]:
        tf.transforms.insert(1, T.RandomRotation(config["random_rotation"]))
    return tf


class ImageList(Dataset[tuple[torch.Tensor, int]]):
    """(path, label) samples read with PIL and transformed."""

    def __init__(self, samples: list[tuple[str, int]], transform: Any) -> None:
        self.samples = samples
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        return self.transform(open_rgb(path)), label
