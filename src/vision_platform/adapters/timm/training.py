"""The timm training loop: exact-resume data order, timm factories, background checkpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from timm.data import Mixup
from timm.loss import SoftTargetCrossEntropy
from timm.optim import create_optimizer_v2
from timm.scheduler import create_scheduler_v2
from torch.utils.data import DataLoader

from vision_platform.adapters.base import FitOutcome, RunContext
from vision_platform.adapters.timm import DESCRIPTOR
from vision_platform.adapters.timm.model import (
    ImageList,
    default_image_size,
    eval_transform,
    train_transform,
)
from vision_platform.adapters.timm.seeding import (
    epoch_order,
    epoch_seed,
    restore_rng_state,
    rng_state,
    seed_everything,
)
from vision_platform.errors import ConfigValidationError

BEST_METRIC = DESCRIPTOR.best_metric("classification")  # evaluate()'s val_acc


class Trainee(Protocol):
    """What the loop needs of the adapter it trains (the TimmAdapter)."""

    model_name: str
    num_classes: int | None
    image_size: int | None
    weights_note: str | None
    advanced_config: dict[str, Any]

    def prepare_model(self) -> Any: ...

    def read_checkpoint(self, path: Path) -> dict[str, Any]: ...

    def checkpoint_state(self, **extra: Any) -> dict[str, Any]: ...


@dataclass
class Partial:
    """How far an interrupted epoch got, so that resume continues at the same batch."""

    epoch: int
    step: int
    loss_sum: float
    samples: int
    seconds: float


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.replace(",", "").isdigit():
        return torch.device(f"cuda:{name.split(',')[0]}")
    return torch.device(name)


def _build_scheduler(
    optimizer: torch.optim.Optimizer, config: dict[str, Any], num_epochs: int
) -> Any:
    kind = config["scheduler_type"]
    if kind == "none":
        return None
    sched = {"exponential": "step"}.get(kind, kind)
    scheduler, _ = create_scheduler_v2(
        optimizer,
        sched=sched,
        num_epochs=num_epochs,
        decay_epochs=1 if kind == "exponential" else config["step_size"],
        decay_rate=config["gamma"],
        min_lr=config["min_lr"] if kind == "cosine" else 0.0,
        warmup_epochs=config["warmup_epochs"],
        warmup_lr=config["learning_rate"] * 0.01,
        plateau_mode="max",
    )
    return scheduler


class TimmRun:
    """The state of one timm training run: model, optimizer, scheduler, data and bookkeeping."""

    def __init__(self, adapter: Trainee, ctx: RunContext) -> None:
        self.adapter, self.ctx, self.config = adapter, ctx, ctx.config
        self.num_epochs = ctx.spec.num_epochs
        self.device = _resolve_device(ctx.device)
        self.amp = self.config["mixed_precision"] and self.device.type == "cuda"
        if self.config["mixed_precision"] and not self.amp:
            ctx.reporter.info("mixed_precision applies on CUDA only; training in float32")
        self.batch_size = ctx.spec.batch_size
        mixing = self.config["mixup"] or self.config["cutmix"]
        if mixing and self.batch_size % 2:
            raise ConfigValidationError({"batch_size": "mixup/cutmix need an even batch size"})
        dataset = ctx.dataset
        if len(dataset.train) < self.batch_size:
            raise ConfigValidationError(
                {
                    "batch_size": f"{self.batch_size} is larger than the "
                    f"{len(dataset.train)} training images"
                }
            )
        size = adapter.image_size
        assert size is not None
        self.train_set = ImageList(dataset.train, train_transform(size, self.config))
        self.val_loader = DataLoader(
            ImageList(dataset.val, eval_transform(size)),
            batch_size=self.batch_size,
            num_workers=ctx.spec.workers,
        )
        seed_everything(ctx.seed)  # model initialisation is part of the seeded run
        self.model = adapter.prepare_model().to(self.device)
        self.optimizer = create_optimizer_v2(
            self.model,
            opt=self.config["optimizer_type"],
            lr=self.config["learning_rate"],
            weight_decay=self.config["weight_decay"],
            momentum=self.config["momentum"],
        )
        self.scheduler = _build_scheduler(self.optimizer, self.config, self.num_epochs)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.mixup = (
            Mixup(
                mixup_alpha=self.config["mixup_alpha"] if self.config["mixup"] else 0.0,
                cutmix_alpha=self.config["cutmix_alpha"] if self.config["cutmix"] else 0.0,
                label_smoothing=self.config["label_smoothing"],
                num_classes=adapter.num_classes or 0,
            )
            if mixing
            else None
        )
        self.train_loss_fn: torch.nn.Module = (
            SoftTargetCrossEntropy()
            if mixing
            else torch.nn.CrossEntropyLoss(label_smoothing=self.config["label_smoothing"])
        )
        self.val_loss_fn = torch.nn.CrossEntropyLoss()
        self.start_epoch = 1
        self.best_metric: float | None = None
        self.partial: Partial | None = None
        self.saved_epoch = 0  # the last epoch whose checkpoint was saved

    # --- checkpoints ------------------------------------------------------------------
    def load_init_weights(self, path: Path) -> None:
        """Weights only (transfer learning); a classifier of another shape is left new."""
        state = self.adapter.read_checkpoint(path)["model"]
        own = self.model.state_dict()
        usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        self.model.load_state_dict(usable, strict=False)
        skipped = sorted(set(own) - set(usable))
        if skipped:
            self.ctx.reporter.info(f"Initialised from {path}; new layers: {', '.join(skipped)}")

    def restore(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            if state["num_epochs"] == self.num_epochs:
                self.scheduler.load_state_dict(state["scheduler"])
            else:
                self.ctx.reporter.info(
                    f"Extending the run from {state['num_epochs']} to {self.num_epochs} epochs; "
                    "the learning-rate schedule is recomputed for the new length"
                )
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.best_metric = state["best_metric"]
        self.start_epoch = state["epoch"] + 1
        if state.get("partial"):
            self.partial = Partial(**state["partial"])
            restore_rng_state(state["rng"])

    def save(
        self, *, epoch: int, is_best: bool, partial: Partial | None = None, background: bool = False
    ) -> None:
        """Checkpoint the run as it is now (in the background: a snapshot, written meanwhile)."""
        state = self.adapter.checkpoint_state(
            epoch=epoch,
            num_epochs=self.num_epochs,
            seed=self.ctx.seed,
            best_metric=self.best_metric,
            best_metric_name=BEST_METRIC,
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            scaler=self.scaler.state_dict() if self.amp else None,
            rng=rng_state(),
            partial=partial.__dict__ if partial else None,
            spec=self.ctx.spec.model_dump(mode="json"),
        )
        self.ctx.checkpoints.save(state, epoch=epoch, is_best=is_best, background=background)
        self.saved_epoch = epoch

    # --- one epoch ----------------------------------------------------------------------
    def _loader(self, epoch: int, first_step: int) -> DataLoader[Any]:
        order = epoch_order(len(self.train_set), self.ctx.seed, epoch)
        steps = len(order) // self.batch_size
        order = order[first_step * self.batch_size : steps * self.batch_size]
        gen = torch.Generator().manual_seed(epoch_seed(self.ctx.seed, epoch))
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            sampler=order,
            num_workers=self.ctx.spec.workers,
            generator=gen,
            persistent_workers=False,
        )

    def train_epoch(self, epoch: int) -> tuple[float, Partial | None]:
        """Train one epoch; returns (mean loss, None) or, when told to stop, (nan, Partial)."""
        part = self.partial if self.partial and self.partial.epoch == epoch else None
        self.partial = None
        if part is None:
            seed_everything(epoch_seed(self.ctx.seed, epoch))
            part = Partial(epoch=epoch, step=0, loss_sum=0.0, samples=0, seconds=0.0)
        steps = len(self.train_set) // self.batch_size
        started = time.perf_counter() - part.seconds
        self.model.train()
        self.ctx.reporter.epoch_started(epoch, self.num_epochs, steps)
        for images, targets in self._loader(epoch, part.step):
            loss = self.train_step(images.to(self.device), targets.to(self.device))
            part.step += 1
            part.loss_sum += loss * len(targets)
            part.samples += len(targets)
            self.ctx.reporter.step(part.step, loss)
            if part.step < steps and self.ctx.stop.stop_reason():
                part.seconds = time.perf_counter() - started
                return float("nan"), part
        self.epoch_train_seconds = time.perf_counter() - started
        return part.loss_sum / max(part.samples, 1), None

    def train_step(self, images: torch.Tensor, targets: torch.Tensor) -> float:
        if self.mixup is not None:
            images, targets = self.mixup(images, targets)
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            loss = self.train_loss_fn(self.model(images), targets)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.config["gradient_clip_value"] > 0:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(
                self.model.parameters(), self.config["gradient_clip_value"]
            )
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return float(loss.detach())

    @torch.inference_mode()
    def evaluate(self) -> dict[str, float]:
        self.model.eval()
        loss_sum, top1, top5, total = 0.0, 0, 0, 0
        k = min(5, self.adapter.num_classes or 1)
        for images, targets in self.val_loader:
            images, targets = images.to(self.device), targets.to(self.device)
            with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
                logits = self.model(images).float()
            loss_sum += float(self.val_loss_fn(logits, targets)) * len(targets)
            topk = logits.topk(k, dim=1).indices
            top1 += int((topk[:, 0] == targets).sum())
            top5 += int((topk == targets[:, None]).any(dim=1).sum())
            total += len(targets)
        return {"val_loss": loss_sum / total, "val_acc": top1 / total, "val_top5_acc": top5 / total}

    def end_epoch(self, epoch: int, train_loss: float) -> dict[str, Any]:
        """Validate, step the schedule and checkpoint a trained epoch; its metrics line."""
        t_eval = time.perf_counter()
        metrics = self.evaluate()
        lr = self.optimizer.param_groups[0]["lr"]
        if self.scheduler is not None:
            self.scheduler.step(epoch, metrics[BEST_METRIC])
        is_best = self.best_metric is None or metrics[BEST_METRIC] > self.best_metric
        if is_best:
            self.best_metric = metrics[BEST_METRIC]
        # The last epoch and a stop are saved at once; other epochs in the background, when
        # due (save_period, save_every_minutes) or improved.
        final = epoch == self.num_epochs or self.ctx.stop.stop_reason() is not None
        t_save = time.perf_counter()
        if final or is_best or self.ctx.checkpoints.due(epoch):
            self.save(epoch=epoch, is_best=is_best, background=not final)
        t_end = time.perf_counter()
        epoch_seconds = self.epoch_train_seconds + t_end - t_eval
        return {
            "epoch": epoch,
            "train_loss": train_loss,
            **metrics,
            "lr": lr,
            "epoch_seconds": round(epoch_seconds, 3),
            "checkpoint_seconds": round(t_end - t_save, 3),  # what training waited for it
        }

    def report(self, row: dict[str, Any]) -> None:
        """Report an epoch once its checkpoint (in flight, maybe) is published."""
        reporter = self.ctx.reporter
        self.ctx.checkpoints.when_published(lambda: reporter.epoch_finished(row))


@torch.no_grad()
def check_image_size(model: torch.nn.Module, size: int, model_name: str) -> None:
    """Refuse (naming image_size) a size the model cannot take, before the first epoch: a
    patch or a stride larger than what the image leaves fails on a forward of two blanks."""
    device = next(model.parameters()).device
    model.eval()
    try:
        model(torch.zeros(2, 3, size, size, device=device))
    except (RuntimeError, ValueError, AssertionError) as e:
        raise ConfigValidationError(
            {"image_size": f"{size} px is too small for {model_name}: {str(e).splitlines()[0]}"}
        ) from e
    finally:
        model.train()


def fit(adapter: Trainee, ctx: RunContext) -> FitOutcome:
    """Train epochs until done or stopped; checkpoint epochs (in the background, see
    `TimmRun.end_epoch`), and save at once on a stop mid-epoch or at an epoch's end."""
    if adapter.image_size is None:
        adapter.image_size = ctx.spec.image_size or default_image_size(adapter.model_name)
    if ctx.resume_state is not None or ctx.init_weights is not None:
        # The checkpoint's weights replace pretrained ones: they are not looked for again.
        adapter.advanced_config = {**adapter.advanced_config, "pretrained": False}
    run = TimmRun(adapter, ctx)
    if adapter.weights_note:
        ctx.reporter.info(adapter.weights_note)
    check_image_size(run.model, adapter.image_size, adapter.model_name)
    if ctx.resume_state is not None:
        run.restore(ctx.resume_state)
    elif ctx.init_weights is not None:
        run.load_init_weights(ctx.init_weights)
    epoch = run.start_epoch
    while epoch <= run.num_epochs:
        train_loss, stopped = run.train_epoch(epoch)
        if stopped is not None:
            run.save(epoch=epoch - 1, is_best=False, partial=stopped)
            return FitOutcome(
                completed=False,
                last_epoch=epoch - 1,
                best_metric=run.best_metric,
                stop_reason=ctx.stop.stop_reason(),
            )
        row = run.end_epoch(epoch, train_loss)
        reason = ctx.stop.stop_reason()
        fits = ctx.stop.next_epoch_fits(row["epoch_seconds"])
        stop = epoch < run.num_epochs and (reason is not None or not fits)
        if stop and run.saved_epoch != epoch:  # skipped by save_period: a stop always saves
            run.save(epoch=epoch, is_best=False)
        run.report(row)
        if stop:
            return FitOutcome(
                completed=False,
                last_epoch=epoch,
                best_metric=run.best_metric,
                stop_reason=reason or "deadline",
            )
        epoch += 1
    return FitOutcome(completed=True, last_epoch=run.num_epochs, best_metric=run.best_metric)
