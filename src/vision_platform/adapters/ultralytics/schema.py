"""The Ultralytics adapter's advanced-config fields and presets (light: no Ultralytics import).

Field names follow the trainer's own arguments (`training.CONFIG_TO_ARGS` maps the two that
differ), option spellings too (AdamW, not adamw).
"""

from __future__ import annotations

from typing import Any

from vision_platform.configs import CHECKPOINT_FIELDS, ConfigField
from vision_platform.presets import Draft, PresetIntent

OPTIMIZERS = ("auto", "SGD", "Adam", "AdamW", "RMSProp")
_EXPLICIT_OPTIMIZERS = OPTIMIZERS[1:]


def _field(name: str, type_: str, default: Any, group: str, description: str, **kw: Any) -> Any:
    return ConfigField(
        name=name,
        type=type_,  # type: ignore[arg-type]
        default=default,
        group=group,
        description=description,
        **kw,
    )


def _unit(name: str, default: float, group: str, description: str, **kw: Any) -> Any:
    """A float field in [0, 1] (Ultralytics' probabilities and gains)."""
    return _field(name, "float", default, group, description, min=0.0, max=1.0, **kw)


_EXPLICIT = {"optimizer_type": _EXPLICIT_OPTIMIZERS}
SCHEMA: list[ConfigField] = [
    # optimizer
    _field(
        "optimizer_type",
        "select",
        "auto",
        "optimizer",
        "Optimizer (Ultralytics' spellings). auto picks AdamW with a learning rate from the "
        "class count for short runs, SGD for long ones, and ignores learning_rate and momentum.",
        options=OPTIMIZERS,
        concept="optimizer",
    ),
    _field(
        "learning_rate",
        "float",
        0.01,
        "optimizer",
        "Initial learning rate (Ultralytics' lr0).",
        min=1e-7,
        max=1.0,
        depends_on=_EXPLICIT,
        concept="learning_rate",
    ),
    _unit("lrf", 0.01, "optimizer", "Final learning rate as a fraction of the initial one."),
    _field(
        "momentum",
        "float",
        0.937,
        "optimizer",
        "SGD momentum, or beta1 of Adam/AdamW/RMSProp.",
        min=0.0,
        max=0.999,
        depends_on=_EXPLICIT,
        concept="momentum",
    ),
    _unit(
        "weight_decay",
        0.0005,
        "optimizer",
        "Weight decay (L2) of the weights.",
        concept="weight_decay",
    ),
    _field(
        "nbs",
        "int",
        64,
        "optimizer",
        "Nominal batch size: gradients are accumulated over nbs/batch_size batches and the "
        "weight decay scaled to it. Set it to the batch size for small data sets.",
        min=1,
        max=1024,
        concept="nominal_batch",
    ),
    # scheduler
    _field(
        "cos_lr",
        "bool",
        False,
        "scheduler",
        "Cosine learning-rate schedule (else linear).",
        concept="scheduler",
        concept_values={"cosine": True, "linear": False},
    ),
    _field(
        "warmup_epochs",
        "float",
        3.0,
        "scheduler",
        "Epochs of warm-up (fractions allowed).",
        min=0.0,
        max=100.0,
        concept="warmup_epochs",
    ),
    # augmentation
    _unit(
        "mosaic",
        1.0,
        "augmentation",
        "Probability of mosaic (4 images in one).",
        concept="mosaic",
        on_value=1.0,
    ),
    _field(
        "close_mosaic",
        "int",
        10,
        "augmentation",
        "Turn mosaic off for the last N epochs (0 = never).",
        min=0,
        max=1000,
        concept="close_mosaic",
    ),
    _unit(
        "mixup",
        0.0,
        "augmentation",
        "Probability of mixup (blend two images).",
        concept="mixup",
        on_value=0.1,
    ),
    _unit(
        "copy_paste",
        0.0,
        "augmentation",
        "Probability of copy-paste (segmentation only).",
        concept="copy_paste",
        on_value=0.1,
    ),
    _unit("hsv_h", 0.015, "augmentation", "Hue jitter (fraction)."),
    _unit("hsv_s", 0.7, "augmentation", "Saturation jitter (fraction)."),
    _unit("hsv_v", 0.4, "augmentation", "Brightness jitter (fraction)."),
    _field(
        "degrees",
        "float",
        0.0,
        "augmentation",
        "Random rotation (± degrees).",
        min=0,
        max=180,
        concept="rotation",
        on_value=15.0,
    ),
    _unit("translate", 0.1, "augmentation", "Random translation (± fraction of the size)."),
    _unit("scale", 0.5, "augmentation", "Random scaling (± gain)."),
    _unit(
        "fliplr",
        0.5,
        "augmentation",
        "Probability of a left-right flip.",
        concept="flip",
        on_value=0.5,
    ),
    _unit(
        "flipud",
        0.0,
        "augmentation",
        "Probability of an up-down flip.",
        concept="vertical_flip",
        on_value=0.5,
    ),
    # evaluation and prediction
    _unit("iou", 0.7, "evaluation", "IoU threshold of non-maximum suppression."),
    _unit(
        "conf",
        0.25,
        "evaluation",
        "Confidence threshold of predictions (validation keeps Ultralytics' 0.001 for mAP).",
    ),
    # training
    _field(
        "patience",
        "int",
        100,
        "training",
        "Stop early after this many epochs without improvement (0 = never).",
        min=0,
        max=100_000,
        concept="patience",
    ),
    _field(
        "amp",
        "bool",
        True,
        "training",
        "Automatic mixed precision on CUDA (ignored on the CPU).",
        concept="mixed_precision",
    ),
    _field(
        "pretrained",
        "bool",
        False,
        "training",
        "Start from pretrained weights: weights_path, the weights store, VP_PRETRAINED_DIR, "
        "or (VP_ALLOW_DOWNLOADS=1 only) Ultralytics' release assets.",
        concept="pretrained",
    ),
    _field(
        "weights_path",
        "str",
        "",
        "training",
        "A local .pt file to start from (e.g. yolo11n.pt, pretrained on COCO). Never "
        "downloaded; empty = build the model from its yaml with random weights.",
        concept="pretrained_path",
    ),
    *CHECKPOINT_FIELDS,
]

