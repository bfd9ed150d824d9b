"""What the pages know about each optimizer beyond its rule: default slots and teaching learning rates."""

from __future__ import annotations

import numpy as np

from app.shared.settings import log_grid
from optim_core.optimizers import RULES

DEFAULT_SLOTS = ("sgd", "momentum", "rmsprop", "adam", "adamw", "nadam")
# Teaching LRs for a view 4 units wide: on the default saddle, SGD lingers ~120 steps, Adam leaves in ~40.
PAGE_LR = {
    "sgd": 0.02,
    "momentum": 0.005,
    "nesterov": 0.005,
    "momentum_ema": 0.02,
    "adagrad": 0.1,
    "rmsprop": 0.01,
    "rmsprop_eps_inside": 0.01,
    "adadelta": 1.0,
    "adam": 0.02,
    "adamw": 0.02,
    "amsgrad": 0.02,
    "adam_no_bias_correction": 0.02,
    "nadam": 0.02,
    "radam": 0.02,
    "adamax": 0.02,
}
# Gradient steps are stable below 2/L (L the largest curvature): the plain-gradient family is capped at
# a fraction of 1/L, so a default never diverges on a steep surface. Momentum μ=0.9 multiplies the
# effective step by 1/(1−μ) = 10, hence its smaller cap.
CURVATURE_CAP = {"sgd": 0.3, "momentum_ema": 0.3, "momentum": 0.05, "nesterov": 0.05}
# Adaptive methods step about lr per axis, so their LR scales with the width of the view.
SCALE_FREE = {"adadelta"}
LR_RANGE = (1e-4, 10.0)


def slot_optimizer(slot: int) -> str:
    return DEFAULT_SLOTS[(slot - 1) % len(DEFAULT_SLOTS)]


def default_lr(name: str, scales: tuple[float, float]) -> float:
    """A learning rate that makes a good picture on this surface, on the slider's log grid."""
    curvature, width = scales
    lr = PAGE_LR.get(name, RULES[name].defaults.get("lr", 0.01))
    if name in CURVATURE_CAP:
        lr = min(lr, CURVATURE_CAP[name] / curvature)
    elif name not in SCALE_FREE:
        lr *= width / 4.0
    grid = log_grid(*LR_RANGE)
    return min(grid, key=lambda g: abs(np.log(g) - np.log(lr)))
