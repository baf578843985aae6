"""The timm adapter: image classification with any timm model.

This module is light (no torch import at module level), so schemas and presets can be read
without loading a framework; the training loop lives in `timm_training`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from vision_platform.adapters.base import (
    ClassScore,
    FitOutcome,
    InferenceResult,
    RunContext,
    VisionAdapter,
)
from vision_platform.configs import ConfigField, unknown_name_message
from vision_platform.errors import CheckpointError, UnknownNameError, WeightsUnavailableError

if TYPE_CHECKING:
    from vision_platform.datasets.imagefolder import ImageFolderSplit

CHECKPOINT_FORMAT = "vision-platform/timm"
_SCHEDULERS_WITH_WARMUP = ("step", "cosine", "plateau", "exponential")

_SCHEMA: list[ConfigField] = [
    # optimizer
    ConfigField(
        name="optimizer_type",
        type="select",
        default="adamw",
        options=("adam", "adamw", "sgd", "rmsprop"),
        group="optimizer",
        description="Optimizer, built by timm's optimizer factory.",
    ),
    ConfigField(
        name="learning_rate",
        type="float",
        default=0.001,
        min=1e-7,
        max=1.0,
        group="optimizer",
        description="Initial learning rate.",
    ),
    ConfigField(
        name="weight_decay",
        type="float",
        default=0.0,
        min=0.0,
        max=1.0,
        group="optimizer",
        description="Weight decay (not applied to biases and norms).",
    ),
    ConfigField(
        name="momentum",
        type="float",
        default=0.9,
        min=0.0,
        max=0.999,
        group="optimizer",
        depends_on={"optimizer_type": ("sgd", "rmsprop")},
        description="Momentum for SGD and RMSProp.",
    ),
    # scheduler
    ConfigField(
        name="scheduler_type",
        type="select",
        default="cosine",
        options=("none", "step", "cosine", "plateau", "exponential"),
        group="scheduler",
        description="Learning-rate schedule over epochs (timm's scheduler factory).",
    ),
    ConfigField(
        name="warmup_epochs",
        type="int",
        default=0,
        min=0,
        max=100,
        group="scheduler",
        depends_on={"scheduler_type": _SCHEDULERS_WITH_WARMUP},
        description="Epochs of linear warm-up from a small learning rate.",
    ),
    ConfigField(
        name="step_size",
        type="int",
        default=10,
        min=1,
        max=1000,
        group="scheduler",
        depends_on={"scheduler_type": ("step",)},
        description="Epochs between decays of the step schedule.",
    ),
    ConfigField(
        name="gamma",
        type="float",
        default=0.1,
        min=0.0,
        max=1.0,
        group="scheduler",
        depends_on={"scheduler_type": ("step", "exponential", "plateau")},
        description="Decay factor of the step, exponential and plateau schedules.",
    ),
    ConfigField(
        name="min_lr",
        type="float",
        default=1e-6,
        min=0.0,
        max=1.0,
        group="scheduler",
        depends_on={"scheduler_type": ("cosine",)},
        description="Lowest learning rate of the cosine schedule.",
    ),
    # augmentation
    ConfigField(
        name="aug_enabled",
        type="bool",
        default=True,
        group="augmentation",
        description="Random resized crops and the augmentations below.",
    ),
    ConfigField(
        name="crop_scale_min",
        type="float",
        default=0.5,
        min=0.05,
        max=1.0,
        group="augmentation",
        depends_on={"aug_enabled": (True,)},
        description="Smallest share of the image a random crop keeps.",
    ),
    ConfigField(
        name="random_flip",
        type="bool",
        default=True,
        group="augmentation",
        depends_on={"aug_enabled": (True,)},
        description="Random horizontal flips.",
    ),
    ConfigField(
        name="random_rotation",
        type="int",
        default=0,
        min=0,
        max=180,
        group="augmentation",
        depends_on={"aug_enabled": (True,)},
        description="Random rotation up to this many degrees (0 = off).",
    ),
    ConfigField(
        name="color_jitter",
        type="float",
        default=0.0,
        min=0.0,
        max=1.0,
        group="augmentation",
        depends_on={"aug_enabled": (True,)},
        description="Strength of random brightness/contrast/saturation (0 = off).",
    ),
    ConfigField(
        name="mixup",
        type="bool",
        default=False,
        group="augmentation",
        description="Mixup of image pairs (needs an even batch size).",
    ),
    ConfigField(
        name="mixup_alpha",
        type="float",
        default=0.8,
        min=0.01,
        max=10.0,
        group="augmentation",
        depends_on={"mixup": (True,)},
        description="Beta distribution alpha of mixup.",
    ),
    ConfigField(
        name="cutmix",
        type="bool",
        default=False,
        group="augmentation",
        description="CutMix of image pairs (needs an even batch size).",
    ),
    ConfigField(
        name="cutmix_alpha",
        type="float",
        default=1.0,
        min=0.01,
        max=10.0,
        group="augmentation",
        depends_on={"cutmix": (True,)},
        description="Beta distribution alpha of CutMix.",
    ),
    ConfigField(
        name="label_smoothing",
        type="float",
        default=0.0,
        min=0.0,
        max=0.5,
        group="augmentation",
        description="Label smoothing of the targets.",
    ),
    # training
    ConfigField(
        name="mixed_precision",
        type="bool",
        default=False,
        group="training",
        description="Automatic mixed precision (float16 on CUDA; ignored on the CPU).",
    ),
    ConfigField(
        name="gradient_clip_value",
        type="float",
        default=0.0,
        min=0.0,
        max=1000.0,
        group="training",
        description="Clip the gradient norm to this value (0 = off).",
    ),
    ConfigField(
        name="drop_rate",
        type="float",
        default=0.0,
        min=0.0,
        max=0.9,
        group="training",
        description="Dropout before the classifier.",
    ),
    ConfigField(
        name="pretrained",
        type="bool",
        default=False,
        group="training",
        description="Start from pretrained weights (file from pretrained_path, "
        "VP_PRETRAINED_DIR or the local Hugging Face cache; never downloaded).",
    ),
    ConfigField(
        name="pretrained_path",
        type="str",
        default="",
        group="training",
        depends_on={"pretrained": (True,)},
        description="A local file of pretrained weights (.safetensors, .pth or .bin).",
    ),
]

_PRESETS: dict[str, dict[str, Any]] = {
    "easy": {
        "optimizer_type": "adam",
        "learning_rate": 0.001,
        "scheduler_type": "cosine",
        "aug_enabled": True,
        "random_flip": True,
        "mixup": False,
        "cutmix": False,
    },
    "medium": {
        "optimizer_type": "adamw",
        "learning_rate": 0.0001,
        "weight_decay": 0.0001,
        "scheduler_type": "cosine",
        "warmup_epochs": 5,
        "aug_enabled": True,
        "random_flip": True,
        "color_jitter": 0.4,
        "mixup": True,
        "cutmix": False,
    },
    "advanced": {
        "optimizer_type": "adamw",
        "learning_rate": 0.0001,
        "weight_decay": 0.0005,
        "scheduler_type": "cosine",
        "warmup_epochs": 10,
        "aug_enabled": True,
        "random_flip": True,
        "random_rotation": 15,
        "color_jitter": 0.4,
        "mixup": True,
        "cutmix": True,
        "label_smoothing": 0.1,
    },
}


class TimmAdapter(VisionAdapter):
    """Image classification with timm models, trained by the platform's own resumable loop."""

    framework: ClassVar[str] = "timm"
    task_types: ClassVar[tuple[str, ...]] = ("classification",)
    best_metric_name: ClassVar[str] = "val_acc"

    def __init__(
        self,
        model_name: str = "resnet18",
        num_classes: int | None = None,
        advanced_config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_name, num_classes, advanced_config, **kwargs)
        self.image_size: int | None = None
        self._eval_transform: Any = None

    @classmethod
    def config_schema(cls) -> list[ConfigField]:
        return list(_SCHEMA)

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return {name: dict(values) for name, values in _PRESETS.items()}

    @classmethod
    def model_names(cls) -> list[str]:
        import timm

        names: list[str] = timm.list_models()
        return names

    @classmethod
    def check_model_name(cls, model_name: str) -> None:
        import timm

        if not timm.is_model(model_name):
            raise UnknownNameError(
                unknown_name_message("timm model", model_name, timm.list_models())
            )

    # --- model ------------------------------------------------------------------------------
    def prepare_model(self) -> Any:
        from vision_platform.adapters import timm_training

        if not self.num_classes:
            raise ValueError("num_classes (or class_names) is needed to build the model")
        weights = self.pretrained_weights() if self.advanced_config["pretrained"] else None
        self.model = timm_training.create_model(
            self.model_name,
            num_classes=self.num_classes,
            image_size=self.image_size,
            drop_rate=self.advanced_config["drop_rate"],
            pretrained_file=weights,
        )
        return self.model

    def pretrained_weights(self) -> Path:
        """A local file of pretrained weights for this model; never downloads."""
        from vision_platform.settings import get_settings

        given = self.advanced_config["pretrained_path"]
        if given:
            path = Path(given).expanduser()
            if not path.is_file():
                raise WeightsUnavailableError(f"pretrained_path {path} is not a file")
            return path
        folder = get_settings().pretrained_dir
        if folder is not None:
            for suffix in (".safetensors", ".pth", ".pt", ".bin"):
                candidate = Path(folder) / f"{self.model_name}{suffix}"
                if candidate.is_file():
                    return candidate
        cached = _hf_cached_weights(self.model_name)
        if cached is not None:
            return cached
        raise WeightsUnavailableError(
            f"pretrained weights for {self.model_name!r} are not on this machine and are never "
            "downloaded at run time. Supply the file: set advanced_config pretrained_path to a "
            ".safetensors/.pth file, or put <model_name>.safetensors in VP_PRETRAINED_DIR, or fill "
            "the Hugging Face cache on a connected machine (timm.create_model(name, "
            "pretrained=True)) and copy it here; or train with pretrained=false."
        )

    # --- training -----------------------------------------------------------------------
    @classmethod
    def load_dataset(cls, dataset_path: str, *, skip_bad_images: bool) -> ImageFolderSplit:
        from vision_platform.datasets.imagefolder import load_image_folder

        return load_image_folder(dataset_path, skip_bad_images=skip_bad_images)

    @classmethod
    def read_checkpoint(cls, path: Path) -> dict[str, Any]:
        from vision_platform.storage import torch_reader

        state = torch_reader(path)
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path} is not a {cls.framework} checkpoint of this platform")
        return state

    def fit(self, ctx: RunContext) -> FitOutcome:
        from vision_platform.adapters import timm_training

        return timm_training.fit(self, ctx)

    def checkpoint_state(self, **extra: Any) -> dict[str, Any]:
        """The parts of a checkpoint that describe the model (used by training and export)."""
        return {
            "format": CHECKPOINT_FORMAT,
            "format_version": 1,
            "model_name": self.model_name,
            "task_type": "classification",
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "image_size": self.image_size,
            "config": dict(self.advanced_config),
            "model": self.model.state_dict(),
            **extra,
        }

    def save_checkpoint(
        self, *, epoch: int, metrics: dict[str, Any], is_best: bool, path: Path | None = None
    ) -> Path:
        """Save the model alone (weights, classes, config) outside a training run."""
        import torch

        target = Path(path or ("best.pt" if is_best else "last.pt"))
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.checkpoint_state(epoch=epoch, metrics=metrics, best_metric=None), target)
        return target

    def apply_checkpoint(self, state: dict[str, Any], *, inference_mode: bool) -> None:
        from vision_platform.adapters import timm_training

        self.model_name = state["model_name"]
        self.class_names = list(state["class_names"])
        self.num_classes = state["num_classes"]
        self.image_size = state["image_size"]
        self.advanced_config = {**self.advanced_config, **state["config"], "pretrained": False}
        self.prepare_model()
        self.model.load_state_dict(state["model"])
        if inference_mode:
            self.model.eval()
            self._eval_transform = timm_training.eval_transform(self.image_size)

    # --- inference ----------------------------------------------------------------------
    def onnx_metadata(self) -> dict[str, str]:
        """What a consumer of model.onnx needs: classes and the exact preprocessing."""
        from vision_platform.adapters import timm_training

        return {
            "vp_framework": self.framework,
            "vp_task_type": "classification",
            "vp_model_name": self.model_name,
            "vp_class_names": json.dumps(self.class_names),
            "vp_image_size": str(self.image_size),
            "vp_mean": json.dumps(timm_training.MEAN),
            "vp_std": json.dumps(timm_training.STD),
            "vp_preprocessing": "RGB; resize shorter side to image_size (bilinear); center crop "
            "image_size x image_size; scale to [0,1]; (x - mean) / std; NCHW float32",
            "vp_output": "logits (apply softmax for probabilities)",
        }

    def export_onnx(self, output: Path) -> Path:
        from vision_platform.adapters import timm_training

        if self.model is None or self.image_size is None:
            raise RuntimeError("load_checkpoint() before export")
        return timm_training.export_onnx(
            self.model, Path(output), image_size=self.image_size, metadata=self.onnx_metadata()
        )

    def warm_up(self) -> None:
        import torch

        if self.model is not None and self.image_size:
            with torch.inference_mode():
                self.model(torch.zeros(1, 3, self.image_size, self.image_size))

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        import torch

        from vision_platform.adapters import timm_training

        if self._eval_transform is None:
            raise RuntimeError("load_checkpoint() before inference")
        results: list[InferenceResult] = []
        for start in range(0, len(image_paths), batch_size):
            chunk = list(image_paths[start : start + batch_size])
            t0 = time.perf_counter()
            batch = torch.stack([self._eval_transform(timm_training.open_rgb(p)) for p in chunk])
            t1 = time.perf_counter()
            with torch.inference_mode():
                probs = self.model(batch).float().softmax(dim=1)
            t2 = time.perf_counter()
            top = probs.topk(min(5, probs.shape[1]), dim=1)
            names = self.class_names or []
            per_image = [(t1 - t0) / len(chunk), (t2 - t1) / len(chunk)]
            for i, path in enumerate(chunk):
                scores = [
                    ClassScore(label_id=int(k), label=names[int(k)], confidence=float(c))
                    for c, k in zip(top.values[i], top.indices[i], strict=True)
                ]
                results.append(
                    InferenceResult(
                        image_path=str(path),
                        task_type="classification",
                        predicted_label=scores[0].label,
                        confidence=scores[0].confidence,
                        top5_predictions=scores,
                        detections=None,
                        preprocessing_time_ms=per_image[0] * 1000,
                        inference_time_ms=per_image[1] * 1000,
                        postprocessing_time_ms=(time.perf_counter() - t2) * 1000 / len(chunk),
                    )
                )
        return results


def _hf_cached_weights(model_name: str) -> Path | None:
    """The model's weights in the local Hugging Face cache, looked up without the network."""
    import timm
    from huggingface_hub import try_to_load_from_cache

    cfg = timm.models.get_pretrained_cfg(model_name)
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    if not hub_id:
        return None
    for filename in ("model.safetensors", "pytorch_model.bin"):
        found = try_to_load_from_cache(hub_id, filename)
        if isinstance(found, str):
            return Path(found)
    return None
