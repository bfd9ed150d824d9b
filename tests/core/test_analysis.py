"""optim_core.analysis: basin labels, LR sweeps and curvature, each against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optim_core import analysis
from optim_core.analysis import (
    DIVERGED,
    STILL_MOVING,
    basin_map,
    classify_point,
    curvature_along,
    hessian_eigen,
    lr_sweep,
    stability_bound,
)
from optim_core.surfaces import get_surface

HIMMELBLAU = get_surface("himmelblau")


def himmelblau_grad(x: float, y: float) -> tuple[float, float]:
    """Written out again here, from f = (x² + y − 11)² + (x + y² − 7)², independent of the surface module."""
    u, v = x * x + y - 11.0, x + y * y - 7.0
    return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


def plain_gd_end(x: float, y: float, lr: float, steps: int) -> tuple[float, float]:
    for _ in range(steps):
        gx, gy = himmelblau_grad(x, y)
        x, y = x - lr * gx, y - lr * gy
    return x, y


def label_at(basins, x: float, y: float) -> int:
    j = int(np.argmin(np.abs(basins.xs - x)))
    i = int(np.argmin(np.abs(basins.ys - y)))
    assert basins.xs[j] == pytest.approx(x) and basins.ys[i] == pytest.approx(y), "not a grid point"
    return int(basins.labels[i, j])


def minimum_near(basins, x: float, y: float) -> int:
    distances = [math.dist((x, y), m) for m in basins.minima]
    assert min(distances) < 0.5
    return int(np.argmin(distances))


# ---- basins ------------------------------------------------------------------------------------------


def test_himmelblau_basins_of_hand_checked_starts():
    # n = 11 on [-5, 5]²: the grid is the integer points
    basins = basin_map("himmelblau", "sgd", {"lr": 0.002}, n=11, steps=1500)
    assert basins.labels.shape == (11, 11) and basins.final.shape == (11, 11, 2)
    # starts next to each of the four minima end in that minimum; (3, 2) is itself a minimum
    for start, minimum in [
        ((3, 2), (3.0, 2.0)),
        ((-3, 3), (-2.805, 3.131)),
        ((-4, -3), (-3.779, -3.283)),
        ((4, -2), (3.584, -1.848)),
    ]:
        assert label_at(basins, *start) == minimum_near(basins, *minimum), start
    # from the origin ∇f = (−14, −22): descent heads into x, y > 0, where (3, 2) is the only minimum
    assert label_at(basins, 0, 0) == minimum_near(basins, 3.0, 2.0)
    assert set(np.unique(basins.labels)) == {0, 1, 2, 3}  # every minimum has a basin, nothing diverges


def test_every_himmelblau_label_matches_an_independent_gradient_loop():
    lr, steps = 0.002, 1500
    basins = basin_map("himmelblau", "sgd", {"lr": lr}, n=11, steps=steps)
    for i, y in enumerate(basins.ys):
        for j, x in enumerate(basins.xs):
            end = plain_gd_end(float(x), float(y), lr, steps)
            distances = [math.dist(end, m) for m in basins.minima]
            expected = int(np.argmin(distances)) if min(distances) <= basins.tol else STILL_MOVING
            assert basins.labels[i, j] == expected, (x, y, end)
            np.testing.assert_allclose(basins.final[i, j], end, atol=1e-9)


def test_huge_lr_diverges_except_at_a_minimum():
    basins = basin_map("himmelblau", "sgd", {"lr": 1.0}, n=11, steps=50)
    assert label_at(basins, 5, 5) == DIVERGED and label_at(basins, 0, 0) == DIVERGED
    assert label_at(basins, 3, 2) == minimum_near(basins, 3, 2)  # ∇f = 0 there: no step at all
    assert np.count_nonzero(basins.labels == DIVERGED) == 11 * 11 - 1
    assert (
        basins.counts()[DIVERGED] == 120 and (basins.steps_to_converge[basins.labels == DIVERGED] == -1).all()
    )


def test_too_few_steps_leaves_runs_still_moving():
    basins = basin_map("himmelblau", "sgd", {"lr": 1e-5}, n=11, steps=5)
    assert basins.counts()[STILL_MOVING] == 120
    assert label_at(basins, 3, 2) == minimum_near(basins, 3, 2)
    assert basins.steps_to_converge[basins.labels >= 0].tolist() == [0]


def test_steps_to_converge_on_a_bowl():
    # GD on λ/2 ‖p‖² shrinks the distance by |1 − lr λ| a step: from r0 it is within tol after
    # ceil(log(tol / r0) / log|1 − lr λ|) steps, and stays there
    basins = basin_map(get_surface("bowl", curvature=2.0), "sgd", {"lr": 0.1}, n=5, steps=200, tol=0.01)
    assert (basins.labels == 0).all()
    r0 = np.hypot(*np.meshgrid(basins.xs, basins.ys))
    with np.errstate(divide="ignore"):
        expected = np.where(r0 <= 0.01, 0, np.ceil(np.log(0.01 / r0) / np.log(0.8)))
    np.testing.assert_array_equal(basins.steps_to_converge, expected.astype(int))


def test_surface_without_minima_and_bad_input():
    basins = basin_map("saddle", "adam", {"lr": 0.01}, n=4, steps=20)
    assert basins.minima == () and set(np.unique(basins.labels)) <= {STILL_MOVING, DIVERGED}
    with pytest.raises(ValueError, match="valid choices"):
        basin_map("himmelblau", "adamm", n=4, steps=5)
    with pytest.raises(ValueError, match="n must be"):
        basin_map("himmelblau", "sgd", n=1, steps=5)
    with pytest.raises(ValueError, match="tol"):
        basin_map("himmelblau", "sgd", n=4, steps=5, tol=-1.0)


def test_one_engine_call_for_the_whole_grid_and_per_optimizer_of_a_sweep(monkeypatch):
    calls = []
    real = analysis.simulate

    def counting(surface, optimizers, starts, steps, **kwargs):
        calls.append((len(optimizers), len(starts)))
        return real(surface, optimizers, starts, steps, **kwargs)

    monkeypatch.setattr(analysis, "simulate", counting)
    basin_map("himmelblau", "adam", {"lr": 0.1}, n=12, steps=10)
    assert calls == [(1, 144)]
    calls.clear()
    lr_sweep("bowl", ["sgd", "adam"], lrs=np.geomspace(1e-3, 1, 7), n_starts=3, steps=10)
    assert calls == [(7, 3), (7, 3)]


# ---- LR sweeps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("curvature", [0.5, 4.0, 30.0])
def test_gd_best_lr_range_sits_below_two_over_lambda(curvature):
    surface = get_surface("bowl", curvature=curvature)
    lrs = np.geomspace(1e-4, 10, 41)
    sweep = lr_sweep(surface, ["sgd"], lrs=lrs, steps=200, n_starts=4, tol=1e-8)
    bound = 2.0 / curvature
    low, high = sweep.best_range(0)
    assert high < bound and high > 0.5 * bound  # the window reaches up to, but not past, 2/λ
    assert low < high and sweep.best_lr(0) < bound
    # above 2/λ every run diverges: the median is +inf
    above = lrs > bound * 1.01
    assert np.isinf(sweep.median[0, above]).all() and (sweep.diverged[0, above] == 1.0).all()
    assert sweep.diverges_from(0) > bound


def test_steps_to_tol_matches_the_closed_form_on_a_bowl():
    lam, tol = 2.0, 1e-6
    start = np.array([[1.0, -0.5]])
    lrs = np.array([0.05, 0.2, 0.5, 0.8])
    sweep = lr_sweep(
        get_surface("bowl", curvature=lam),
        ["sgd"],
        lrs=lrs,
        starts=start,
        steps=400,
        metric="steps_to_tol",
        tol=tol,
    )
    f0 = 0.5 * lam * float((start**2).sum())
    # f_t = f0 (1 − lr λ)^(2t) ≤ tol  ⇔  t ≥ log(tol / f0) / (2 log|1 − lr λ|)
    with np.errstate(divide="ignore"):
        expected = np.ceil(np.log(tol / f0) / (2 * np.log(np.abs(1 - lrs * lam))))
    expected[lrs * lam == 1] = 1  # lr = 1/λ lands on the minimum in one step (the formula's log(0))
    np.testing.assert_array_equal(sweep.values[0, :, 0], expected)
    assert sweep.best_lr(0) == 0.5


def test_sweep_spread_brackets_the_median_and_noise_seeds_differ():
    sweep = lr_sweep(
        "himmelblau",
        ["adam", "sgd"],
        lrs=np.geomspace(1e-3, 0.3, 6),
        n_starts=6,
        jitter=0.0,
        grad_noise=5.0,
        seed=3,
        steps=60,
    )
    finite = np.isfinite(sweep.high)
    assert (sweep.low <= sweep.median).all() and (sweep.median[finite] <= sweep.high[finite]).all()
    assert finite.sum() >= 6  # most of the sweep converged or kept moving without diverging
    assert (sweep.starts == HIMMELBLAU.start).all()  # jitter 0: only the noise seeds differ
    assert (sweep.high[finite] - sweep.low[finite]).max() > 0
    assert sweep.values.shape == (2, 6, 6) and sweep.names == ("adam", "sgd")


def test_sweep_starts_are_jittered_around_the_start_and_seeded():
    a = lr_sweep("himmelblau", ["sgd"], lrs=[1e-3], n_starts=5, seed=1, steps=3)
    b = lr_sweep("himmelblau", ["sgd"], lrs=[1e-3], n_starts=5, seed=1, steps=3)
    c = lr_sweep("himmelblau", ["sgd"], lrs=[1e-3], n_starts=5, seed=2, steps=3)
    assert tuple(a.starts[0]) == HIMMELBLAU.start and len(a.starts) == 5
    np.testing.assert_array_equal(a.starts, b.starts)
    assert not np.array_equal(a.starts, c.starts)
    assert np.abs(a.starts - HIMMELBLAU.start).max() < 3.0


def test_quantile_handles_infinite_runs():
    rng = np.random.default_rng(0)
    values = rng.lognormal(size=(3, 7, 9))
    for q in (0, 10, 50, 90, 100):
        np.testing.assert_allclose(analysis._quantile(values, q), np.percentile(values, q, axis=-1))
    runs = np.array([[1.0, 2.0, np.inf, np.inf], [1.0, 2.0, 3.0, np.inf], [np.inf] * 4])
    assert analysis._quantile(runs, 50).tolist() == [np.inf, 2.5, np.inf]
    assert analysis._quantile(runs, 0).tolist() == [1.0, 1.0, np.inf]


def test_no_best_range_without_a_minimum():
    # x² − y² falls without bound: the lowest final loss is not "best", it is just furthest downhill
    sweep = lr_sweep("saddle", ["sgd"], lrs=np.geomspace(1e-3, 0.1, 5), n_starts=2, steps=30)
    assert sweep.loss_offset == 0.0 and np.isfinite(sweep.median).any()
    assert not sweep.good.any() and sweep.best_range(0) is None


def test_sweep_bad_input():
    with pytest.raises(ValueError, match="valid choices: final_loss, steps_to_tol"):
        lr_sweep("bowl", ["sgd"], metric="loss")
    with pytest.raises(ValueError, match="known minima"):
        lr_sweep("saddle", ["sgd"], metric="steps_to_tol", steps=5)
    with pytest.raises(ValueError, match="learning rates > 0"):
        lr_sweep("bowl", ["sgd"], lrs=[0.1, -1.0], steps=5)
    with pytest.raises(ValueError, match="non-empty"):
        lr_sweep("bowl", [], steps=5)


# ---- curvature ---------------------------------------------------------------------------------------


def test_hessian_eigen_on_a_grid_of_points():
    xy = np.random.default_rng(1).uniform(-5, 5, size=(4, 6, 2))
    values, vectors = hessian_eigen(HIMMELBLAU, xy)
    assert values.shape == (4, 6, 2) and vectors.shape == (4, 6, 2, 2)
    hxx, hxy, hyy = HIMMELBLAU.hessian(xy[..., 0], xy[..., 1])
    expected = np.linalg.eigvalsh(np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2))
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-10)
    # constant Hessians broadcast to the points' shape
    values, _ = hessian_eigen(get_surface("ravine", condition=50.0, angle=30.0), np.zeros((3, 2)))
    np.testing.assert_allclose(values, [[1.0, 50.0]] * 3)


def newton_critical_point(x: float, y: float) -> tuple[float, float]:
    """Newton's method on ∇f = 0 with numpy.linalg.solve (independent of surfaces.newton_polish)."""
    p = np.array([x, y])
    for _ in range(50):
        hxx, hxy, hyy = HIMMELBLAU.hessian(*p)
        p = p - np.linalg.solve([[hxx, hxy], [hxy, hyy]], himmelblau_grad(*p))
    return float(p[0]), float(p[1])


