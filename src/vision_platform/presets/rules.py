"""The resolution rules every framework shares, finding their fields by concept."""

from __future__ import annotations

import math

from vision_platform.configs import Concept
from vision_platform.presets.model import DEFAULT_WARMUP_SHARE, Draft, Rule, shown

# Augmentations that regularise strongly: they cost accuracy on runs too short to profit.
HEAVY_AUGMENTATIONS: tuple[Concept, ...] = ("mixup", "cutmix", "copy_paste", "rotation")
# The learning rates each optimizer family is usually run with; far outside (x10) is refused.
USUAL_LEARNING_RATES: dict[str, tuple[float, float]] = {
    "sgd": (1e-4, 0.5),
    "adam": (1e-5, 1e-2),
    "adamw": (1e-5, 1e-2),
    "rmsprop": (1e-5, 1e-2),
}
_ADAPTIVE = ("adam", "adamw", "rmsprop")  # their rate scales with √batch; SGD's linearly
_FAR = 10.0
# Random crops keep at least this share of the image on short runs, the nominal share from
# CROP_FULL_EPOCHS: tight crops regularise, which a run of a few epochs cannot afford.
LIGHT_CROP = 0.8
CROP_EPOCHS = (5, 20)
# Accumulating gradients (a nominal batch) is undone when fewer updates a epoch would be left.
_MIN_UPDATES_PER_EPOCH = 10
# SGD needs many steps: Ultralytics' own optimizer=auto takes it only past 10,000 iterations.
SGD_MIN_STEPS = 10_000


def _scaled_rate(rate: float, optimizer: str, batch: float, reference: int) -> float:
    ratio = batch / reference
    scaled = rate * (math.sqrt(ratio) if optimizer.lower() in _ADAPTIVE else ratio)
    return float(f"{scaled:.2g}")


def _effective_batch(draft: Draft) -> float:
    """The batch an optimizer step sees: the nominal batch when gradients are accumulated."""
    return draft.run.batch_size * _accumulated(draft)


def nominal_batch_within_data(draft: Draft) -> None:
    """Accumulating gradients up to a nominal batch is undone when it would leave too few
    updates an epoch (a small data set), else the run barely trains."""
    spec, per_epoch = draft.field_for("nominal_batch"), draft.run.batches_per_epoch
    if spec is None or per_epoch is None:
        return
    accumulate = _accumulated(draft)
    updates = math.ceil(per_epoch) / accumulate
    if accumulate == 1 or updates >= _MIN_UPDATES_PER_EPOCH:
        return
    reason = (
        f"{draft.run.train_images} training images: accumulating {accumulate} batches a step "
        f"would leave {updates:.3g} updates an epoch"
    )
    if draft.user_set(spec.name):
        draft.notes.append(f"{spec.name}={draft.config[spec.name]}: {reason}")
        return
    draft.adapt(spec.name, draft.run.batch_size, reason)


def _accumulated(draft: Draft) -> int:
    nominal = draft.field_for("nominal_batch")
    if nominal is None:
        return 1
    return max(round(draft.config[nominal.name] / draft.run.batch_size), 1)


def sgd_only_for_long_runs(draft: Draft) -> None:
    """A preset's SGD becomes AdamW when the run makes too few optimizer steps for SGD to
    converge (from random weights 20 epochs of 10 steps reached mAP50 0.44 with SGD, 0.95
    with AdamW on the shapes set); the rate then comes from `short_run_learning_rate`."""
    intent, opt = draft.intent, draft.field_for("optimizer")
    per_epoch = draft.run.batches_per_epoch
    if intent is None or intent.short_run_learning_rate is None or opt is None:
        return
    if (
        draft.user_set(opt.name)
        or per_epoch is None
        or str(draft.config[opt.name]).lower() != "sgd"
    ):
        return
    steps = math.ceil(math.ceil(per_epoch) / _accumulated(draft)) * draft.run.num_epochs
    adamw = next((o for o in opt.options or () if str(o).lower() == "adamw"), None)
    if steps >= SGD_MIN_STEPS or adamw is None:
        return
    reason = (
        f"the run makes {steps:,} optimizer steps; SGD pays off from about "
        f"{SGD_MIN_STEPS:,} (as in Ultralytics' own optimizer=auto)"
    )
    draft.adapt(opt.name, adamw, reason)


def learning_rate_for_start(draft: Draft) -> None:
    """The preset's learning rate for the run's start (random or pretrained weights), scaled
    to its batch: √ for adaptive optimizers, linearly for SGD."""
    intent, spec, opt = draft.intent, draft.field_for("learning_rate"), draft.field_for("optimizer")
    if intent is None or intent.learning_rate is None or spec is None or opt is None:
        return
    if draft.user_set(spec.name) or draft.user_set(opt.name):  # a rate for another optimizer
        return
    start = "pretrained" if draft.from_weights else "random"
    switched = any(a.field == opt.name for a in draft.adjustments)  # sgd_only_for_long_runs
    rates = intent.short_run_learning_rate if switched else intent.learning_rate
    rate = (rates or intent.learning_rate)[1 if draft.from_weights else 0]
    optimizer = str(draft.config[opt.name])
    batch = _effective_batch(draft)
    value = _scaled_rate(rate, optimizer, batch, intent.reference_batch)
    scaling = (
        f"; {'√' if optimizer.lower() in _ADAPTIVE else 'linearly '}scaled from batch "
        f"{intent.reference_batch} to {batch:g}"
        if batch != intent.reference_batch
        else ""
    )
    draft.adapt(spec.name, value, f"the rate for {optimizer} from {start} weights{scaling}")


