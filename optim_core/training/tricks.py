"""The run's tricks, resolved for one lane: its LR function (warmup, then the schedule, or
ReduceLROnPlateau fed the lane's validation loss each epoch), where its weight decay goes, and its EMA
of the weights.

They are applied in lanes.LaneGroup.optimizer_step, beside gradient clipping, in the order torch's
loop would apply them: clip, set the LR, L2 or decoupled decay, the optimizer's step, the EMA update.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from optim_core.schedules import PLATEAU, reduce_lr_on_plateau
from optim_core.training.config import schedule_kwargs_for
from optim_core.training.metrics import MetricRow
from optim_core.training.variants import has_weight_decay

if TYPE_CHECKING:
    from optim_core.training.config import RunConfig


class PlateauLR:
    """(optimizer step, 1-based epoch) -> LR for schedule="reduce_lr_on_plateau": a linear warmup over
    warmup_steps, then the LR torch's ReduceLROnPlateau holds after the validation losses seen so far.

    The trainer calls `observe(val_loss)` once per epoch, as torch's loop calls scheduler.step(val_loss).
    Its whole state is the list of losses observed: the LR is schedules.reduce_lr_on_plateau (the one
    home of the plateau rule, equal to torch's) replayed over them, so a run resumed from a checkpoint
    rebuilds it bit for bit from the metric history (`replay_plateaus`). A cut during the warmup lowers
    the LR the warmup climbs to.
    """

    def __init__(self, base_lr: float, warmup_steps: int, kwargs: dict):
        self.base_lr, self.warmup, self.kwargs = base_lr, warmup_steps, dict(kwargs)
        self.val_losses: list[float] = []
        self.lr = base_lr  # the plateau's LR for the next epoch

    def observe(self, val_loss: float) -> None:
        self.restore([*self.val_losses, float(val_loss)])

    def restore(self, val_losses: list[float]) -> None:
        self.val_losses = [float(v) for v in val_losses]
        # element k of the curve is the LR before the k-th scheduler.step(): the last is after them all
        curve = reduce_lr_on_plateau([*self.val_losses, 0.0], lr=self.base_lr, **self.kwargs)
        self.lr = float(curve[-1])

    def __call__(self, step: int, epoch: int) -> float:
        if step < self.warmup:
            # lr_t = lr · (t + 1) / warmup, as make_lr_fn's warmup
            return self.lr * (step + 1) / self.warmup
        return self.lr


def replay_plateaus(lanes, history: list[MetricRow]) -> None:
    """Rebuild each lane's PlateauLR from the validation losses in a restored metric history."""
    for lane in lanes:
        if isinstance(lane.lr_at, PlateauLR):
            rows = sorted(
                (row.epoch, row.value)
                for row in history
                if row.optimizer == lane.label and row.name == "val_loss"
            )
            lane.lr_at.restore([value for _, value in rows])


def make_lr_fn(config: RunConfig, base_lr: float, steps_per_epoch: int) -> Callable[[int, int], float]:
    """(optimizer step, 1-based epoch) -> LR: linear warmup over warmup_steps, then the schedule.

    The schedule (optim_core.schedules.schedule_fn) gets the lane's own LR as `lr`, and counts steps
    after the warmup (or epochs, with schedule_unit="epoch"). A schedule that needs T_max and was
    given none anneals over the whole run. ReduceLROnPlateau is a PlateauLR, which the trainer feeds.
    """
    warmup = config.warmup_steps
    if config.schedule == PLATEAU.name:
        return PlateauLR(base_lr, warmup, config.schedule_kwargs)
    schedule = None
    if config.schedule is not None:
        from optim_core.schedules import schedule_fn

        length = (
            config.epochs if config.schedule_unit == "epoch" else config.epochs * steps_per_epoch - warmup
        )
        schedule = schedule_fn(
            config.schedule,
            lr=base_lr,
            **schedule_kwargs_for(config.schedule, config.schedule_kwargs, length),
        )
    per_epoch = config.schedule_unit == "epoch"

    def lr_at(step: int, epoch: int) -> float:
        if step < warmup:
            # lr_t = lr_0 · (t + 1) / warmup: never zero, reaches lr_0 at the end of the warmup
            return (schedule(0) if schedule is not None else base_lr) * (step + 1) / warmup
        if schedule is None:
            return base_lr
        return schedule(epoch - 1 if per_epoch else step - warmup)

    return lr_at


def route_weight_decay(config: RunConfig, optimizer: str, hp: dict) -> tuple[dict, float, float]:
    """(the optimizer's hyperparameters, λ the trainer adds as L2, λ the trainer decays decoupled).

    When the run sets a weight decay it is the only one: the optimizer's own (AdamW's default 0.01)
    would add a second, hidden decay. L2 goes into optimizers whose weight_decay is L2; the trainer
    adds λθ to the gradient for the rest (the variants, and AdamW / decoupled NAdam and RAdam, whose
    own weight_decay is decoupled). Decoupled mode shrinks θ before every step. Without a run-level
    decay each lane keeps its own hyperparameters, as torch would.
    """
    hp = dict(hp)
    wd, l2_by_trainer, decoupled = config.weight_decay, 0.0, 0.0
    takes_wd = has_weight_decay(optimizer)
    own_is_decoupled = optimizer == "adamw" or bool(hp.get("decoupled_weight_decay"))
    if wd and takes_wd:
        hp["weight_decay"] = 0.0
    if wd and config.weight_decay_mode == "decoupled":
        decoupled = wd
    elif wd and takes_wd and not own_is_decoupled:
        hp["weight_decay"] = wd
    elif wd:
        l2_by_trainer = wd
    return hp, l2_by_trainer, decoupled


def make_weight_ema(model: torch.nn.Module, decay: float | None) -> AveragedModel | None:
    """An EMA of a copy of model's weights and buffers (torch's AveragedModel), or None without a decay."""
    if decay is None:
        return None
    return AveragedModel(copy.deepcopy(model), multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
