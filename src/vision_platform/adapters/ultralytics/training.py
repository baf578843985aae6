"""Ultralytics training with the platform's guarantees: a trainer subclass plus callbacks.

Ultralytics' own trainer runs the epochs. On top of it: checkpoints are published atomically
through the run's CheckpointStore (with sha256 manifests; Ultralytics serializes, the store's
writer thread writes, fsyncs, hashes and publishes while the next epoch trains), a stop request
(SIGTERM, stage deadline) ends the run at an epoch boundary with a resumable last.pt, last.pt is
never stripped (so a finished run can be extended), a larger `num_epochs` on resume is honoured,
and each epoch becomes one metrics.jsonl line. See docs/ultralytics-notes.md for the reasons
behind each part.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
import yaml

from vision_platform.adapters.base import FitOutcome, RunContext
from vision_platform.adapters.ultralytics import DESCRIPTOR
from vision_platform.adapters.ultralytics.checkpoints import metric_name
from vision_platform.adapters.ultralytics.names import ULTRALYTICS_TASK
from vision_platform.adapters.ultralytics.shim import (
    device_argument,
    import_ultralytics,
    no_cloud,
    restore_threads,
)
from vision_platform.errors import CheckpointError, DatasetError, WeightsUnavailableError
from vision_platform.storage import load_verified, manifest_path

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


class Trainee(Protocol):
    """What a run needs of the adapter it trains (the UltralyticsAdapter)."""

    model_name: str
    task_type: str
    weights_note: str | None

    def prepare_model(self) -> Any: ...

    def read_checkpoint(self, path: Path) -> dict[str, Any]: ...


@dataclass
class _RunState:
    """What the callbacks share: the run context, the best metric and why the run stopped."""

    ctx: RunContext
    best_key: str
    best_metric: float | None = None
    last_is_best: bool = False
    stop_reason: str | None = None
    finished_epoch: int = 0
    saved_epoch: int = 0  # the last epoch whose checkpoint was saved
    checkpoint_seconds: float = 0.0  # what the last save held training up (the store's part)
    steps: int = 0


class _Captured:
    """Stands in for Ultralytics' last/best paths: keeps the bytes its save_model writes."""

    data = b""

    def write_bytes(self, data: bytes) -> int:
        self.data = data
        return len(data)


def platform_trainer(base: Any, run: _RunState) -> Any:
    """Ultralytics' trainer for the task (`base`) with the platform's resume, save and stop."""

    class PlatformTrainer(base):
        last: Any
        best: Any

        def check_resume(self, overrides: dict[str, Any]) -> None:
            # Ultralytics drops a new `epochs` on resume; keeping it is what extends a run.
            epochs = overrides.get("epochs") if self.args.resume else None
            super().check_resume({k: v for k, v in overrides.items() if k != "epochs"})
            if self.resume and epochs:
                self.args.epochs = epochs

        def save_model(self) -> bool:
            # The last epoch and a stop are saved at once; other epochs in the background, when
            # due (save_period, save_every_minutes) or improved.
            epoch = self.epoch + 1
            final = bool(self.stop) or epoch >= self.epochs or bool(run.ctx.stop.stop_reason())
            if not (final or self.best_fitness == self.fitness or run.ctx.checkpoints.due(epoch)):
                run.last_is_best = False
                return False
            self.publish_checkpoint(background=not final)
            return True

        def publish_checkpoint(self, *, background: bool) -> None:
            """Ultralytics' checkpoint bytes (never written in place), published by the store."""
            final_last, final_best = self.last, self.best
            self.last = self.best = captured = _Captured()
            try:
                super().save_model()
            finally:
                self.last, self.best = final_last, final_best
            run.last_is_best = self.best_fitness == self.fitness
            started = time.perf_counter()
            run.ctx.checkpoints.save_bytes(
                captured.data, epoch=self.epoch + 1, is_best=run.last_is_best, background=background
            )
            run.checkpoint_seconds = time.perf_counter() - started
            run.saved_epoch = self.epoch + 1

        def _handle_nan_recovery(self, epoch: int) -> bool:
            run.ctx.checkpoints.wait()  # a recovery reads last.pt: the write in flight lands first
            return bool(super()._handle_nan_recovery(epoch))

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
        finished = trainer.stop or row["epoch"] >= trainer.epochs  # (or Ultralytics' patience)
        reason = ctx.stop.stop_reason()
        if not finished and (reason or not ctx.stop.next_epoch_fits(row["epoch_seconds"])):
            run.stop_reason = reason or "deadline"
            trainer.stop = True
            if run.saved_epoch != row["epoch"]:  # skipped by save_period: a stop always saves
                trainer.publish_checkpoint(background=False)
        row["checkpoint_seconds"] = round(run.checkpoint_seconds, 3)
        run.checkpoint_seconds = 0.0
        # Reported once its checkpoint (in flight, maybe) is published.
        ctx.checkpoints.when_published(lambda: ctx.reporter.epoch_finished(row))

    return {
        "on_pretrain_routine_start": restore_threads,
        "on_train_start": restore_threads,
        "on_train_epoch_start": on_train_epoch_start,
        "on_train_batch_end": on_train_batch_end,
        "on_fit_epoch_end": on_fit_epoch_end,
        "on_train_end": restore_threads,
    }


