"""The timm adapter's advanced-config fields and presets (light: read without importing timm)."""

from __future__ import annotations

from typing import Any

from vision_platform.configs import CHECKPOINT_FIELDS, Concept, ConfigField
from vision_platform.presets import Draft, PresetIntent

_SCHEDULERS_WITH_WARMUP = ("step", "cosine", "plateau", "exponential")

SCHEMA: list[ConfigField] = [
    # optimizer
    ConfigField(
        name="optimizer_type",
        concept="optimizer",
        type="select",
        default="adamw",
        options=("adam", "adamw", "sgd", "rmsprop"),
        group="optimizer",
        description="Optimizer, built by timm's optimizer factory.",
    ),
    ConfigField(
        name="learning_rate",
        concept="learning_rate",
        type="float",
        default=0.001,
        min=1e-7,
        max=1.0,
        group="optimizer",
        description="Initial learning rate.",
    ),
    ConfigField(
        name="weight_decay",
        concept="weight_decay",
        type="float",
        default=0.0,
        min=0.0,
        max=1.0,
        group="optimizer",
        description="Weight decay (not applied to biases and norms).",
    ),
    ConfigField(
        name="momentum",
        concept="momentum",
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
        concept="scheduler",
        type="select",
        default="cosine",
        options=("none", "step", "cosine", "plateau", "exponential"),
        group="scheduler",
        description="Learning-rate schedule over epochs (timm's scheduler factory).",
    ),
    ConfigField(
        name="warmup_epochs",
        concept="warmup_epochs",
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
        concept="step_size",
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
        concept="crop_scale",
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
        concept="flip",
        type="bool",
        default=True,
        group="augmentation",
        depends_on={"aug_enabled": (True,)},
        description="Random horizontal flips.",
    ),
    ConfigField(
        name="random_rotation",
        concept="rotation",
        on_value=15,
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
        concept="color_jitter",
        on_value=0.4,
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
        concept="mixup",
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
        concept="cutmix",
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
        concept="label_smoothing",
        on_value=0.1,
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
        concept="mixed_precision",
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
        concept="dropout",
        type="float",
        default=0.0,
        min=0.0,
        max=0.9,
        group="training",
        description="Dropout before the classifier.",
    ),
    ConfigField(
        name="pretrained",
        concept="pretrained",
        type="bool",
        default=False,
        group="training",
        description="Start from pretrained weights (file from pretrained_path, "
        "VP_PRETRAINED_DIR or the local Hugging Face cache; never downloaded).",
    ),
    ConfigField(
        name="pretrained_path",
        concept="pretrained_path",
        type="str",
        default="",
        group="training",
        depends_on={"pretrained": (True,)},
        description="A local file of pretrained weights (.safetensors, .pth or .bin).",
    ),
    *CHECKPOINT_FIELDS,
]

# The presets' nominal values; `PRESET_INTENTS` say what each is for and how the values bend to
# a run (vision_platform.presets resolves them: learning rate by start and batch, warm-up
# within the run, heavy augmentation only on runs long enough to profit).
PRESETS: dict[str, dict[str, Any]] = {
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

PRESET_INTENTS: dict[str, PresetIntent] = {
    "easy": PresetIntent(
        summary="fast and simple: Adam, a cosine schedule, light augmentation",
        learning_rate=(1e-3, 3e-4),
    ),
    "medium": PresetIntent(
        summary="balanced: AdamW, warm-up, colour jitter, mixup on longer runs",
        learning_rate=(1e-3, 1e-4),
        heavy_augmentation_epochs=(5, 20),
    ),
    "advanced": PresetIntent(
        summary="strongest regularisation for the best final accuracy on long runs",
        learning_rate=(1e-3, 1e-4),
        heavy_augmentation_epochs=(10, 40),
    ),
}


_MIXING: tuple[Concept, ...] = ("mixup", "cutmix")


def mixing_needs_an_even_batch(draft: Draft) -> None:
    """timm's Mixup blends the images of a batch in pairs: it needs an even batch size."""
    batch = draft.run.batch_size
    if batch % 2 == 0:
        return
    for concept in _MIXING:
        spec = draft.field_for(concept)
        if spec is None or not draft.config[spec.name]:
            continue
        problem = f"{spec.name} blends images in pairs; the batch size {batch} is odd"
        if draft.user_set(spec.name):
            draft.refuse([spec.name, "batch_size"], problem)
        else:
            draft.adapt(spec.name, False, problem)


RUN_RULES = (mixing_needs_an_even_batch,)
