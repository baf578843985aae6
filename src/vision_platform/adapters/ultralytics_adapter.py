"""The Ultralytics adapter: YOLO detection, segmentation, pose and classification, offline.

This module is light (no torch or ultralytics import at module level), so schemas, presets and
model names can be read without loading a framework; training lives in `ultralytics_training`.

Offline and without side effects: `import_ultralytics()` is the one way this platform imports
Ultralytics (training, inference and reading checkpoints all call it). It sets YOLO_OFFLINE,
YOLO_AUTOINSTALL=false, YOLO_CONFIG_DIR and MPLCONFIGDIR (a folder under the platform's home,
`VP_HOME`, default `./.vp`; a temporary folder when that cannot be written) before the first
import, copies matplotlib's DejaVuSans there as `Arial.ttf`/`Arial.Unicode.ttf` (Ultralytics
would fetch its font from GitHub otherwise), turns settings sync and the logging integrations
off, and then puts the caller's environment and torch's thread count back.
See docs/ultralytics-notes.md for what each setting prevents.

Checkpoints and `weights_only`: Ultralytics' own checkpoint format (kept as it is: one format per
framework) pickles the model module, so `torch.load(weights_only=True)` cannot read it.
`read_checkpoint` therefore unpickles (`weights_only=False`) only files that carry the
platform's sha256 manifest (`<file>.json`, written by the CheckpointStore next to every
last.pt/best.pt), after `storage.load_verified` has checked the file against it; a `.pt`
without a manifest is refused with a CheckpointError. The manifest proves the file is the one
the platform wrote, not that the folder is trustworthy: artifact storage is a trust boundary.
The one other pickle this adapter loads is a file the user names on purpose as starting
weights (advanced config `weights_path`), which must exist locally and is never downloaded.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from vision_platform.adapters.base import (
    ClassScore,
    Detection,
    FitOutcome,
    InferenceResult,
    RunContext,
    VisionAdapter,
)
from vision_platform.configs import ConfigField, unknown_name_message
from vision_platform.errors import (
    CheckpointError,
    DatasetError,
    UnknownNameError,
    WeightsUnavailableError,
)

FRAMEWORK = "ultralytics"
OPTIMIZERS = ("auto", "SGD", "Adam", "AdamW", "RMSProp")
_EXPLICIT_OPTIMIZERS = OPTIMIZERS[1:]

# Model families this adapter builds from Ultralytics' bundled yaml files (never downloaded).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "yolov8": ("", "-seg", "-pose", "-cls", "-obb"),
    "yolo11": ("", "-seg", "-pose", "-cls", "-obb"),
    "yolo26": ("", "-seg", "-pose", "-cls", "-obb"),
}
_SIZES = "nsmlx"
_SUFFIX_TASK = {
    "": "detection",
    "-seg": "segmentation",
    "-pose": "pose",
    "-cls": "classification",
    "-obb": "obb",
}
# The platform's task names → Ultralytics' own.
ULTRALYTICS_TASK = {
    "detection": "detect",
    "segmentation": "segment",
    "pose": "pose",
    "classification": "classify",
    "obb": "obb",
}


def model_names() -> list[str]:
    """Every model name this adapter accepts, e.g. yolo11n, yolo11n-seg, yolov8s-pose."""
    names = [
        f"{family}{size}{suffix}"
        for family, suffixes in _FAMILIES.items()
        for suffix in suffixes
        for size in _SIZES
    ]
    return [*names, *(f"yolov5{size}u" for size in _SIZES)]


def task_of(model_name: str) -> str:
    """The task a model name implies: -seg, -pose, -cls, -obb, or else detection."""
    _, dash, suffix = model_name.partition("-")
    return _SUFFIX_TASK.get(dash + suffix, "detection")


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
_SCHEMA: list[ConfigField] = [
    # optimizer
    _field(
        "optimizer_type",
        "select",
        "auto",
        "optimizer",
        "Optimizer (Ultralytics' spellings). auto picks AdamW with a learning rate from the "
        "class count for short runs, SGD for long ones, and ignores learning_rate and momentum.",
        options=OPTIMIZERS,
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
    ),
    _unit("weight_decay", 0.0005, "optimizer", "Weight decay (L2) of the weights."),
    _field(
        "nbs",
        "int",
        64,
        "optimizer",
        "Nominal batch size: gradients are accumulated over nbs/batch_size batches and the "
        "weight decay scaled to it. Set it to the batch size for small data sets.",
        min=1,
        max=1024,
    ),
    # scheduler
    _field("cos_lr", "bool", False, "scheduler", "Cosine learning-rate schedule (else linear)."),
    _field(
        "warmup_epochs",
        "float",
        3.0,
        "scheduler",
        "Epochs of warm-up (fractions allowed).",
        min=0.0,
        max=100.0,
    ),
    # augmentation
    _unit("mosaic", 1.0, "augmentation", "Probability of mosaic (4 images in one)."),
    _field(
        "close_mosaic",
        "int",
        10,
        "augmentation",
        "Turn mosaic off for the last N epochs (0 = never).",
        min=0,
        max=1000,
    ),
    _unit("mixup", 0.0, "augmentation", "Probability of mixup (blend two images)."),
    _unit("copy_paste", 0.0, "augmentation", "Probability of copy-paste (segmentation only)."),
    _unit("hsv_h", 0.015, "augmentation", "Hue jitter (fraction)."),
    _unit("hsv_s", 0.7, "augmentation", "Saturation jitter (fraction)."),
    _unit("hsv_v", 0.4, "augmentation", "Brightness jitter (fraction)."),
    _field("degrees", "float", 0.0, "augmentation", "Random rotation (± degrees).", min=0, max=180),
    _unit("translate", 0.1, "augmentation", "Random translation (± fraction of the size)."),
    _unit("scale", 0.5, "augmentation", "Random scaling (± gain)."),
    _unit("fliplr", 0.5, "augmentation", "Probability of a left-right flip."),
    _unit("flipud", 0.0, "augmentation", "Probability of an up-down flip."),
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
    ),
    _field(
        "amp",
        "bool",
        True,
        "training",
        "Automatic mixed precision on CUDA (ignored on the CPU).",
    ),
    _field(
        "weights_path",
        "str",
        "",
        "training",
        "A local .pt file to start from (e.g. yolo11n.pt, pretrained on COCO). Never "
        "downloaded; empty = build the model from its yaml with random weights.",
    ),
]

_PRESETS: dict[str, dict[str, Any]] = {
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


# --- importing Ultralytics offline -------------------------------------------------------------

_IMPORT_LOCK = threading.Lock()
_saved_threads: int | None = None

_SETTINGS_OFF: dict[str, Any] = {
    "sync": False,
    "api_key": "",
    "clearml": False,
    "comet": False,
    "dvc": False,
    "hub": False,
    "mlflow": False,
    "neptune": False,
    "raytune": False,
    "tensorboard": False,
    "wandb": False,
    "vscode_msg": False,
    "openvino_msg": False,
}


def _config_root() -> Path:
    """The folder Ultralytics may write to: `<VP_HOME>/ultralytics`, else a temporary one."""
    from vision_platform.settings import get_settings

    root = (Path(get_settings().home) / "ultralytics").resolve()
    try:
        (root / "Ultralytics").mkdir(parents=True, exist_ok=True)
        return root
    except OSError:
        return Path(tempfile.mkdtemp(prefix="vp-ultralytics-"))


def _install_font(cfg_dir: Path) -> None:
    """matplotlib's DejaVuSans as Ultralytics' Arial files, so it never fetches them."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return
    font = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = cfg_dir / name
        if font.is_file() and not target.is_file():
            tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
            shutil.copyfile(font, tmp)
            os.replace(tmp, target)


