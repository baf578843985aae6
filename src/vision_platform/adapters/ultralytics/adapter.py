"""The Ultralytics adapter: YOLO detection, segmentation, pose and classification, offline.

This module is light (no torch or ultralytics import at module level), so the adapter can be
built and its names checked without loading a framework. Ultralytics is imported through
`shim.import_ultralytics()` only (offline, without side effects).

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

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from vision_platform.adapters.base import (
    BoxValidation,
    FitOutcome,
    InferenceResult,
    ProgressFn,
    RunContext,
    VisionAdapter,
)
from vision_platform.adapters.ultralytics import DESCRIPTOR
from vision_platform.adapters.ultralytics.names import ULTRALYTICS_TASK, model_names
from vision_platform.adapters.ultralytics.shim import (
    device_argument,
    import_ultralytics,
    restore_threads,
)
from vision_platform.configs import unknown_name_message
from vision_platform.errors import CheckpointError, UnknownNameError, WeightsUnavailableError
from vision_platform.storage import manifest_path

if TYPE_CHECKING:
    from vision_platform.weights.importing import InspectedWeights


class UltralyticsAdapter(VisionAdapter):
    """YOLO models (YOLO11, YOLOv8, YOLO26) trained by Ultralytics' own trainer, resumable."""

    framework: ClassVar[str] = DESCRIPTOR.framework

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
        self.weights_note: str | None = None  # where prepare_model's weights came from

    @classmethod
    def from_onnx(cls, path: Path, metadata: dict[str, str]) -> UltralyticsAdapter:
        """Inference on an exported model.onnx through ONNX Runtime, by Ultralytics' own
        AutoBackend: the same letterbox, NMS and scaling back to the original image as the
        PyTorch model, so results have the same shape and thresholds work the same way."""
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
        from vision_platform.adapters.ultralytics.data import load_dataset

        return load_dataset(dataset_path, skip_bad_images=skip_bad_images)

    @classmethod
    def read_checkpoint(cls, path: Path) -> dict[str, Any]:
        from vision_platform.adapters.ultralytics.checkpoints import read_checkpoint

        if not manifest_path(path).is_file():
            raise CheckpointError(
                f"{path} has no manifest ({manifest_path(path).name}); Ultralytics checkpoints "
                "are pickles, so only files written by the platform are loaded (to start from a "
                "file of your own, set advanced config weights_path)"
            )
        return read_checkpoint(path)

    # --- training -----------------------------------------------------------------------------
    def prepare_model(self) -> Any:
        """The Ultralytics model: from `weights_path` when given, else built from its yaml."""
        import_ultralytics()
        from ultralytics import YOLO

        weights = self.weights_file()
        source = str(weights) if weights else f"{self.model_name}.yaml"
        self.model = YOLO(source, task=ULTRALYTICS_TASK[self.task_type])
        return self.model

    @classmethod
    def inspect_weights(
        cls, model_name: str, path: Path, *, work_dir: Path, trusted: bool
    ) -> InspectedWeights:
        """Check an Ultralytics .pt for `model_name` (a pickle: only from a trusted user)."""
        from vision_platform.adapters.ultralytics.weights import inspect_weights

        return inspect_weights(model_name, path, work_dir=work_dir, trusted=trusted)

    def weights_file(self) -> Path | None:
        """With `pretrained`, the weights found for the model (every place looked is named
        when none has them); else the user's `weights_path` (checked to exist), or None."""
        if self.advanced_config["pretrained"]:
            from vision_platform.adapters.ultralytics.weights import find_pretrained

            found = find_pretrained(self.model_name, self.advanced_config)
            self.weights_note = f"Pretrained weights from {found.place}: {found.path}"
            return found.path
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
        from vision_platform.adapters.ultralytics.training import fit

        return fit(self, ctx)

    def save_checkpoint(
        self, *, epoch: int, metrics: dict[str, Any], is_best: bool, path: Path | None = None
    ) -> Path:
        """Save the loaded model in Ultralytics' format (with a manifest) outside a run."""
        from vision_platform.adapters.ultralytics.checkpoints import save_model_file

        if self.model is None:
            raise RuntimeError("prepare_model() or load_checkpoint() first")
        target = Path(path or ("best.pt" if is_best else "last.pt"))
        return save_model_file(self.model, target, epoch=epoch)

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
    def warm_up(self) -> None:
        if self.model is not None and self.image_size:
            import numpy as np

            blank = np.zeros((self.image_size, self.image_size, 3), dtype=np.uint8)
            self.model.predict(
                blank, imgsz=self.image_size, device=device_argument(self.device), verbose=False
            )

    def infer_batch(
        self,
        image_paths: Sequence[str | Path],
        *,
        batch_size: int = 16,
        conf_threshold: float | None = None,
        iou_threshold: float | None = None,
    ) -> list[InferenceResult]:
        from vision_platform.adapters.ultralytics.results import to_result

        if self.model is None:
            raise RuntimeError("load_checkpoint() before inference")
        names, task = self.class_names, self.task_type
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
                device=device_argument(self.device),
                verbose=False,
            )
            results.extend(
                to_result(path, r, task_type=task, class_names=names)
                for path, r in zip(chunk, predictions, strict=True)
            )
        return results

    def export_onnx(self, output: Path) -> Path:
        from vision_platform.adapters.ultralytics.export import export_onnx

        if self.model is None or self.image_size is None:
            raise RuntimeError("load_checkpoint() before export")
        return export_onnx(self, Path(output))

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
        """Ultralytics' validator (the code that reports mAP while training) over the split."""
        from vision_platform.adapters.ultralytics.validation import validate_boxes

        if self.model is None:
            raise RuntimeError("load_checkpoint() before validation")
        return validate_boxes(
            self.model,
            data_yaml,
            split=split,
            conf=conf,
            batch_size=batch_size,
            iou=self.iou_threshold,
            image_size=self.image_size,
            device=device_argument(self.device),
            work_dir=work_dir,
            progress=progress,
        )