def warmup_within_run(draft: Draft) -> None:
    """Warm-up takes a share of the run at most; a warm-up the user set that lasts the whole
    run is refused (the rate would never leave it)."""
    spec = draft.field_for("warmup_epochs")
    if spec is None:
        return
    value, epochs = draft.config[spec.name], draft.run.num_epochs
    if draft.user_set(spec.name):
        if value >= epochs:
            draft.refuse(
                [spec.name, "num_epochs"],
                f"warm-up of {shown(value)} epochs is not shorter than the run's {epochs}: "
                "the learning rate would never leave warm-up",
            )
        return
    share = draft.intent.warmup_share if draft.intent is not None else DEFAULT_WARMUP_SHARE
    cap = share * epochs
    cap = math.floor(cap) if spec.type == "int" else round(cap, 2)
    if value > cap:
        draft.adapt(
            spec.name,
            cap,
            f"the run has {epochs} epochs; warm-up is kept to {share:.0%} of a run",
        )


def heavy_augmentation_for_length(draft: Draft) -> None:
    """Heavy augmentation off for runs too short to profit, eased in up to its full length."""
    intent = draft.intent
    if intent is None or intent.heavy_augmentation_epochs is None:
        return
    low, full = intent.heavy_augmentation_epochs
    epochs = draft.run.num_epochs
    if epochs >= full:
        return
    strength = max(0.0, (epochs - low) / (full - low))
    how = "off below" if strength == 0 else "eased in from"
    reason = (
        f"the run has {epochs} epochs; heavy augmentation pays off from about {full} ({how} {low})"
    )
    for concept in HEAVY_AUGMENTATIONS:
        spec = draft.field_for(concept)
        if spec is None or draft.user_set(spec.name) or not draft.config[spec.name]:
            continue
        nominal = draft.config[spec.name]
        if spec.type == "bool":
            draft.adapt(spec.name, strength >= 0.5, reason)
        elif spec.type == "int":
            draft.adapt(spec.name, round(nominal * strength), reason)
        else:
            draft.adapt(spec.name, round(nominal * strength, 3), reason)


def crops_for_length(draft: Draft) -> None:
    """Random crops as tight as the nominal ones only on runs long enough to profit; lighter
    (eased from LIGHT_CROP) on shorter ones."""
    spec = draft.field_for("crop_scale")
    if spec is None or draft.user_set(spec.name):
        return
    nominal, epochs = draft.config[spec.name], draft.run.num_epochs
    short, full = CROP_EPOCHS
    if nominal >= LIGHT_CROP or epochs >= full:
        return
    strength = max(0.0, (epochs - short) / (full - short))
    draft.adapt(
        spec.name,
        round(LIGHT_CROP - (LIGHT_CROP - nominal) * strength, 2),
        f"the run has {epochs} epochs; crops this tight pay off from about {full}",
    )


def step_within_run(draft: Draft) -> None:
    """A step schedule whose first decay lies beyond the run never decays."""
    spec = draft.field_for("step_size")
    if spec is None:
        return
    value, epochs = draft.config[spec.name], draft.run.num_epochs
    if value < epochs:
        return
    problem = f"the run has {epochs} epochs; a step of {value} would never decay the rate"
    if draft.user_set(spec.name):
        draft.refuse([spec.name, "num_epochs"], problem)
    else:
        draft.adapt(spec.name, max(1, epochs // 3), problem)


def learning_rate_in_usual_range(draft: Draft) -> None:
    """A learning rate the user set far outside its optimizer's usual range is refused;
    outside it, noted."""
    spec, opt = draft.field_for("learning_rate"), draft.field_for("optimizer")
    if spec is None or opt is None or not draft.user_set(spec.name):
        return
    optimizer = str(draft.config[opt.name])
    usual = USUAL_LEARNING_RATES.get(optimizer.lower())
    if usual is None:
        return
    low, high = usual
    rate = draft.config[spec.name]
    text = f"{shown(rate)} is outside the usual range of {optimizer} ({low:g} – {high:g})"
    if rate > high * _FAR or rate < low / _FAR:
        draft.refuse([spec.name, opt.name], f"{text} by more than {_FAR:g}x")
    elif not low <= rate <= high:
        draft.notes.append(f"{spec.name}: {text}")


COMMON_RULES: tuple[Rule, ...] = (
    nominal_batch_within_data,  # before the learning rate: it decides the effective batch
    sgd_only_for_long_runs,  # before the learning rate: it may change the optimizer
    learning_rate_for_start,
    warmup_within_run,
    heavy_augmentation_for_length,
    crops_for_length,
    step_within_run,
    learning_rate_in_usual_range,
)
