"""optim_core.ema against an independent, plain-Python copy of TensorBoard's scalar smoothing."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim_core
from optim_core.smoothing import (
    EMA_LATEX,
    bias_region,
    daily_temperatures,
    effective_window,
    ema,
    ema_weights,
    sma,
)

NAN, INF = float("nan"), float("inf")


def tensorboard_smooth(values, beta, debias=True):
    """TensorBoard's smoothing (vz_line_chart2 `resmoothDataset`), one point at a time."""
    last, num_accum, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * beta + (1 - beta) * v
        num_accum += 1
        debias_weight = (1 - beta**num_accum if beta != 1 else 1) if debias else 1
        out.append(last / debias_weight)
    return np.array(out, dtype=np.float64)


def naive_sma(values, window):
    out, seen = [], []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        seen.append(v)
        recent = seen[-window:]
        out.append(sum(recent) / len(recent))
    return np.array(out, dtype=np.float64)


def assert_matches(got, want, values):
    """Equal at non-finite points; close elsewhere, with the absolute error scaled by the data's size."""
    values = np.asarray(values, dtype=np.float64)
    assert got.dtype == np.float64 and got.shape == values.shape
    finite = np.isfinite(values)
    np.testing.assert_array_equal(got[~finite], values[~finite])
    scale = np.abs(values[finite]).max() if finite.any() else 0.0
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-9, atol=1e-9 * scale)


SERIES = [
    [1.0, 2.0, 3.0, 4.0, 5.0],
    [NAN, 1.0, NAN, 2.0, INF, 3.0, -INF, 4.0],
    [5.0, -3.0, NAN, NAN, 10.0, 0.0, 1e6, -1e-6],
    [NAN, NAN, INF],
    [42.0],
    list(np.sin(np.arange(300) / 7.0) + np.arange(300) / 50.0),
]


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.6, 0.9, 0.99, 0.999])
@pytest.mark.parametrize("values", SERIES)
@pytest.mark.parametrize("debias", [True, False])
def test_matches_tensorboard(values, beta, debias):
    assert_matches(ema(values, beta, debias=debias), tensorboard_smooth(values, beta, debias), values)


def test_known_values():
    # v = 0.5, 1.25 ; debiased: 0.5/0.5 = 1, 1.25/0.75 = 5/3
    np.testing.assert_allclose(ema([1.0, 2.0], 0.5, debias=False), [0.5, 1.25])
    np.testing.assert_allclose(ema([1.0, 2.0], 0.5), [1.0, 5.0 / 3.0])
    # the NaN is skipped: the second finite point is still t = 2
    np.testing.assert_allclose(ema([1.0, NAN, 2.0], 0.5), [1.0, NAN, 5.0 / 3.0], equal_nan=True)


def test_beta_zero_returns_the_values():
    values = np.array([3.0, NAN, -INF, 2.5, INF, -7.0])
    for debias in (True, False):
        out = ema(values, 0.0, debias=debias)
        np.testing.assert_array_equal(out, values)
        assert out is not values


def test_non_finite_points_pass_through_and_do_not_enter_the_average():
    with_gaps = np.array([1.0, NAN, 4.0, INF, -INF, 2.0, NAN])
    out = ema(with_gaps, 0.8)
    np.testing.assert_array_equal(out[[1, 3, 4, 6]], with_gaps[[1, 3, 4, 6]])
    np.testing.assert_allclose(out[[0, 2, 5]], ema([1.0, 4.0, 2.0], 0.8), rtol=1e-15)


def test_empty_and_dtype():
    out = ema([], 0.9)
    assert out.shape == (0,) and out.dtype == np.float64
    assert sma([], 3).shape == (0,)
    ints = ema(np.arange(5), 0.5)
    assert ints.dtype == np.float64
    np.testing.assert_allclose(ints, tensorboard_smooth(list(range(5)), 0.5))