# The presets' nominal values; `PRESET_INTENTS` say what each is for and how the values bend to
# a run (see vision_platform.presets).
PRESETS: dict[str, dict[str, Any]] = {
    # Quick and forgiving: Ultralytics' automatic optimizer, mild augmentation, early stop.
    "easy": {
        "optimizer_type": "auto",
        "cos_lr": False,
        "warmup_epochs": 3.0,
        "mosaic": 1.0,
        "mixup": 0.0,
        "copy_paste": 0.0,
        "patience": 20,
    },
    # Balanced: AdamW with a cosine schedule and a little mixup.
    "medium": {
        "optimizer_type": "AdamW",
        "learning_rate": 0.001,
        "weight_decay": 0.0005,
        "cos_lr": True,
        "warmup_epochs": 3.0,
        "mosaic": 1.0,
        "mixup": 0.1,
        "patience": 50,
    },
    # For long runs after accuracy: SGD, cosine, stronger augmentation, late mosaic close.
    "advanced": {
        "optimizer_type": "SGD",
        "learning_rate": 0.01,
        "momentum": 0.937,
        "weight_decay": 0.0005,
        "cos_lr": True,
        "warmup_epochs": 5.0,
        "mosaic": 1.0,
        "close_mosaic": 15,
        "mixup": 0.15,
        "copy_paste": 0.1,
        "degrees": 5.0,
        "scale": 0.5,
        "patience": 100,
    },
}

# Ultralytics accumulates gradients up to `nbs` (64) images a step: the rates are for that batch.
_NOMINAL_BATCH = 64
PRESET_INTENTS: dict[str, PresetIntent] = {
    "easy": PresetIntent(
        summary="fast and simple: Ultralytics' automatic optimizer, mild augmentation, early stop"
    ),
    "medium": PresetIntent(
        summary="balanced: AdamW, a cosine schedule, a little mixup on longer runs",
        learning_rate=(1e-3, 5e-4),
        reference_batch=_NOMINAL_BATCH,
        heavy_augmentation_epochs=(10, 30),
    ),
    "advanced": PresetIntent(
        summary="strongest regularisation for the best final accuracy on long runs",
        learning_rate=(1e-2, 1e-2),
        short_run_learning_rate=(1e-3, 5e-4),  # AdamW's, as medium's
        reference_batch=_NOMINAL_BATCH,
        heavy_augmentation_epochs=(20, 60),
    ),
}
_STRIDE = 32  # YOLO models take image sizes in multiples of their largest stride


def image_size_in_strides(draft: Draft) -> None:
    """Ultralytics rounds an image size up to a multiple of the model's stride: say so."""
    size = draft.run.image_size
    if size is not None and size % _STRIDE:
        rounded = -(-size // _STRIDE) * _STRIDE
        draft.inform(
            "image_size",
            nominal=size,
            value=rounded,
            reason=f"YOLO models take multiples of {_STRIDE} px (Ultralytics rounds up)",
        )


def mosaic_within_run(draft: Draft) -> None:
    """Ultralytics turns mosaic off for the run's last `close_mosaic` epochs: when that is the
    whole run, mosaic is never used, whatever its probability says."""
    epochs = draft.run.num_epochs
    close = draft.config["close_mosaic"]
    if not draft.config["mosaic"] or not close or close < epochs:
        return
    reason = f"close_mosaic {close} turns mosaic off for the whole {epochs}-epoch run"
    if draft.user_set("mosaic"):
        draft.notes.append(f"mosaic: {reason}")
    else:
        draft.adapt("mosaic", 0.0, reason)


RUN_RULES = (image_size_in_strides, mosaic_within_run)
