r"""Exponential and simple moving averages of a 1-D series, and the numbers that explain them.

The exponential moving average (EMA) of a series :math:`\theta_1, \theta_2, \dots` is

.. math::

    v_0 = 0, \qquad v_t = \beta\, v_{t-1} + (1-\beta)\, \theta_t,

so :math:`v_t = (1-\beta) \sum_{j \le t} \beta^{t-j} \theta_j`: the weights decay geometrically, sum to
:math:`1-\beta^t`, and average over roughly the last :math:`1/(1-\beta)` points. Because :math:`v_0 = 0`
the early :math:`v_t` are biased towards 0 (a constant series c gives :math:`(1-\beta^t)\,c`). The
debiased EMA divides the bias out:

.. math::

    \hat v_t = \frac{v_t}{1-\beta^t}.

Non-finite points (NaN, ±inf) pass through unchanged and do not enter the average, and :math:`t` counts
only the finite points so far. That is TensorBoard's scalar smoothing, which `ema(..., debias=True)`
equals; `debias=False` is the course-notes form (Andrew Ng, "Exponentially weighted averages").
Adam's bias correction :math:`\hat m_t = m_t / (1-\beta_1^t)` is the same division.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

# The formulas the EMA page shows, one per line; the docstrings above say the same.
EMA_LATEX: list[str] = [
    r"v_0 = 0, \qquad v_t = \beta\, v_{t-1} + (1-\beta)\,\theta_t",
    r"\hat v_t = \frac{v_t}{1-\beta^t}",
    r"\text{window} \approx \frac{1}{1-\beta}",
]

# bias_region's default: a step is "noticeably biased" while the un-debiased EMA of a constant input is
# more than 5 % below it.
BIAS_TOLERANCE = 0.05


def _check_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, Real) or not 0.0 <= float(beta) < 1.0:
        raise ValueError(f"beta must be a number in [0, 1), got {beta!r}")
    return float(beta)


def _as_series(values) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"values must be a 1-D series, got an array of shape {x.shape}")
    return x


def _check_count(name: str, n, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _geometric_scan(b: np.ndarray, a: float) -> np.ndarray:
    r"""Solve :math:`y_k = a\, y_{k-1} + b_k` (with :math:`y_{-1} = 0`) for all k at once.

    A Python loop is ~100x too slow for a page, and the closed form
    :math:`y_k = a^k \sum_j a^{-j} b_j` overflows / underflows once :math:`a^k` leaves the float range.
    Recursive doubling (a Hillis-Steele scan) needs only :math:`\log_2 n` vectorized passes, and its
    powers :math:`a^s` only shrink, so nothing overflows. After the pass with shift s each
    :math:`y_k` holds the sum over the last 2s inputs.
    """
    y = b.copy()
    shift, a_pow = 1, a
    # once a^s underflows to 0, further passes would add exactly 0
    while shift < y.size and a_pow != 0.0:
        # y_k <- y_k + a^s y_{k-s}   (the right side is evaluated into a temporary first)
        y[shift:] += a_pow * y[:-shift]
        shift, a_pow = 2 * shift, a_pow * a_pow
    return y


def ema(values, beta: float, *, debias: bool = True) -> np.ndarray:
    r"""The exponential moving average of a 1-D series, as TensorBoard smooths a scalar.

    .. math::

        v_t = \beta\, v_{t-1} + (1-\beta)\,\theta_t, \qquad
        \hat v_t = \frac{v_t}{1-\beta^t} \quad (\text{debias=True})

    Args:
        values: a 1-D array-like of numbers. NaN and ±inf are copied to the output unchanged and skipped
            by the average; t counts the finite points only.
        beta: the decay, in [0, 1). beta = 0 returns the values themselves.
        debias: divide by :math:`1-\beta^t` (TensorBoard, Adam). False keeps :math:`v_0 = 0` and shows
            the early bias towards 0, as in the course notes.

    Returns:
        float64 array of the same shape. Empty input gives an empty array.

    Runs in O(n log n) vectorized work: 10^6 points take a few tens of milliseconds.
    """
    x = _as_series(values)
    beta = _check_beta(beta)
    out = x.copy()
    if beta == 0.0 or x.size == 0:
        return out
    finite = np.isfinite(x)
    theta = x[finite]
    if theta.size == 0:
        return out
    t = np.arange(1, theta.size + 1, dtype=np.float64)
    # 1 - β^t, accurate even for β close to 1 where 1 - β**t loses digits
    one_minus_beta_t = -np.expm1(t * math.log(beta))
    # The EMA is affine: ema(θ) = c (1-β^t) + ema(θ - c). Averaging deviations from the first point keeps
    # rounding relative to the spread, not the level, and returns a constant series exactly when debiased.
    offset = theta[0]
    deviation = theta - offset
    if not np.isfinite(deviation).all():  # the spread itself overflows (values near ±1.8e308): don't shift
        offset, deviation = 0.0, theta
    # v_t = β v_{t-1} + (1-β) θ_t   (on the deviations, from v_0 = 0)
    v = _geometric_scan((1.0 - beta) * deviation, beta)
    if debias:
        # \hat v_t = v_t / (1-β^t)   (the weights now sum to 1, so the offset comes back whole)
        smoothed = v / one_minus_beta_t + offset
    else:
        # the offset's own EMA from v_0 = 0 is c (1-β^t)
        smoothed = v + offset * one_minus_beta_t
    out[finite] = smoothed
    return out


def sma(values, window: int) -> np.ndarray:
    r"""The simple moving average: the mean of the last `window` points.

    .. math::

        s_t = \frac{1}{\min(t, w)} \sum_{j=\max(1,\, t-w+1)}^{t} \theta_j

    Warm-up: before `window` points have arrived, s_t is the mean of the points available so far (never
    a shorter series, never a zero-padded mean). Non-finite points pass through unchanged and are
    skipped, as in `ema`: the window holds the last `window` finite points.
    """
    x = _as_series(values)
    window = _check_count("window", window, 1)
    out = x.copy()
    finite = np.isfinite(x)
    theta = x[finite]
    if theta.size == 0:
        return out
    # prefix sums of deviations from the first point: a constant series stays exact, and the window
    # difference of two large prefix sums loses fewer digits
    offset = theta[0]
    deviation = theta - offset
    if not np.isfinite(deviation).all():
        offset, deviation = 0.0, theta
    prefix = np.concatenate(([0.0], np.cumsum(deviation)))
    end = np.arange(1, theta.size + 1)
    start = np.maximum(0, end - window)
    # s_t = (S_t - S_{t-min(t,w)}) / min(t, w)
    out[finite] = (prefix[end] - prefix[start]) / (end - start) + offset
    return out


def ema_weights(beta: float, n: int, *, debias: bool = False) -> np.ndarray:
    r"""The weight each of the last n points has in the EMA after n points (oldest first, newest last).

    .. math::

        w_j = (1-\beta)\,\beta^{\,n-j}, \quad j = 1..n, \qquad \sum_j w_j = 1-\beta^n

    With debias=True the weights are divided by :math:`1-\beta^n` and sum to 1. So
    ``ema(x, beta, debias=d)[n - 1] == ema_weights(beta, n, debias=d) @ x[:n]`` for finite x.
    """
    beta = _check_beta(beta)
    n = _check_count("n", n, 0)
    # w_j = (1-β) β^{n-j}   (β^0 = 1 also for β = 0: the newest point then has all the weight)
    weights = (1.0 - beta) * np.power(beta, np.arange(n - 1, -1, -1, dtype=np.float64))
    if debias and n > 0 and beta > 0.0:  # (β = 0: 1-β^n = 1 already)
        # \hat w_j = w_j / (1-β^n)
        weights /= -math.expm1(n * math.log(beta))
    return weights


def effective_window(beta: float) -> float:
    r"""How many recent points the EMA roughly averages over: :math:`1/(1-\beta)`.

    The weight of a point that is 1/(1-β) steps old has decayed by :math:`\beta^{1/(1-\beta)} \approx 1/e`
    (beta = 0.9 -> 10 points, 0.98 -> 50 points).
    """
    beta = _check_beta(beta)
    # window = 1 / (1-β)
    return 1.0 / (1.0 - beta)


def bias_region(beta: float, tol: float = BIAS_TOLERANCE) -> int:
    r"""How many early steps of the un-debiased EMA are noticeably biased towards 0.

    For a constant input c the un-debiased EMA is :math:`(1-\beta^t)\,c`, a relative bias of
    :math:`\beta^t`. This returns the number of steps t >= 1 with :math:`\beta^t > \mathrm{tol}`
    (default 5 %), i.e. :math:`\lceil \ln \mathrm{tol} / \ln \beta \rceil - 1` up to ties: the steps
    1..bias_region(beta) are the region the EMA page shades. beta = 0 has no bias and gives 0.
    """
    beta = _check_beta(beta)
    if isinstance(tol, bool) or not isinstance(tol, Real) or not 0.0 < tol < 1.0:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if beta == 0.0:
        return 0
    # β^t > tol  <=>  t < ln tol / ln β; the logs give the answer up to rounding, the loops settle ties
    steps = max(0, math.ceil(math.log(tol) / math.log(beta)) - 1)
    while steps > 0 and beta**steps <= tol:
        steps -= 1
    while beta ** (steps + 1) > tol:
        steps += 1
    return steps


def daily_temperatures(seed: int = 0, days: int = 365) -> np.ndarray:
    """A generated year of daily mean temperatures in °C, for the EMA page.

    Like the London temperatures in Andrew Ng's EMA lecture, but made up and seeded: a seasonal cycle
    (about 5 °C in mid-January, 18 °C in mid-July) plus day-to-day weather, whose anomalies persist for a
    few days (AR(1) noise, correlation 0.6, about 2.5 °C spread), rounded to 0.1 °C like a station record.
    The same seed always gives the same series.
    """
    days = _check_count("days", days, 0)
    rng = np.random.default_rng(seed)
    day = np.arange(days, dtype=np.float64)
    # the coldest day of the cycle is about 15 January (day 14 when 1 January is day 0)
    seasonal = 11.5 - 6.5 * np.cos(2.0 * np.pi * (day - 14.0) / 365.25)
    persistence, spread = 0.6, 2.5
    # e_d = ρ e_{d-1} + η_d, η_d ~ N(0, σ²(1-ρ²)) so that e_d has spread σ
    shocks = rng.normal(0.0, spread * math.sqrt(1.0 - persistence**2), size=days)
    # the first day has no yesterday: draw it from the stationary spread σ directly
    shocks[:1] /= math.sqrt(1.0 - persistence**2)
    weather = _geometric_scan(shocks, persistence)
    return np.round(seasonal + weather, 1)