finite_floats = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
points = st.one_of(finite_floats, finite_floats, finite_floats, st.sampled_from([NAN, INF, -INF]))
betas = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@settings(deadline=None, max_examples=200)
@given(values=st.lists(points, max_size=80), beta=betas, debias=st.booleans())
def test_property_matches_tensorboard(values, beta, debias):
    assert_matches(ema(values, beta, debias=debias), tensorboard_smooth(values, beta, debias), values)


moderate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(deadline=None, max_examples=100)
@given(values=st.lists(moderate, min_size=1, max_size=60), beta=betas, debias=st.booleans())
def test_property_last_point_is_the_weighted_sum(values, beta, debias):
    # an independent formulation: the explicit weights dotted with the history
    x = np.array(values)
    for n in (1, len(x) // 2 + 1, len(x)):
        want = ema_weights(beta, n, debias=debias) @ x[:n]
        got = ema(x, beta, debias=debias)[n - 1]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9 * np.abs(x).max())


@pytest.mark.parametrize("beta", [0.0, 0.1, 0.5, 0.9, 0.99, 0.9999])
@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000])
def test_weight_sums_closed_form(beta, n):
    weights = ema_weights(beta, n)
    assert weights.shape == (n,)
    # Σ_j (1-β) β^{n-j} = 1 - β^n
    assert weights.sum() == pytest.approx(1 - beta**n, rel=1e-12, abs=1e-15)
    if n:
        assert ema_weights(beta, n, debias=True).sum() == pytest.approx(1.0, rel=1e-12)
        # newest last, geometric decay towards the past
        assert weights[-1] == pytest.approx(1 - beta)
        assert np.all(np.diff(weights) >= 0)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.98, 0.999])
@pytest.mark.parametrize("c", [0.1, -3.7, 1e12, 21.3])
def test_constant_series(beta, c):
    values = np.full(500, c)
    values[[3, 100, 101]] = NAN
    # debiased: the constant itself, exactly
    np.testing.assert_array_equal(ema(values, beta), values)
    # not debiased: (1 - β^t) c with t counting the finite points
    t = np.cumsum(np.isfinite(values))
    want = np.where(np.isfinite(values), c * (1 - beta**t), NAN)
    np.testing.assert_allclose(ema(values, beta, debias=False), want, rtol=1e-12, equal_nan=True)


def test_long_series_is_stable():
    # β^t underflows long before t = 2e5; a cumulative-product formula would give inf / nan here
    rng = np.random.default_rng(1)
    values = 20.0 + rng.normal(size=200_000)
    values[rng.integers(0, values.size, 500)] = NAN
    for beta in (0.5, 0.999):
        for debias in (True, False):
            got = ema(values, beta, debias=debias)
            assert_matches(got, tensorboard_smooth(values.tolist(), beta, debias), values)


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, NAN, INF, "0.9", None, True])
def test_bad_beta(bad):
    for call in (
        lambda: ema([1.0], bad),
        lambda: ema_weights(bad, 3),
        lambda: effective_window(bad),
        lambda: bias_region(bad),
    ):
        with pytest.raises(ValueError, match="beta must be a number in"):
            call()


def test_bad_shapes_and_counts():
    with pytest.raises(ValueError, match="1-D"):
        ema([[1.0, 2.0]], 0.5)
    with pytest.raises(ValueError, match="1-D"):
        ema(3.0, 0.5)
    for window in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="window must be an integer"):
            sma([1.0], window)
    with pytest.raises(ValueError, match="n must be an integer"):
        ema_weights(0.5, -1)
    with pytest.raises(ValueError, match="tol must be"):
        bias_region(0.9, tol=1.0)


