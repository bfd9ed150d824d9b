"""What the EMA page computes (no widgets drawn here): a series smoothed for one β, and one optimizer run
on a surface with the moment buffers it kept (the saved runs whose training loss it can smooth:
app/shared/saved_runs.py, one home with the Schedules page).

Runs and reads are cached on plain, hashable data, so every session reuses them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from app.shared.simulation_cache import NOISE_MODES, typical_gradient
from optim_core.series import load_csv_series
from optim_core.simulation import Trajectory, simulate
from optim_core.smoothing import bias_region, effective_window, ema, sma
from optim_core.surfaces import get_surface


def sma_window(beta: float) -> int:
    """The SMA window that matches the EMA: round(1/(1−β)) points."""
    return max(1, round(effective_window(beta)))


@dataclass(frozen=True)
class Smoothed:
    """A series and everything the page draws from it for one β."""

    values: np.ndarray
    beta: float
    ema: np.ndarray  # v_t, from v_0 = 0 (biased towards 0 early on)
    ema_hat: np.ndarray  # v̂_t = v_t / (1 − β^t)
    sma: np.ndarray
    window: int  # the SMA window
    bias_steps: int  # steps 1..bias_steps are shaded


def smooth(values, beta: float) -> Smoothed:
    values = np.asarray(values, dtype=float)
    return Smoothed(
        values=values,
        beta=beta,
        ema=ema(values, beta, debias=False),
        ema_hat=ema(values, beta),
        sma=sma(values, sma_window(beta)),
        window=sma_window(beta),
        bias_steps=bias_region(beta),
    )


@lru_cache(maxsize=4)
def read_csv(data: bytes) -> pd.DataFrame:
    """An uploaded file's numeric columns (SeriesError where it holds no series; do not change the
    result, it is cached)."""
    return load_csv_series(data)


def finite_and_infinite(values: np.ndarray) -> tuple[int, int]:
    """How many of an uploaded column's values are finite, and how many are ±inf (the averages skip
    them, as they skip blank cells; a chart cannot draw them)."""
    return int(np.isfinite(values).sum()), int(np.isinf(values).sum())


@lru_cache(maxsize=32)
def run_one(surface_name: str, optimizer: str, lr: float, steps: int, noise: str) -> Trajectory:
    """One optimizer from the surface's start, with the page's gradient noise (seed 0)."""
    surface = get_surface(surface_name)
    sigma = NOISE_MODES[noise] * typical_gradient(surface)
    return simulate(surface, [(optimizer, {"lr": lr})], [surface.start], steps, grad_noise=sigma, seed=0)


@dataclass(frozen=True)
class Moments:
    """One axis of one optimizer run, step t = 1..steps: the gradient and the moment buffers the rule kept.

    m and v are what the rule recorded; m̂ and v̂ are computed here by the same division Adam does,
    m̂_t = m_t / (1 − β₁ᵗ), v̂_t = v_t / (1 − β₂ᵗ). v is None for rules without a second moment.
    """

    g: np.ndarray
    m: np.ndarray
    m_hat: np.ndarray
    beta1: float
    v: np.ndarray | None = None
    v_hat: np.ndarray | None = None
    beta2: float | None = None


def moment_betas(hp: dict) -> tuple[float, float | None]:
    """β₁ (and β₂ where the rule has one) of a resolved hyperparameter dict: Adam's betas, or the EMA
    momentum's beta."""
    if "betas" in hp:
        return float(hp["betas"][0]), float(hp["betas"][1])
    return float(hp["beta"]), None


def _debiased(buffer: np.ndarray, beta: float) -> np.ndarray:
    t = np.arange(1, buffer.size + 1, dtype=float)
    if beta == 0.0:
        return buffer.copy()
    # \hat m_t = m_t / (1 - β^t), with 1 - β^t = -expm1(t ln β) accurate for β near 1
    return buffer / -np.expm1(t * math.log(beta))


def moments(traj, opt: int, axis: int, hp: dict) -> Moments:
    """The moments of run (opt, start 0) along `axis` (0 = x, 1 = y), from a Trajectory's records."""
    beta1, beta2 = moment_betas(hp)
    g = np.asarray(traj.grad[opt, 0, :, axis], dtype=float)
    m = np.asarray(traj.momentum[opt, 0, :, axis], dtype=float)
    if beta2 is None:
        return Moments(g=g, m=m, m_hat=_debiased(m, beta1), beta1=beta1)
    v = np.asarray(traj.second_moment[opt, 0, :, axis], dtype=float)
    return Moments(
        g=g, m=m, m_hat=_debiased(m, beta1), beta1=beta1, v=v, v_hat=_debiased(v, beta2), beta2=beta2
    )


def ema_gap(mo: Moments) -> float:
    """The largest difference between a recorded buffer and optim_core.smoothing's EMA of its input,
    relative to the buffer's size: how exactly "m is the EMA of g" (and v of g²) holds for this run.

    Only the steps before the first non-finite gradient count (after a divergence both sides are NaN).
    """
    finite = np.isfinite(mo.g)
    k = int(np.argmin(finite)) if not finite.all() else mo.g.size
    pairs = [(mo.g[:k], mo.m[:k], mo.beta1)]
    if mo.v is not None:
        pairs.append((mo.g[:k] ** 2, mo.v[:k], mo.beta2))
    gap = 0.0
    for raw, buffer, beta in pairs:
        if buffer.size == 0:
            continue
        scale = float(np.max(np.abs(buffer))) or 1.0
        gap = max(gap, float(np.max(np.abs(ema(raw, beta, debias=False) - buffer))) / scale)
    return gap