def test_classify_critical_points():
    assert classify_point("saddle", 0.0, 0.0) == "saddle"
    for x, y in HIMMELBLAU.minima:
        assert classify_point(HIMMELBLAU, x, y) == "minimum"
    for x, y in HIMMELBLAU.saddles:
        assert classify_point(HIMMELBLAU, x, y) == "saddle"
    peak = newton_critical_point(-0.27, -0.92)
    assert peak == pytest.approx((-0.270845, -0.923039), abs=1e-5)
    assert classify_point(HIMMELBLAU, *peak) == "maximum"
    assert classify_point("monkey_saddle", 0.0, 0.0) == "degenerate"  # H = 0 at the monkey saddle
    assert classify_point(HIMMELBLAU, 1.0, 1.0) == "not critical"
    assert classify_point("saddle", 1e-4, 0.0) == "not critical"
    assert classify_point("saddle", 1e-4, 0.0, grad_tol=1e-3) == "saddle"


def test_stability_bound_and_curvature_along_a_path():
    assert stability_bound(4.0) == 0.5
    assert stability_bound(0.0) == math.inf and stability_bound(-1.0) == math.inf
    np.testing.assert_array_equal(stability_bound(np.array([1.0, -2.0, 8.0])), [2.0, np.inf, 0.25])
    path = np.array([[0.0, 0.0], [1.0, 0.5], [2.0, -1.0]])
    low, high = curvature_along(get_surface("ravine", condition=20.0), path)
    np.testing.assert_allclose(low, 1.0)
    np.testing.assert_allclose(high, 20.0)
    # on x² − y² the curvature is −2 along y and +2 along x everywhere
    low, high = curvature_along("saddle", path[None])
    assert low.shape == (1, 3) and np.allclose(low, -2.0) and np.allclose(high, 2.0)
