"""simulate()'s argument checks: each returns the argument in the form the backends take, or raises a
ValueError that names what is valid."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from ..optimizers import RULES, resolve_hyperparams
from ..surfaces import Surface, get_surface
from .step import NO_CLIP, no_noise


def check_surface(surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str):
        return get_surface(surface)
    raise ValueError(f"surface must be a Surface or a built-in surface name, got {type(surface).__name__}")


def check_optimizers(optimizers) -> list[tuple[str, dict]]:
    """(name, hyperparameters) pairs, each with every hyperparameter resolved (torch's defaults)."""
    if (
        isinstance(optimizers, str | bytes | Mapping)
        or not isinstance(optimizers, Sequence)
        or not optimizers
    ):
        raise ValueError(
            "optimizers must be a non-empty sequence of (name, hyperparameters) pairs; "
            f"valid names: {', '.join(RULES)}"
        )
    configs = []
    for item in optimizers:
        if isinstance(item, str):
            name, hp = item, None
        elif isinstance(item, Sequence) and len(item) == 2:
            name, hp = item
        else:
            raise ValueError(f"each optimizer must be a (name, hyperparameters) pair, got {item!r}")
        configs.append((name, resolve_hyperparams(name, hp)))
    return configs


def check_starts(starts, box: float) -> np.ndarray:
    """Start points (M, 2) as floats, inside the divergence box."""
    try:
        points = np.array(starts, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("starts must be an array-like of shape (M, 2) of numbers") from None
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"starts must have shape (M, 2) with M ≥ 1, got shape {points.shape}")
    if not (np.abs(points) <= box).all():  # also rejects NaN
        raise ValueError(f"starts must be finite points within |x|, |y| ≤ {box:g}")
    return points


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be an integer ≥ 1, got {steps!r}")
    return int(steps)


def check_schedule(lr_schedule, steps: int) -> list[float] | None:
    """The lr multiplier of every step, or None for a constant lr."""
    if lr_schedule is None:
        return None
    if callable(lr_schedule):
        values = [lr_schedule(t) for t in range(steps)]
    else:
        values = lr_schedule
    try:
        multipliers = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("lr_schedule must give numbers (multipliers of each optimizer's lr)") from None
    if multipliers.shape != (steps,):
        raise ValueError(
            f"lr_schedule must give one multiplier per step: shape ({steps},), got {multipliers.shape}"
        )
    if not (np.isfinite(multipliers).all() and (multipliers >= 0).all()):
        raise ValueError("lr_schedule multipliers must be finite and ≥ 0")
    return multipliers.tolist()


def gradient_noise(grad_noise, seed, n_starts: int, steps: int) -> np.ndarray:
    """σ · default_rng(seed).standard_normal((M, steps, 2)), time-major (T, M, 2) as
    step.perturb_gradient takes it; step.no_noise(M) when σ = 0."""
    if (
        isinstance(grad_noise, bool)
        or not isinstance(grad_noise, numbers.Real)
        or not math.isfinite(grad_noise)
        or grad_noise < 0
    ):
        raise ValueError(f"grad_noise must be a finite number ≥ 0, got {grad_noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer ≥ 0, got {seed!r}")
    if grad_noise == 0:
        return no_noise(n_starts)
    noise = float(grad_noise) * np.random.default_rng(int(seed)).standard_normal((n_starts, steps, 2))
    return np.ascontiguousarray(noise.transpose(1, 0, 2))  # time-major: noise[t] is (M, 2)


def check_clip(clip_grad_norm) -> float:
    """The max_norm step.perturb_gradient takes: the number, or step.NO_CLIP for None."""
    if clip_grad_norm is None:
        return NO_CLIP
    if (
        isinstance(clip_grad_norm, bool)
        or not isinstance(clip_grad_norm, numbers.Real)
        or not math.isfinite(clip_grad_norm)
        or clip_grad_norm <= 0
    ):
        raise ValueError(f"clip_grad_norm must be None or a finite number > 0, got {clip_grad_norm!r}")
    return float(clip_grad_norm)