def import_ultralytics() -> ModuleType:
    """Import Ultralytics offline and without side effects (the only way this platform does).

    Idempotent. The caller's environment is restored afterwards: Ultralytics reads these
    variables at import time only.
    """
    global _saved_threads
    with _IMPORT_LOCK:
        import sys

        if "ultralytics" in sys.modules and _saved_threads is not None:
            return sys.modules["ultralytics"]
        import torch

        threads = torch.get_num_threads()
        root = _config_root()
        _install_font(root / "Ultralytics")
        wanted = {
            "YOLO_OFFLINE": "1",
            "YOLO_AUTOINSTALL": "false",
            "YOLO_CONFIG_DIR": str(root),
            "MPLCONFIGDIR": str(root / "matplotlib"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS") or str(threads),
        }
        import PIL.Image

        # Ultralytics replaces these process-wide on import: PIL.Image.open (a retry that tries
        # to install pi-heif, raising ModuleNotFoundError for any non-image once installs are
        # off) and torch.save (retries meant for Windows). The platform keeps the originals.
        originals = (PIL.Image.open, torch.save)
        with _environment(wanted):
            import matplotlib

            matplotlib.get_configdir()  # cached now, so later imports never use ~/.config
            matplotlib.get_cachedir()
            import ultralytics
            from ultralytics.utils import SETTINGS
        PIL.Image.open, torch.save = originals

        SETTINGS.update(
            {
                k: v
                for k, v in {
                    **_SETTINGS_OFF,
                    "datasets_dir": str(root / "datasets"),
                    "weights_dir": str(root / "weights"),
                    "runs_dir": str(root / "runs"),
                }.items()
                if k in SETTINGS and SETTINGS.get(k) != v
            }
        )
        torch.set_num_threads(threads)
        _saved_threads = threads
        return ultralytics


def restore_threads(*_: Any) -> None:
    """Put torch's thread count back after Ultralytics' select_device pinned it (a callback)."""
    if _saved_threads is not None:
        import torch

        torch.set_num_threads(_saved_threads)


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set `values` in os.environ for the block, then restore every variable it touched."""
    before = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


# --- the adapter -------------------------------------------------------------------------------


class UltralyticsAdapter(VisionAdapter):
    """YOLO models (YOLO11, YOLOv8, YOLO26) trained by Ultralytics' own trainer, resumable."""

    framework: ClassVar[str] = FRAMEWORK
    task_types: ClassVar[tuple[str, ...]] = (
        "detection",
        "segmentation",
        "pose",
        "classification",
        "obb",
    )
    best_metric_name: ClassVar[str] = "map50"

    def __init__(
        self,
        model_name: str = "yolo11n",
        num_classes: int | None = None,
        advanced_config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_name, num_classes, advanced_config, **kwargs)
        if "conf_threshold" not in kwargs:
            self.conf_threshold = self.advanced_config["conf"]
        if "iou_threshold" not in kwargs:
            self.iou_threshold = self.advanced_config["iou"]
        self.image_size: int | None = None
        self.checkpoint_path: Path | None = None

    @classmethod
    def from_onnx(cls, path: Path, metadata: dict[str, str]) -> UltralyticsAdapter:
        """Inference on an exported model.onnx through ONNX Runtime, by Ultralytics' own
        AutoBackend: the same letterbox, NMS and scaling back to the original image as the
        PyTorch model, so results have the same shape and thresholds work the same way."""
        import json

        adapter = cls(metadata["vp_model_name"])
        adapter.apply_checkpoint(
            {
                "model_name": metadata["vp_model_name"],
                "task_type": metadata["vp_task_type"],
                "class_names": json.loads(metadata["vp_class_names"]),
                "image_size": int(metadata["vp_image_size"]),
                "path": str(path),
            },
            inference_mode=True,
        )
        return adapter

    def memory_bytes(self) -> int:
        path = self.checkpoint_path
        if path is not None and path.suffix == ".onnx":  # the weights live in ONNX Runtime
            return path.stat().st_size
        return super().memory_bytes()

    @classmethod
    def config_schema(cls) -> list[ConfigField]:
        return list(_SCHEMA)

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        return {name: dict(values) for name, values in _PRESETS.items()}

    @classmethod
    def default_task_type(cls, model_name: str) -> str:
        return task_of(model_name)

    @classmethod
    def model_names(cls) -> list[str]:
        return model_names()

    @classmethod
    def check_model_name(cls, model_name: str) -> None:
        if model_name not in model_names():
            raise UnknownNameError(
                unknown_name_message("Ultralytics model", model_name, model_names())
            )

    # --- data and checkpoints -----------------------------------------------------------------
    @classmethod
    def load_dataset(cls, dataset_path: str, *, skip_bad_images: bool) -> Any:
        """A YOLO data set (task from `kpt_shape` and the label columns) or an ImageFolder."""
        from vision_platform.datasets.imagefolder import load_image_folder
        from vision_platform.datasets.yolo import find_yolo_yaml, validate_yolo_dataset

        path = Path(dataset_path)
        try:
            yaml_path = find_yolo_yaml(path)
        except DatasetError:
            if path.is_dir() and not any(path.glob("*.y*ml")):
                return load_image_folder(path, skip_bad_images=skip_bad_images)  # for -cls
            raise
        return validate_yolo_dataset(yaml_path, task_type=_guess_yolo_task(yaml_path))

    @classmethod
    def read_checkpoint(cls, path: Path) -> dict[str, Any]:
        from vision_platform.adapters import ultralytics_training
        from vision_platform.storage import manifest_path

        if not manifest_path(path).is_file():
            raise CheckpointError(
                f"{path} has no manifest ({manifest_path(path).name}); Ultralytics checkpoints "
                "are pickles, so only files written by the platform are loaded (to start from a "
                "file of your own, set advanced config weights_path)"
            )
        return ultralytics_training.read_checkpoint(path)

    # --- training -----------------------------------------------------------------------------
    def prepare_model(self) -> Any:
        """The Ultralytics model: from `weights_path` when given, else built from its yaml."""
        import_ultralytics()
        from ultralytics import YOLO

        weights = self.weights_file()
        source = str(weights) if weights else f"{self.model_name}.yaml"
        self.model = YOLO(source, task=ULTRALYTICS_TASK[self.task_type])
        return self.model

    def weights_file(self) -> Path | None:
        """The user's `weights_path` (checked to exist: never downloaded), or None."""
        given = self.advanced_config["weights_path"]
        if not given:
            return None
        path = Path(given).expanduser()
        if path.suffix != ".pt" or not path.is_file():
            raise WeightsUnavailableError(
                f"weights_path {path} is not a local .pt file; weights are never downloaded at "
                "run time. Copy the file (e.g. yolo11n.pt from a connected machine) and give its "
                "path, or leave weights_path empty to train from scratch"
            )
        return path

    def fit(self, ctx: RunContext) -> FitOutcome:
        from vision_platform.adapters import ultralytics_training

        return ultralytics_training.fit(self, ctx)

    def save_checkpoint(
        self, *, epoch: int, metrics: dict[str, Any], is_best: bool, path: Path | None = None
    ) -> Path:
        """Save the loaded model in Ultralytics' format (with a manifest) outside a run."""
        from vision_platform.adapters import ultralytics_training

        if self.model is None:
            raise RuntimeError("prepare_model() or load_checkpoint() first")
        target = Path(path or ("best.pt" if is_best else "last.pt"))
        return ultralytics_training.save_model_file(self, target, epoch=epoch)

    def apply_checkpoint(self, state: dict[str, Any], *, inference_mode: bool) -> None:
        import_ultralytics()
        from ultralytics import YOLO

        self.model_name = state["model_name"]
        self.task_type = state["task_type"]
        self.class_names = list(state["class_names"])
        self.num_classes = len(self.class_names)
        self.image_size = state["image_size"]
        self.checkpoint_path = Path(state["path"])
        self.model = YOLO(str(self.checkpoint_path), task=ULTRALYTICS_TASK[self.task_type])
        self.model.add_callback("on_predict_start", restore_threads)

    # --- inference ----------------------------------------------------------------------------
    def _device(self) -> str | None:
        return {"auto": None, "cuda": "0"}.get(self.device, self.device)

    def warm_up(self) -> None:
        if self.model is not None and self.image_size:
            import numpy as np

            blank = np.zeros((self.image_size, self.image_size, 3), dtype=np.uint8)
            self.model.predict(blank, imgsz=self.image_size, device=self._device(), verbose=False)

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        if self.model is None:
            raise RuntimeError("load_checkpoint() before inference")
        results: list[InferenceResult] = []
        # Chunked here: Ultralytics stacks in-memory lists whole, whatever `batch` says.
        for start in range(0, len(image_paths), batch_size):
            chunk = [str(p) for p in image_paths[start : start + batch_size]]
            predictions = self.model.predict(
                chunk,
                batch=len(chunk),
                conf=self.conf_threshold if conf_threshold is None else conf_threshold,
                iou=self.iou_threshold if iou_threshold is None else iou_threshold,
                imgsz=self.image_size,
                device=self._device(),
                verbose=False,
            )
            results.extend(
                self._result(path, r) for path, r in zip(chunk, predictions, strict=True)
            )
        return results

    def _result(self, path: str, prediction: Any) -> InferenceResult:
        speed = prediction.speed
        timings = {
            "preprocessing_time_ms": float(speed.get("preprocess") or 0.0),
            "inference_time_ms": float(speed.get("inference") or 0.0),
            "postprocessing_time_ms": float(speed.get("postprocess") or 0.0),
        }
        names = self.class_names or [str(v) for v in prediction.names.values()]
        if self.task_type == "classification":
            probs = prediction.probs
            top = [
                ClassScore(label_id=int(k), label=names[int(k)], confidence=float(c))
                for k, c in zip(probs.top5, probs.top5conf.tolist(), strict=True)
            ]
            return InferenceResult(
                image_path=path,
                task_type=self.task_type,
                predicted_label=top[0].label,
                confidence=top[0].confidence,
                top5_predictions=top,
                **timings,
            )
        detections = _detections(prediction, names)
        best = max(detections, key=lambda d: d.confidence, default=None)
        return InferenceResult(
            image_path=path,
            task_type=self.task_type,
            predicted_label=best.class_name if best else "no_detection",
            confidence=best.confidence if best else 0.0,
            detections=detections,
            **timings,
        )

    def export_onnx(self, output: Path) -> Path:
        from vision_platform.adapters import ultralytics_training

        if self.model is None or self.image_size is None:
            raise RuntimeError("load_checkpoint() before export")
        return ultralytics_training.export_onnx(self, Path(output))


def _detections(prediction: Any, names: list[str]) -> list[Detection]:
    """Boxes (pixels of the original image), with polygons or keypoints when the task has them."""
    boxes = prediction.obb if prediction.boxes is None else prediction.boxes
    if boxes is None or len(boxes) == 0:
        return []
    xyxy = boxes.xyxy.tolist()
    classes = [int(c) for c in boxes.cls.tolist()]
    confs = boxes.conf.tolist()
    polygons = [p.tolist() for p in prediction.masks.xy] if prediction.masks is not None else None
    keypoints = prediction.keypoints.data.tolist() if prediction.keypoints is not None else None
    return [
        Detection(
            class_id=cls_id,
            class_name=names[cls_id] if cls_id < len(names) else str(cls_id),
            confidence=float(conf),
            bbox=[float(v) for v in box],
            polygon=polygons[i] if polygons is not None else None,
            keypoints=keypoints[i] if keypoints is not None else None,
        )
        for i, (box, cls_id, conf) in enumerate(zip(xyxy, classes, confs, strict=True))
    ]


def _guess_yolo_task(yaml_path: Path) -> str:
    """pose when data.yaml has kpt_shape; else segment when the first label line is a polygon."""
    import yaml

    from vision_platform.datasets.yolo import label_path_for

    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "detect"  # validation reports the problem with file and line
    if not isinstance(data, dict):
        return "detect"
    if "kpt_shape" in data:
        return "pose"
    root = Path(str(data.get("path") or yaml_path.parent)).expanduser()
    root = root if root.is_absolute() else yaml_path.parent / root
    labels_root = label_path_for(root / "images" / "x.jpg").parent
    for label in sorted(labels_root.rglob("*.txt"))[:50] if labels_root.is_dir() else []:
        for line in label.read_text(errors="replace").splitlines():
            if line.strip():
                return "segment" if len(line.split()) > 5 else "detect"
    return "detect"
