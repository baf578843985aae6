"""Ultralytics training with the platform's guarantees: a trainer subclass plus callbacks.

Ultralytics' own trainer runs the epochs. On top of it: checkpoints are published atomically
through the run's CheckpointStore (with sha256 manifests), a stop request (SIGTERM, stage
deadline) ends the run at an epoch boundary with a resumable last.pt, last.pt is never stripped
(so a finished run can be extended), a larger `num_epochs` on resume is honoured, and each epoch
becomes one metrics.jsonl line. See docs/ultralytics-notes.md for the reasons behind each part.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import yaml

from vision_platform.adapters.base import FitOutcome, RunContext
from vision_platform.adapters.ultralytics_adapter import (
    FRAMEWORK,
    ULTRALYTICS_TASK,
    import_ultralytics,
    restore_threads,
)
from vision_platform.errors import CheckpointError, DatasetError, WeightsUnavailableError
from vision_platform.storage import file_sha256, load_verified, manifest_path

if TYPE_CHECKING:
    from vision_platform.adapters.ultralytics_adapter import UltralyticsAdapter

_PLATFORM_TASK = {v: k for k, v in ULTRALYTICS_TASK.items()}
# Trainer arguments Ultralytics lets a resumed run change (the rest comes from the checkpoint).
_RESUME_ARGS = ("imgsz", "batch", "device", "workers", "patience", "close_mosaic", "save_dir")
_CONFIG_TO_ARGS = {
    "optimizer_type": "optimizer",
    "learning_rate": "lr0",
    **{
        name: name
        for name in [
            "lrf",
            "momentum",
            "weight_decay",
            "nbs",
            "cos_lr",
            "warmup_epochs",
            "mosaic",
            "close_mosaic",
            "mixup",
            "copy_paste",
            "hsv_h",
            "hsv_s",
            "hsv_v",
            "degrees",
            "translate",
            "scale",
            "fliplr",
            "flipud",
            "iou",
            "patience",
            "amp",
        ]
    },
}


def best_metric_key(task_type: str) -> str:
    """The metrics.jsonl key reported as the best metric (`best_map50=` in the log)."""
    return "top1_acc" if task_type == "classification" else "map50"


def metric_name(key: str) -> str:
    """Ultralytics' metric key as a metrics.jsonl key: `metrics/mAP50-95(M)` → `mask_map50_95`."""
    name = key.removeprefix("metrics/")
    prefix = ""
    for mark, word in (("(B)", ""), ("(M)", "mask_"), ("(P)", "pose_")):
        if name.endswith(mark):
            name, prefix = name[: -len(mark)], word
    name = name.replace("mAP50-95", "map50_95").replace("mAP50", "map50")
    name = name.replace("accuracy_top1", "top1_acc").replace("accuracy_top5", "top5_acc")
    return prefix + name.replace("/", "_").replace("-", "_").lower()


# --- checkpoints -------------------------------------------------------------------------------


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The platform's view of an Ultralytics checkpoint (the caller verified its manifest)."""
    import_ultralytics()
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    net = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
    if net is None or "train_args" not in ckpt:
        raise CheckpointError(f"{path} is not an Ultralytics training checkpoint")
    args = dict(ckpt["train_args"] or {})
    task_type = _PLATFORM_TASK.get(args.get("task", "detect"), "detection")
    results = ckpt.get("train_results") or {}
    finished = (
        int(ckpt["epoch"]) + 1 if ckpt.get("epoch", -1) >= 0 else len(results.get("epoch", []))
    )
    names = net.names if isinstance(net.names, dict) else dict(enumerate(net.names))
    key = best_metric_key(task_type)
    return {
        "path": str(path),
        "format": FRAMEWORK,
        "model_name": Path(str(net.yaml.get("yaml_file", ""))).stem or args.get("model", ""),
        "task_type": task_type,
        "class_names": [str(names[i]) for i in sorted(names)],
        "epoch": finished,
        "num_epochs": int(args.get("epochs") or finished),
        "seed": int(args.get("seed") or 0),
        "image_size": int(args.get("imgsz") or 640),
        "best_metric": _best_metric(results, ckpt.get("stopper"), key),
        "best_metric_name": key,
        "resumable": ckpt.get("optimizer") is not None and ckpt.get("epoch", -1) >= 0,
    }


