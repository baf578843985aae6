"""The adapter interface every framework implements, and the results adapters return."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from vision_platform.adapters.descriptor import AdapterInfo
from vision_platform.configs import PRESET_NAMES, ConfigField, TrainingSpec, merge_config
from vision_platform.errors import (
    CheckpointError,
    DatasetError,
    InvalidInputError,
    UnknownNameError,
)
from vision_platform.weights.importing import InspectedWeights

ProgressFn = Callable[[float], None]


class ClassScore(BaseModel):
    """One class and its probability, as in `top5_predictions`."""

    model_config = ConfigDict(extra="forbid")
    label_id: int
    label: str
    confidence: float


class Detection(BaseModel):
    """One detected object; boxes are [x1, y1, x2, y2] in pixels of the original image."""

    model_config = ConfigDict(extra="forbid")
    class_id: int
    class_name: str
    confidence: float
    bbox: list[float]
    polygon: list[list[float]] | None = None
    keypoints: list[list[float]] | None = None


class InferenceResult(BaseModel):
    """The result for one image (CONTRACT.md's InferenceResult)."""

    model_config = ConfigDict(extra="forbid")
    image_path: str
    task_type: str
    predicted_label: str
    confidence: float
    top5_predictions: list[ClassScore] | None = None
    detections: list[Detection] | None = None
    inference_time_ms: float
    preprocessing_time_ms: float
    postprocessing_time_ms: float


class StopControl(Protocol):
    """Tells a training loop when to stop early (SIGTERM, stage deadline)."""

    def stop_reason(self) -> str | None: ...

    def next_epoch_fits(self, epoch_seconds: float) -> bool: ...


class CheckpointSink(Protocol):
    """Where a training loop saves its checkpoints (atomic, verified, last/best).

    `background=True` snapshots the state and returns while a writer thread publishes it (one
    write in flight; the next save waits for it); a stop or the end of a run saves without it.
    `due(epoch)` says whether the run's save_period / save_every_minutes ask for that epoch;
    `when_published(fn)` runs `fn` (an epoch's report) once the write in flight is published."""

    last_path: Path
    best_path: Path

    def due(self, epoch: int) -> bool: ...

    def save(
        self, state: dict[str, Any], *, epoch: int, is_best: bool, background: bool = False
    ) -> None: ...

    def save_bytes(
        self, data: bytes, *, epoch: int, is_best: bool, background: bool = False
    ) -> None: ...

    def wait(self) -> None: ...

    def when_published(self, fn: Callable[[], None]) -> None: ...


class RunReporter(Protocol):
    """Where a training loop reports progress, epoch metrics and messages."""

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def epoch_started(self, epoch: int, num_epochs: int, num_steps: int) -> None: ...

    def step(self, step: int, loss: float) -> None: ...

    def epoch_finished(self, metrics: dict[str, Any]) -> None: ...


@dataclass(kw_only=True)
class RunContext:
    """Everything an adapter's `fit` needs, built by `training.runner`."""

    spec: TrainingSpec
    config: dict[str, Any]
    class_names: list[str]
    dataset: Any  # the adapter's own validated data set (from its load_dataset)
    output_dir: Path
    checkpoints: CheckpointSink
    stop: StopControl
    reporter: RunReporter
    seed: int
    device: str
    resume_state: dict[str, Any] | None = None
    init_weights: Path | None = None


@dataclass(frozen=True)
class BoxValidation:
    """A validator's answer over a YOLO split: box metrics, and each image's labels."""

    # ap50, ap, p, r, map50, map, mp, mr, ap_class_index, px, p_curve, r_curve, f1_curve and
    # prec_values, as Ultralytics' box Metric has them (`inference.detection_eval` reads them).
    box: Any
    # Per image: im_file, bboxes (normalised xywh) and cls, as YOLO labels have them.
    labels: list[dict[str, Any]]


@dataclass(frozen=True)
class FitOutcome:
    """How `fit` ended: finished all epochs, or stopped early (resumable) and why."""

    completed: bool
    last_epoch: int
    best_metric: float | None
    stop_reason: str | None = None


class VisionAdapter(abc.ABC):
    """One framework behind the platform's interface: schema, presets, training, inference.

    What the framework serves (tasks, best metric per task, schema, presets) is its descriptor's
    (`info()`, the `AdapterInfo` in its package); the adapter adds what needs the framework.
    """

    framework: ClassVar[str]

    def __init__(
        self,
        model_name: str,
        num_classes: int | None = None,
        advanced_config: dict[str, Any] | None = None,
        *,
        class_names: Sequence[str] | None = None,
        task_type: str | None = None,
        device: str = "auto",
        conf_threshold: float = 0.25,
        iou_threshold: float = 0.7,
    ) -> None:
        self.model_name = model_name
        self.class_names = list(class_names) if class_names else None
        self.num_classes = num_classes or (len(self.class_names) if self.class_names else None)
        self.advanced_config = merge_config(
            schema=self.config_schema(),
            presets=self.presets(),
            preset=None,
            overrides=advanced_config,
        )
        self.task_type = task_type or self.info().default_task(model_name)
        self.device = device
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold
        self.model: Any = None

    # --- schema and presets (the descriptor's) ------------------------------------------
    @classmethod
    def info(cls) -> AdapterInfo:
        """This framework's descriptor."""
        from vision_platform.adapters.registry import registry

        return registry.info(cls.framework)

    @classmethod
    def config_schema(cls) -> list[ConfigField]:
        """The framework's advanced-config fields."""
        return cls.info().config_schema()

    @classmethod
    def presets(cls) -> dict[str, dict[str, Any]]:
        """Preset name → the values it sets (on top of the defaults)."""
        return cls.info().presets()

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return cls.info().json_schema()

    def get_config_schema(self) -> list[ConfigField]:
        return self.config_schema()

    def get_preset_config(self, preset: str) -> dict[str, Any]:
        return merge_config(
            schema=self.config_schema(), presets=self.presets(), preset=preset, overrides=None
        )

    # --- training --------------------------------------------------------------------------
    @abc.abstractmethod
    def prepare_model(self) -> Any:
        """Build (or load) the model for `model_name` and `num_classes`."""

    @abc.abstractmethod
    def fit(self, ctx: RunContext) -> FitOutcome:
        """Train under `ctx` until done or told to stop, checkpointing every epoch."""

    @abc.abstractmethod
    def save_checkpoint(
        self, *, epoch: int, metrics: dict[str, Any], is_best: bool, path: Path | None = None
    ) -> Path:
        """Save the current model as a checkpoint and return where it went."""

    @classmethod
    def from_checkpoint(cls, path: str | Path, **kwargs: Any) -> VisionAdapter:
        """An adapter ready for inference, built from what the checkpoint records."""
        from vision_platform.storage import load_verified

        state = load_verified(Path(path), cls.read_checkpoint)
        adapter = cls(state["model_name"], **kwargs)
        adapter.apply_checkpoint(state, inference_mode=True)
        return adapter

    @classmethod
    def from_onnx(cls, path: Path, metadata: dict[str, str]) -> VisionAdapter:
        """An adapter serving an exported model.onnx (for `AdapterInfo.onnx_by_adapter`)."""
        raise CheckpointError(f"{path}: {cls.framework} models.onnx run on the platform's runner")

    @classmethod
    @abc.abstractmethod
    def read_checkpoint(cls, path: Path) -> dict[str, Any]:
        """Read a checkpoint file of this framework (CheckpointError when it is not one)."""

    @classmethod
    @abc.abstractmethod
    def model_names(cls) -> list[str]:
        """Every model name this adapter can build (may import the framework)."""

    @classmethod
    @abc.abstractmethod
    def check_model_name(cls, model_name: str) -> None:
        """Raise UnknownNameError (with the closest valid names) for a model it cannot build."""

    @classmethod
    @abc.abstractmethod
    def load_dataset(cls, dataset_path: str, *, skip_bad_images: bool) -> Any:
        """Validate the data set (DatasetError naming the file) and return it for `fit`.

        The result has `class_names` and `warnings` (list of str)."""

    @classmethod
    def inspect_weights(
        cls, model_name: str, path: Path, *, work_dir: Path, trusted: bool
    ) -> InspectedWeights:
        """Check a weights file for the store (`vp weights import`); InvalidInputError naming
        the file when it does not hold weights of `model_name`."""
        raise InvalidInputError(f"{cls.framework} takes no imported weights")

    def load_checkpoint(self, path: str | Path, *, inference_mode: bool = True) -> dict[str, Any]:
        """Load weights (and class names) from a verified checkpoint; returns its metadata."""
        from vision_platform.storage import load_verified

        state = load_verified(Path(path), self.read_checkpoint)
        self.apply_checkpoint(state, inference_mode=inference_mode)
        return {k: v for k, v in state.items() if k not in ("model", "optimizer", "scheduler")}

    @abc.abstractmethod
    def apply_checkpoint(self, state: dict[str, Any], *, inference_mode: bool) -> None:
        """Take model, class names and settings from a checkpoint read by `read_checkpoint`."""

    # --- inference -------------------------------------------------------------------------
    @abc.abstractmethod
    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        """Predict several images in batched forward passes.

        `conf_threshold` and `iou_threshold` override the model's own detection thresholds for
        this call (lower or higher); models without boxes ignore them."""

    def infer_single(self, image_path: str | Path) -> InferenceResult:
        return self.infer_batch([image_path])[0]

    def export_onnx(self, output: Path) -> Path:
        """Write the loaded model as ONNX with its classes and preprocessing in the metadata."""
        raise UnknownNameError(f"ONNX export is not available for {self.framework} models")

    def validate_boxes(
        self,
        data_yaml: Path,
        *,
        split: str,
        conf: float,
        batch_size: int,
        work_dir: Path,
        progress: ProgressFn,
    ) -> BoxValidation:
        """The loaded model's box metrics over a split of a YOLO data set (detection test runs).

        Predictions down to confidence `conf` count (mAP needs the whole curve); `progress`
        gets the share of the split done (0..1); files go under `work_dir` only."""
        raise DatasetError(f"box evaluation is not available for {self.framework} models")

    def warm_up(self) -> None:  # noqa: B027 (optional hook: nothing to do by default)
        """Run one forward pass so that the first real request does not pay for lazy set-up."""

    def memory_bytes(self) -> int:
        """Bytes of the loaded model's parameters and buffers (for the model cache's bound)."""
        model = self.model
        if model is None or not hasattr(model, "parameters"):
            return 0
        tensors = [*model.parameters(), *model.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors)


__all__ = [
    "PRESET_NAMES",
    "BoxValidation",
    "CheckpointSink",
    "ClassScore",
    "Detection",
    "FitOutcome",
    "InferenceResult",
    "RunContext",
    "RunReporter",
    "StopControl",
    "VisionAdapter",
]
