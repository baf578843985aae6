"""The timm adapter: image classification with any timm model.

This module is light (no torch import at module level): torch and timm are imported by the
methods that need them, from the package's `model`, `training`, `weights` and `export`.
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
from vision_platform.configs import unknown_name_message
from vision_platform.errors import CheckpointError, UnknownNameError

if TYPE_CHECKING:
    from vision_platform.datasets.imagefolder import ImageFolderSplit
    from vision_platform.weights.importing import InspectedWeights

CHECKPOINT_FORMAT = "vision-platform/timm"


class TimmAdapter(VisionAdapter):
    """Image classification with timm models, trained by the platform's own resumable loop."""

    framework: ClassVar[str] = "timm"

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
        self.weights_note: str | None = None  # what prepare_model loaded, for the run's log

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
        """The model for `num_classes`; with `pretrained`, the weights found for it loaded
        (all that fit: a head of another size stays new)."""
        from vision_platform.adapters.timm.model import create_model
        from vision_platform.adapters.timm.weights import find_pretrained, load_pretrained

        if not self.num_classes:
            raise ValueError("num_classes (or class_names) is needed to build the model")
        config = self.advanced_config
        found = find_pretrained(self.model_name, config) if config["pretrained"] else None
        self.model = create_model(
            self.model_name,
            num_classes=self.num_classes,
            image_size=self.image_size,
            drop_rate=config["drop_rate"],
        )
        if found is not None:
            self.weights_note = load_pretrained(self.model, found, self.model_name)
        return self.model

    @classmethod
    def inspect_weights(
        cls, model_name: str, path: Path, *, work_dir: Path, trusted: bool
    ) -> InspectedWeights:
        """Check a weights file for `model_name` (tensors only, whoever sends it)."""
        from vision_platform.adapters.timm.weights import inspect_weights

        return inspect_weights(model_name, path, work_dir=work_dir)

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
        from vision_platform.adapters.timm.training import fit

        return fit(self, ctx)

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
        from vision_platform.adapters.timm.model import eval_transform

        self.model_name = state["model_name"]
        self.class_names = list(state["class_names"])
        self.num_classes = state["num_classes"]
        self.image_size = state["image_size"]
        self.advanced_config = {**self.advanced_config, **state["config"], "pretrained": False}
        self.prepare_model()
        self.model.load_state_dict(state["model"])
        if inference_mode:
            self.model.eval()
            self._eval_transform = eval_transform(self.image_size)

    # --- inference ----------------------------------------------------------------------
    def onnx_metadata(self) -> dict[str, str]:
        """What a consumer of model.onnx needs: classes and the exact preprocessing."""
        from vision_platform.adapters.timm.model import MEAN, STD

        return {
            "vp_framework": self.framework,
            "vp_task_type": "classification",
            "vp_model_name": self.model_name,
            "vp_class_names": json.dumps(self.class_names),
            "vp_image_size": str(self.image_size),
            "vp_mean": json.dumps(MEAN),
            "vp_std": json.dumps(STD),
            "vp_preprocessing": "RGB; resize shorter side to image_size (bilinear); center crop "
            "image_size x image_size; scale to [0,1]; (x - mean) / std; NCHW float32",
            "vp_output": "logits (apply softmax for probabilities)",
        }

    def export_onnx(self, output: Path) -> Path:
        from vision_platform.adapters.timm.export import export_onnx

        if self.model is None or self.image_size is None:
            raise RuntimeError("load_checkpoint() before export")
        return export_onnx(
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

        from vision_platform.adapters.timm.model import open_rgb

        if self._eval_transform is None:
            raise RuntimeError("load_checkpoint() before inference")
        results: list[InferenceResult] = []
        for start in range(0, len(image_paths), batch_size):
            chunk = list(image_paths[start : start + batch_size])
            t0 = time.perf_counter()
            batch = torch.stack([self._eval_transform(open_rgb(p)) for p in chunk])
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