def _best_metric(
    results: dict[str, list[Any]], stopper: dict[str, Any] | None, key: str
) -> float | None:
    """The metric at Ultralytics' best epoch (by its fitness), from the results it keeps."""
    column = next((results[k] for k in results if metric_name(k) == key), None)
    epochs = results.get("epoch") or []
    if not column or not epochs:
        return None
    best_epoch = (stopper or {}).get("best_epoch")
    row = epochs.index(best_epoch) if best_epoch in epochs else len(epochs) - 1
    return round(float(column[row]), 6)


def _write_manifest(path: Path, *, epoch: int) -> None:
    manifest = {
        "sha256": file_sha256(path),
        "size": path.stat().st_size,
        "epoch": epoch,
        "framework": FRAMEWORK,
        "saved_at": time.time(),
    }
    manifest_path(path).write_text(json.dumps(manifest, indent=1))


def save_model_file(adapter: UltralyticsAdapter, target: Path, *, epoch: int) -> Path:
    """The loaded model saved in Ultralytics' format with a manifest (outside a training run)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    adapter.model.save(str(tmp))
    os.replace(tmp, target)
    _write_manifest(target, epoch=epoch)
    return target


# --- one run -----------------------------------------------------------------------------------


@dataclass
class _RunState:
    """What the callbacks share: the run context, the best metric and why the run stopped."""

    ctx: RunContext
    best_key: str
    best_metric: float | None = None
    last_is_best: bool = False
    stop_reason: str | None = None
    finished_epoch: int = 0
    steps: int = 0


def platform_trainer(base: Any, run: _RunState) -> Any:
    """Ultralytics' trainer for the task (`base`) with the platform's resume, save and stop."""

    class PlatformTrainer(base):
        last: Path
        best: Path

        def check_resume(self, overrides: dict[str, Any]) -> None:
            # Ultralytics drops a new `epochs` on resume; keeping it is what extends a run.
            epochs = overrides.get("epochs") if self.args.resume else None
            super().check_resume({k: v for k, v in overrides.items() if k != "epochs"})
            if self.resume and epochs:
                self.args.epochs = epochs

        def save_model(self) -> bool:
            # Ultralytics writes in place; it writes to temporary names here, then publishes.
            final_last, final_best = self.last, self.best
            tmp = run.ctx.checkpoints.last_path.with_name(f".ul-last.{os.getpid()}.tmp")
            tmp_best = tmp.with_name(f".ul-best.{os.getpid()}.tmp")
            self.last, self.best = tmp, tmp_best
            try:
                super().save_model()
            finally:
                self.last, self.best = final_last, final_best
                tmp_best.unlink(missing_ok=True)
            run.last_is_best = self.best_fitness == self.fitness
            run.ctx.checkpoints.publish(tmp, epoch=self.epoch + 1, is_best=run.last_is_best)
            return True

        def final_eval(self) -> None:
            # Never strip the optimizer: last.pt stays resumable and extendable, and best.pt
            # was validated as its epoch ended (metrics.jsonl has its numbers).
            return None

    return PlatformTrainer


def _loss_value(tloss: Any) -> float:
    if tloss is None:
        return float("nan")
    if isinstance(tloss, dict):
        return float(sum(float(v) for v in tloss.values()))
    return float(torch.as_tensor(tloss).sum())


def _epoch_metrics(trainer: Any) -> dict[str, Any]:
    losses = (
        trainer.label_loss_items(trainer.tloss, prefix="train") if trainer.tloss is not None else {}
    )
    row: dict[str, Any] = {"epoch": trainer.epoch + 1, "train_loss": _loss_value(trainer.tloss)}
    for key, value in {**losses, **(trainer.metrics or {})}.items():
        name = metric_name(key).removeprefix("train_")
        row[name] = round(float(value), 6)
    row["lr"] = float(next(iter((trainer.lr or {"": math.nan}).values())))
    row["epoch_seconds"] = round(float(trainer.epoch_time or 0.0), 3)
    return row


def _callbacks(run: _RunState) -> dict[str, Any]:
    ctx = run.ctx

    def on_train_epoch_start(trainer: Any) -> None:
        run.steps = 0
        ctx.reporter.epoch_started(trainer.epoch + 1, trainer.epochs, len(trainer.train_loader))

    def on_train_batch_end(trainer: Any) -> None:
        run.steps += 1
        ctx.reporter.step(run.steps, _loss_value(trainer.tloss))

    def on_fit_epoch_end(trainer: Any) -> None:
        if trainer.epoch + 1 <= run.finished_epoch:
            return  # Ultralytics' final_eval repeats the last epoch's event
        row = _epoch_metrics(trainer)
        run.finished_epoch = row["epoch"]
        if run.last_is_best and row.get(run.best_key) is not None:
            run.best_metric = row[run.best_key]
        ctx.reporter.epoch_finished(row)
        if trainer.stop or row["epoch"] >= trainer.epochs:
            return  # finished (all epochs, or Ultralytics' early stop on patience)
        reason = ctx.stop.stop_reason()
        if reason or not ctx.stop.next_epoch_fits(row["epoch_seconds"]):
            run.stop_reason = reason or "deadline"
            trainer.stop = True  # the checkpoint of this epoch is already published

    return {
        "on_pretrain_routine_start": restore_threads,
        "on_train_start": restore_threads,
        "on_train_epoch_start": on_train_epoch_start,
        "on_train_batch_end": on_train_batch_end,
        "on_fit_epoch_end": on_fit_epoch_end,
        "on_train_end": restore_threads,
    }


def _device(name: str) -> str | None:
    return {"auto": None, "cuda": "0"}.get(name, name)


def _data_argument(adapter: UltralyticsAdapter, ctx: RunContext) -> str:
    """What Ultralytics gets as `data`: a yaml with absolute paths, or an ImageFolder root."""
    dataset = ctx.dataset
    task = adapter.task_type
    kind = getattr(dataset, "task_type", None)
    if task == "classification":
        root = Path(getattr(dataset, "root", ""))
        if kind is not None or not (root / "train").is_dir():
            raise DatasetError(
                f"{ctx.spec.dataset_path}: {adapter.model_name} classifies images; it needs an "
                "ImageFolder with train/<class>/ and val/<class>/ folders"
            )
        return str(root.resolve())
    needed = {"segmentation": "segment", "pose": "pose", "obb": "obb"}.get(task)
    if kind is None or (needed is not None and kind != needed):
        raise DatasetError(
            f"{ctx.spec.dataset_path}: {adapter.model_name} ({task}) needs a YOLO data set with "
            f"{needed or 'box'} labels; this one has {kind or 'no YOLO'} labels"
        )
    path = ctx.output_dir.resolve() / "data.yaml"
    path.write_text(yaml.safe_dump(dataset.to_data_dict(), sort_keys=False))
    return str(path)


def _train_args(ctx: RunContext, data: str) -> dict[str, Any]:
    spec, out = ctx.spec, ctx.output_dir.resolve()
    args: dict[str, Any] = {
        "data": data,
        "epochs": spec.num_epochs,
        "batch": spec.batch_size,
        "imgsz": spec.image_size or 640,
        "workers": spec.workers,
        "device": _device(ctx.device),
        "seed": ctx.seed,
        "project": str(out.parent),
        "name": out.name,
        "exist_ok": True,
        "save_dir": str(out),
        "plots": False,
        "val": True,
        "verbose": False,
    }
    args.update({arg: ctx.config[field] for field, arg in _CONFIG_TO_ARGS.items()})
    return args


def _initial_weights(adapter: UltralyticsAdapter, path: Path) -> Path:
    """`--checkpoint-path` for transfer learning: verified when it has a manifest, never fetched."""
    if not path.is_file():
        raise WeightsUnavailableError(
            f"checkpoint not found: {path} (weights are never downloaded)"
        )
    if manifest_path(path).is_file():
        load_verified(path, adapter.read_checkpoint)
    return path


@contextlib.contextmanager
def no_cloud() -> Iterator[None]:
    """No Ultralytics Platform upload and no AMP check download while training or exporting."""
    from ultralytics.engine import trainer as trainer_module

    key = os.environ.pop("ULTRALYTICS_API_KEY", None)
    check_amp = trainer_module.check_amp
    # check_amp downloads yolo26n.pt to test AMP on CUDA; AMP is trusted on CUDA instead.
    trainer_module.check_amp = lambda model: next(model.parameters()).device.type == "cuda"
    try:
        yield
    finally:
        trainer_module.check_amp = check_amp
        if key is not None:
            os.environ["ULTRALYTICS_API_KEY"] = key


def fit(adapter: UltralyticsAdapter, ctx: RunContext) -> FitOutcome:
    """Train with Ultralytics until done or told to stop, publishing a checkpoint every epoch."""
    import_ultralytics()
    from ultralytics import YOLO

    state = ctx.resume_state
    num_epochs = ctx.spec.num_epochs
    run = _RunState(ctx=ctx, best_key=best_metric_key(adapter.task_type))
    if state is not None:
        run.best_metric = state["best_metric"]
        run.finished_epoch = state["epoch"]
        if state["epoch"] >= num_epochs:
            ctx.reporter.info(
                f"The run already finished {state['epoch']} of {num_epochs} epochs; nothing to "
                "train (a larger --num-epochs extends it)"
            )
            return FitOutcome(
                completed=True, last_epoch=state["epoch"], best_metric=run.best_metric
            )
        if not state["resumable"]:
            raise CheckpointError(f"{state['path']} holds no optimizer state; it cannot resume")
    data = _data_argument(adapter, ctx)
    args = _train_args(ctx, data)
    task = ULTRALYTICS_TASK[adapter.task_type]
    if state is not None:
        if state["num_epochs"] != num_epochs:
            ctx.reporter.info(
                f"Extending the run from {state['num_epochs']} to {num_epochs} epochs; the "
                "learning-rate schedule is recomputed for the new length"
            )
        model = YOLO(state["path"], task=task)
        args = {k: args[k] for k in ("data", "epochs", *_RESUME_ARGS)} | {"resume": state["path"]}
    elif ctx.init_weights is not None:
        model = YOLO(str(_initial_weights(adapter, ctx.init_weights)), task=task)
    else:
        model = adapter.prepare_model()
    for event, callback in _callbacks(run).items():
        model.add_callback(event, callback)
    trainer_cls = platform_trainer(model._smart_load("trainer"), run)
    try:
        with no_cloud():
            model.train(trainer=trainer_cls, **args)
    finally:
        restore_threads()
    return FitOutcome(
        completed=run.stop_reason is None,
        last_epoch=run.finished_epoch,
        best_metric=run.best_metric,
        stop_reason=run.stop_reason,
    )


# --- export ------------------------------------------------------------------------------------


def export_onnx(adapter: UltralyticsAdapter, output: Path) -> Path:
    """Export with Ultralytics' exporter (simplified by onnxslim) plus the platform's metadata."""
    import onnx

    import_ultralytics()
    with no_cloud():
        written = Path(
            adapter.model.export(
                format="onnx", imgsz=adapter.image_size, simplify=True, device="cpu", verbose=False
            )
        )
    restore_threads()
    proto = onnx.load(str(written))
    metadata = {
        "vp_framework": FRAMEWORK,
        "vp_task_type": adapter.task_type,
        "vp_model_name": adapter.model_name,
        "vp_class_names": json.dumps(adapter.class_names),
        "vp_image_size": str(adapter.image_size),
        "vp_preprocessing": "RGB; letterbox to image_size x image_size (pad value 114); scale to "
        "[0,1]; NCHW float32",
        "vp_output": "Ultralytics' raw head output (boxes cx,cy,w,h and class scores); apply NMS",
    }
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    onnx.save(proto, str(tmp))
    os.replace(tmp, output)
    if written.resolve() != output.resolve():
        written.unlink(missing_ok=True)
    return output