def _data_argument(adapter: Trainee, ctx: RunContext) -> str:
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
        "device": device_argument(ctx.device),
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


def _initial_weights(adapter: Trainee, path: Path) -> Path:
    """`--checkpoint-path` for transfer learning: verified when it has a manifest, never fetched."""
    if not path.is_file():
        raise WeightsUnavailableError(
            f"checkpoint not found: {path} (weights are never downloaded)"
        )
    if manifest_path(path).is_file():
        load_verified(path, adapter.read_checkpoint)
    return path


def _resumed(run: _RunState, state: dict[str, Any]) -> FitOutcome | None:
    """Take over a resumed run's progress; its outcome when it has nothing left to train."""
    num_epochs = run.ctx.spec.num_epochs
    run.best_metric = state["best_metric"]
    run.finished_epoch = state["epoch"]
    if state["epoch"] >= num_epochs:
        run.ctx.reporter.info(
            f"The run already finished {state['epoch']} of {num_epochs} epochs; nothing to "
            "train (a larger --num-epochs extends it)"
        )
        return FitOutcome(completed=True, last_epoch=state["epoch"], best_metric=run.best_metric)
    if not state["resumable"]:
        raise CheckpointError(f"{state['path']} holds no optimizer state; it cannot resume")
    if state["num_epochs"] != num_epochs:
        run.ctx.reporter.info(
            f"Extending the run from {state['num_epochs']} to {num_epochs} epochs; the "
            "learning-rate schedule is recomputed for the new length"
        )
    return None


def _model_and_args(adapter: Trainee, ctx: RunContext) -> tuple[Any, dict[str, Any]]:
    """The YOLO model to train (resumed, from initial weights, or new) and its arguments."""
    from ultralytics import YOLO

    state = ctx.resume_state
    args = _train_args(ctx, _data_argument(adapter, ctx))
    task = ULTRALYTICS_TASK[adapter.task_type]
    if state is not None:
        args = {k: args[k] for k in ("data", "epochs", *_RESUME_ARGS)} | {"resume": state["path"]}
        return YOLO(state["path"], task=task), args
    if ctx.init_weights is not None:
        return YOLO(str(_initial_weights(adapter, ctx.init_weights)), task=task), args
    model = adapter.prepare_model()
    if adapter.weights_note:
        ctx.reporter.info(adapter.weights_note)
    return model, args


def fit(adapter: Trainee, ctx: RunContext) -> FitOutcome:
    """Train with Ultralytics until done or told to stop, publishing checkpoints as it goes."""
    import_ultralytics()
    run = _RunState(ctx=ctx, best_key=DESCRIPTOR.best_metric(adapter.task_type))
    if ctx.resume_state is not None:
        finished = _resumed(run, ctx.resume_state)
        if finished is not None:
            return finished
    model, args = _model_and_args(adapter, ctx)
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
