"""The LR range test (Leslie Smith; the Keras notes' 1e-7 -> 1 sweep): raise the LR each step, watch the loss.

The LR grows exponentially, lr_i = start · (end / start)^(i / (steps − 1)), one mini-batch per step,
from fresh weights. The loss is smoothed with optim_core.smoothing.ema, the bias-corrected EMA
(β = 0.98, as in fast.ai: s_i = v_i / (1 − β^i), v_i = β v_(i−1) + (1 − β) loss_i), and the sweep stops
once the smoothed loss exceeds `diverge_factor` times its minimum (or is not finite).

Two suggestions, both returned:
* `suggested_lr`: where the smoothed loss falls fastest against log(lr) (steepest descent), searched
  before the minimum; the usual pick, in the middle of the useful range.
* `min_over_10`: the LR at the smoothed minimum divided by 10, the classic conservative rule.

Unlike the trainer, this loop reads the loss every step (`.item()`): it must stop the moment the
loss explodes, and it runs only ~100 steps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from optim_core.smoothing import ema
from optim_core.training.data.builtin import load_digits_dataset
from optim_core.training.data.dataset import ImageDataset
from optim_core.training.device import pick_device
from optim_core.training.model import SmallCNN
from optim_core.training.seeds import epoch_permutation
from optim_core.training.variants import make_optimizer


@dataclass(frozen=True)
class LRRangeResult:
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggested_lr: float  # steepest descent of the smoothed loss
    min_loss_lr: float  # LR at the smoothed minimum
    min_over_10: float
    diverged: bool  # the sweep stopped before end_lr

    def to_dict(self) -> dict:
        return asdict(self)


def exponential_lrs(start_lr: float, end_lr: float, steps: int) -> np.ndarray:
    if not 0 < start_lr < end_lr or steps < 2:
        raise ValueError(f"need 0 < start_lr < end_lr and steps >= 2, got {start_lr}, {end_lr}, {steps}")
    # lr_i = start · (end / start)^(i / (steps − 1))
    return start_lr * (end_lr / start_lr) ** (np.arange(steps) / (steps - 1))


def suggest(lrs: list[float], smoothed: list[float]) -> tuple[float, float]:
    """(steepest-descent LR, LR at the minimum) of a smoothed loss curve."""
    values = np.asarray(smoothed, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        raise ValueError("the loss was never finite; lower start_lr")
    best = int(np.nanargmin(np.where(finite, values, np.nan)))
    if best < 2:
        return lrs[best], lrs[best]
    # d(loss)/d(log lr), most negative before the minimum (fast.ai skips the noisy first points)
    slope = np.gradient(values[: best + 1], np.log(np.asarray(lrs[: best + 1])))
    skip = min(best // 10, 10)
    steepest = skip + int(np.argmin(slope[skip:]))
    return lrs[steepest], lrs[best]


def lr_range_test(
    data: ImageDataset | None = None,
    optimizer: str = "sgd",
    hp: dict | None = None,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 1.0,
    steps: int = 100,
    batch_size: int = 64,
    beta: float = 0.98,
    diverge_factor: float = 4.0,
    seed: int = 0,
    width: float = 1.0,
    batch_norm: bool = True,
    device: str = "auto",
) -> LRRangeResult:
    dev = pick_device(device)
    data = (data or load_digits_dataset()).to(dev)
    schedule = exponential_lrs(start_lr, end_lr, steps)
    torch.manual_seed(seed)
    model = SmallCNN(data.input_shape, data.n_classes, width=width, batch_norm=batch_norm).to(dev)
    # constructed with a placeholder LR (the hyperparameter check stops at 1e-6); each step sets its own
    opt = make_optimizer(optimizer, model.parameters(), {**(hp or {}), "lr": 1e-3})
    n = len(data.y_train)
    batch_size = min(batch_size, n)
    per_epoch = n // batch_size  # full batches only: every step sees the same amount of data
    lrs, losses, smoothed, diverged = [], [], [], False
    order = epoch_permutation(seed, 0, n).to(dev)
    for i, lr in enumerate(schedule):
        epoch, k = divmod(i, per_epoch)
        if k == 0 and epoch > 0:  # each epoch its own order
            order = epoch_permutation(seed, epoch, n).to(dev)
        idx = order[k * batch_size : (k + 1) * batch_size]
        for group in opt.param_groups:
            group["lr"] = float(lr)
        loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lrs.append(float(lr))
        losses.append(loss.item())
        # $s_t = v_t / (1 - \beta^t)$, $v_t = \beta v_{t-1} + (1 - \beta) \ell_t$ with t = i + 1 (ema counts
        # finite points only, and the sweep stops at the first loss that is not finite)
        smoothed = ema(losses, beta).tolist()
        if not math.isfinite(smoothed[-1]) or smoothed[-1] > diverge_factor * min(smoothed):
            diverged = i < steps - 1
            break
    steepest, at_min = suggest(lrs, smoothed)
    return LRRangeResult(
        lrs=lrs,
        losses=losses,
        smoothed=smoothed,
        suggested_lr=steepest,
        min_loss_lr=at_min,
        min_over_10=at_min / 10,
        diverged=diverged,
    )
