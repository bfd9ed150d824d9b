"""The Playground's default slots and the learning rate each optimizer starts with on a surface.

The facts per optimizer (teaching LR, curvature cap, scale-free) live in `optim_core.optimizers.catalog`.
"""

from __future__ import annotations

import numpy as np

from app.shared.settings import log_grid
from optim_core.optimizers.catalog import CATALOG

DEFAULT_SLOTS = ("sgd", "momentum", "rmsprop", "adam", "adamw", "nadam")
LR_RANGE = (1e-4, 10.0)


def slot_optimizer(slot: int) -> str:
    return DEFAULT_SLOTS[(slot - 1) % len(DEFAULT_SLOTS)]


def default_lr(name: str, scales: tuple[float, float]) -> float:
    """A learning rate that makes a good picture on this surface, on the slider's log grid."""
    curvature, width = scales
    facts = CATALOG[name]
    lr = facts.playground_lr
    if facts.curvature_cap is not None:
        lr = min(lr, facts.curvature_cap / curvature)
    elif not facts.scale_free:
        # adaptive methods step about lr per axis, so their LR scales with the width of the view
        lr *= width / 4.0
    grid = log_grid(*LR_RANGE)
    return min(grid, key=lambda g: abs(np.log(g) - np.log(lr)))
