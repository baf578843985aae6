"""The timm training loop: exact-resume data order, timm factories, checkpoint every epoch."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import timm
import torch
import torchvision.transforms as T
from PIL import Image
from timm.data import Mixup, create_transform
from timm.loss import SoftTargetCrossEntropy
from timm.optim import create_optimizer_v2
from timm.scheduler import create_scheduler_v2
from torch.utils.data import DataLoader, Dataset

from vision_platform.adapters.base import FitOutcome, RunContext
from vision_platform.errors import ConfigValidationError

if TYPE_CHECKING:
    from vision_platform.adapters.timm_adapter import TimmAdapter

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def open_rgb(path: str | Path) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("RGB")


def create_model(
    model_name: str,
    *,
    num_classes: int,
    image_size: int | None,
    drop_rate: float,
    pretrained_file: Path | None,
) -> torch.nn.Module:
    """A timm model; weights come only from `pretrained_file`, never from a hub."""
    kwargs: dict[str, Any] = {"num_classes": num_classes, "drop_rate": drop_rate}
    if pretrained_file is not None:
        kwargs.update(pretrained=True, pretrained_cfg_overlay={"file": str(pretrained_file)})
    try:
        # Vision transformers need the input size at construction; CNNs reject the argument.
        return timm.create_model(model_name, img_size=image_size, **kwargs)
    except TypeError:
        return timm.create_model(model_name, **kwargs)


def default_image_size(model_name: str) -> int:
    cfg = timm.models.get_pretrained_cfg(model_name)
    size = getattr(cfg, "input_size", None) if cfg is not None else None
    return int(size[-1]) if size else 224


def eval_transform(image_size: int | None) -> Any:
    return create_transform(image_size or 224, is_training=False, crop_pct=1.0, mean=MEAN, std=STD)


def train_transform(image_size: int, config: dict[str, Any]) -> Any:
    if not config["aug_enabled"]:
        return eval_transform(image_size)
    tf = create_transform(
        image_size,
        is_training=True,
        scale=(config["crop_scale_min"], 1.0),
        hflip=0.5 if config["random_flip"] else 0.0,
        color_jitter=config["color_jitter"] or None,  # type: ignore[arg-type]
        mean=MEAN,
        std=STD,
    )
    if config["random_rotation"]:
        tf.transforms.insert(1, T.RandomRotation(config["random_rotation"]))
    return tf


class ImageList(Dataset[tuple[torch.Tensor, int]]):
    """(path, label) samples read with PIL and transformed."""

    def __init__(self, samples: list[tuple[str, int]], transform: Any) -> None:
        self.samples = samples
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        return self.transform(open_rgb(path)), label


def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch) % (2**31 - 1)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    np_state: Any = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": {
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    npst = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            npst["keys"].numpy().astype(np.uint32),
            npst["pos"],
            npst["has_gauss"],
            npst["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])


def epoch_order(num_samples: int, seed: int, epoch: int) -> list[int]:
    """The training order of one epoch, a function of (seed, epoch) only, so resume replays it."""
    gen = torch.Generator().manual_seed(epoch_seed(seed, epoch))
    return torch.randperm(num_samples, generator=gen).tolist()


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

    def __init__(self, adapter: TimmAdapter, ctx: RunContext) -> None:
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

    def save(self, *, epoch: int, is_best: bool, partial: Partial | None = None) -> None:
        state = self.adapter.checkpoint_state(
            epoch=epoch,
            num_epochs=self.num_epochs,
            seed=self.ctx.seed,
            best_metric=self.best_metric,
            best_metric_name="val_acc",
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            scaler=self.scaler.state_dict() if self.amp else None,
            rng=rng_state(),
            partial=partial.__dict__ if partial else None,
            spec=self.ctx.spec.model_dump(mode="json"),
        )
        self.ctx.checkpoints.save(state, epoch=epoch, is_best=is_best)

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


def fit(adapter: TimmAdapter, ctx: RunContext) -> FitOutcome:
    """Train epochs until done or stopped; checkpoint every epoch, and on a stop mid-epoch."""
    if adapter.image_size is None:
        adapter.image_size = ctx.spec.image_size or default_image_size(adapter.model_name)
    run = TimmRun(adapter, ctx)
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
        t_eval = time.perf_counter()
        metrics = run.evaluate()
        lr = run.optimizer.param_groups[0]["lr"]
        if run.scheduler is not None:
            run.scheduler.step(epoch, metrics["val_acc"])
        is_best = run.best_metric is None or metrics["val_acc"] > run.best_metric
        if is_best:
            run.best_metric = metrics["val_acc"]
        t_save = time.perf_counter()
        run.save(epoch=epoch, is_best=is_best)
        t_end = time.perf_counter()
        epoch_seconds = run.epoch_train_seconds + t_end - t_eval
        ctx.reporter.epoch_finished(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                **metrics,
                "lr": lr,
                "epoch_seconds": round(epoch_seconds, 3),
                "checkpoint_seconds": round(t_end - t_save, 3),
            }
        )
        reason = ctx.stop.stop_reason()
        if epoch < run.num_epochs and (reason or not ctx.stop.next_epoch_fits(epoch_seconds)):
            return FitOutcome(
                completed=False,
                last_epoch=epoch,
                best_metric=run.best_metric,
                stop_reason=reason or "deadline",
            )
        epoch += 1
    return FitOutcome(completed=True, last_epoch=run.num_epochs, best_metric=run.best_metric)


ONNX_TOLERANCE = 1e-4  # max |logit difference| allowed between ONNX Runtime and PyTorch


def export_onnx(
    model: torch.nn.Module, output: Path, *, image_size: int, metadata: dict[str, str]
) -> Path:
    """Export a classifier to ONNX (dynamic batch), store metadata, check it against PyTorch."""
    import warnings

    import onnx
    import onnxruntime as ort

    model = model.eval()
    dummy = torch.randn(2, 3, image_size, image_size)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    with warnings.catch_warnings():
        # The TorchScript exporter needs no extra packages; the dynamo one needs onnxscript.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            input_names=["images"],
            output_names=["logits"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
        )
    proto = onnx.load(str(tmp))
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(tmp))
    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        expected = model(dummy).numpy()
    got = session.run(None, {"images": dummy.numpy()})[0]
    diff = float(np.abs(got - expected).max())
    if diff > ONNX_TOLERANCE:
        raise RuntimeError(f"ONNX export differs from PyTorch by {diff:.2e} (> {ONNX_TOLERANCE})")
    tmp.replace(output)
    return output