def test_sma_warm_up():
    # the mean of what is available so far, then a full window
    np.testing.assert_allclose(sma([1.0, 2.0, 3.0, 4.0], 2), [1.0, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(sma([2.0, 4.0, 9.0], 10), [2.0, 3.0, 5.0])
    np.testing.assert_array_equal(sma([5.0, NAN, 7.0], 1), [5.0, NAN, 7.0])
    np.testing.assert_array_equal(sma(np.full(50, 0.1), 7), np.full(50, 0.1))


@settings(deadline=None, max_examples=150)
@given(
    values=st.lists(st.one_of(moderate, st.sampled_from([NAN, INF, -INF])), max_size=80),
    window=st.integers(1, 20),
)
def test_property_sma_matches_naive_loop(values, window):
    assert_matches(sma(values, window), naive_sma(values, window), values)


@pytest.mark.parametrize("beta,window", [(0.0, 1.0), (0.5, 2.0), (0.9, 10.0), (0.98, 50.0), (0.999, 1000.0)])
def test_effective_window(beta, window):
    assert effective_window(beta) == pytest.approx(window)
    # the total weight Σ β^k over all ages, in units of the newest point's weight (1-β)
    weights = ema_weights(beta, 100_000)
    assert weights.sum() / (1 - beta) == pytest.approx(window, rel=1e-9)


@pytest.mark.parametrize("beta", [0.0, 0.1, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999])
@pytest.mark.parametrize("tol", [0.01, 0.05, 0.25, 0.5])
def test_bias_region(beta, tol):
    steps = bias_region(beta, tol)
    brute = 0
    while beta ** (brute + 1) > tol:
        brute += 1
    assert steps == brute
    # inside the region the un-debiased EMA of a constant is more than tol below it, after it not
    if steps:
        constant = ema(np.ones(steps + 1), beta, debias=False)
        assert 1 - constant[steps - 1] > tol >= 1 - constant[steps] - 1e-12


def test_bias_region_values():
    assert bias_region(0.0) == 0
    assert bias_region(0.9) == 28  # 0.9^28 = 0.052 > 5 %, 0.9^29 = 0.047
    assert bias_region(0.5, tol=0.25) == 1  # a tie: 0.5^2 = 0.25 is not above 0.25


def test_ema_speed_one_million_points():
    values = np.random.default_rng(0).normal(size=1_000_000)
    values[::1000] = NAN
    best = INF
    for _ in range(3):
        start = time.perf_counter()
        out = ema(values, 0.999)
        best = min(best, time.perf_counter() - start)
    assert np.isfinite(out[1:999]).all()
    assert best < 0.5, f"ema of 1e6 points took {best:.3f} s"


def test_daily_temperatures():
    temps = daily_temperatures()
    assert temps.shape == (365,) and temps.dtype == np.float64
    np.testing.assert_array_equal(temps, daily_temperatures(seed=0))
    assert not np.array_equal(temps, daily_temperatures(seed=1))
    assert daily_temperatures(days=10).shape == (10,)
    # a London-like year: cold January, warm July, nothing absurd, recorded to 0.1 °C
    assert temps[181:212].mean() - temps[:31].mean() > 8
    assert -15 < temps.min() and temps.max() < 35
    np.testing.assert_allclose(temps * 10, np.round(temps * 10), atol=1e-9)
    # day-to-day weather around the season: a few degrees of noise, smoothed away by the EMA
    residual = temps - ema(temps, 0.9)
    assert 1.0 < residual.std() < 5.0


def test_package_export_is_callable():
    # the package exports the function (its module is optim_core.smoothing)
    from optim_core import ema as exported

    values = [1.0, NAN, 3.0, 2.0]
    np.testing.assert_array_equal(exported(values, 0.7), ema(values, 0.7))
    np.testing.assert_array_equal(optim_core.ema(values, 0.7, debias=False), ema(values, 0.7, debias=False))
    with pytest.raises(ValueError, match="beta"):
        optim_core.ema(values, 1.0)


def test_latex():
    assert len(EMA_LATEX) == 3
    assert r"\beta" in EMA_LATEX[0] and r"\theta_t" in EMA_LATEX[0]
    assert r"1-\beta^t" in EMA_LATEX[1] and r"\frac{1}{1-\beta}" in EMA_LATEX[2]
