"""Fair comparisons on a 2D surface: basins of attraction, LR sensitivity sweeps and curvature.

    basins = basin_map("himmelblau", "sgd", {"lr": 0.01}, n=40, steps=500)  # which minimum each start reaches
    sweep = lr_sweep("bowl", ["sgd", "adam"], steps=200)  # loss against log-LR, with spread
    (lam_min, lam_max), vectors = hessian_eigen(surface, xy)  # curvature anywhere, vectorized

Every computation is one vectorized engine call (basin_map: all n² starts at once; lr_sweep: all LRs ×
all starts of one optimizer at once), so a 40 × 40 map costs about what a few single runs cost.
Results hold arrays and plain data only (no Surface, whose functions do not pickle), so a page can
cache them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from .optimizers import resolve_hyperparams
from .simulation import simulate
from .surfaces import Surface, get_surface
from .surfaces.critical_points import EIG_TOL, classify_hessian, symmetric_eigen

STILL_MOVING = -1  # basin label: the run ended near no known minimum
DIVERGED = -2  # basin label: the engine stopped the run (non-finite, or out of its box)
METRICS = ("final_loss", "steps_to_tol")
DEFAULT_LRS = np.geomspace(1e-4, 1.0, 40)


# ---- curvature --------------------------------------------------------------------------------------


def hessian_eigen(surface: str | Surface, xy) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (…, 2), ascending, and eigenvectors (…, 2, 2), as columns like numpy.linalg.eigh,
    of the Hessian at every point of xy (…, 2), by the closed form of critical_points.symmetric_eigen."""
    surface = get_surface(surface)
    xy = np.asarray(xy, dtype=float)
    if xy.shape[-1:] != (2,):
        raise ValueError(f"xy must have shape (..., 2), got {xy.shape}")
    with np.errstate(all="ignore"):
        a, b, c = (
            np.broadcast_to(h, xy.shape[:-1]).astype(float) for h in surface.hessian(xy[..., 0], xy[..., 1])
        )
    return symmetric_eigen(a, b, c)


def classify_point(
    surface: str | Surface, x: float, y: float, *, grad_tol: float = 1e-6, eig_tol: float = EIG_TOL
) -> str:
    """ "minimum", "saddle", "maximum", "degenerate" (a zero eigenvalue: the second derivative cannot
    tell) or "not critical" (‖∇f‖ > grad_tol). The Hessian's verdict is critical_points.classify_hessian,
    whose one rule for degenerate points eig_tol sets."""
    surface = get_surface(surface)
    # The point as NumPy scalars, which a surface's functions take as well as the arrays Surface types
    # them for (surface._shaped gives scalars back); 0-d arrays could round differently in the last bit.
    px, py = np.float64(x), np.float64(y)
    grad = cast(Callable[[np.float64, np.float64], tuple[np.float64, np.float64]], surface.grad)
    hessian = cast(
        Callable[[np.float64, np.float64], tuple[np.float64, np.float64, np.float64]], surface.hessian
    )
    with np.errstate(all="ignore"):
        gx, gy = grad(px, py)
    norm = float(np.hypot(gx, gy))
    if not np.isfinite(norm) or norm > grad_tol:
        return "not critical"
    with np.errstate(all="ignore"):
        hxx, hxy, hyy = hessian(px, py)
    return classify_hessian(hxx, hxy, hyy, eig_tol=eig_tol)


def stability_bound(lambda_max):
    """2/λ_max: gradient descent on a quadratic with largest curvature λ_max diverges for lr above it
    (each step multiplies the error along that axis by 1 − lr·λ). inf where λ_max ≤ 0: no bound."""
    lam = np.asarray(lambda_max, dtype=float)
    with np.errstate(divide="ignore"):
        bound = np.where(lam > 0, 2.0 / np.where(lam > 0, lam, 1.0), np.inf)
    return float(bound) if bound.ndim == 0 else bound


def curvature_along(surface: str | Surface, xy_path) -> tuple[np.ndarray, np.ndarray]:
    """(λ_min, λ_max) of the Hessian at every point of a path (…, 2): each of shape (…)."""
    values, _ = hessian_eigen(surface, xy_path)
    return values[..., 0], values[..., 1]


# ---- basins of attraction ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BasinMap:
    """Where each start of an n × n grid ends. labels[i, j] belongs to the start (xs[j], ys[i]) (rows
    are y, as in a heatmap): the index of the minimum in `minima` it converged to, STILL_MOVING or
    DIVERGED. steps_to_converge[i, j]: the first step from which the run stays within tol of that
    minimum (−1 where it did not converge)."""

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    final: np.ndarray
    steps_to_converge: np.ndarray
    minima: tuple[tuple[float, float], ...]
    optimizer: str
    hyperparams: dict
    steps: int
    tol: float
    grad_tol: float

    def counts(self) -> dict[int, int]:
        """Number of starts per label, for every minimum and both other outcomes (zeros included)."""
        keys = [*range(len(self.minima)), STILL_MOVING, DIVERGED]
        return {k: int(np.count_nonzero(self.labels == k)) for k in keys}


def basin_map(
    surface: str | Surface,
    optimizer: str,
    hyperparams: Mapping | None = None,
    *,
    n: int = 40,
    steps: int = 500,
    tol: float | None = None,
    grad_tol: float | None = None,
    lr_schedule: Callable[[int], float] | Sequence[float] | None = None,
) -> BasinMap:
    """Run `optimizer` from every point of an n × n grid over the surface's bounds, in one engine call,
    and label each start by the known minimum it ends at.

    A run converged to minimum k when its final point lies within tol of it (default: 1% of the view's
    narrower side) and its gradient there is at most grad_tol (default: tol × the largest curvature at
    the known minima, the gradient a quadratic bowl has at distance tol). Other finite runs are
    STILL_MOVING; runs the engine stopped are DIVERGED.
    """
    surface = get_surface(surface)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2 <= n <= 400:
        raise ValueError(f"n must be an integer in 2 … 400, got {n!r}")
    hp = resolve_hyperparams(optimizer, hyperparams)
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    traj = simulate(surface, [(optimizer, hp)], starts, steps, lr_schedule=lr_schedule)
    path = traj.xy[0]  # (n², steps + 1, 2)
    final = path[:, -1]
    minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
    tol = 0.01 * min(x1 - x0, y1 - y0) if tol is None else _positive("tol", tol)
    grad_tol = (
        _default_grad_tol(surface, minima, tol) if grad_tol is None else _positive("grad_tol", grad_tol)
    )

    labels = np.full(len(starts), STILL_MOVING, dtype=int)
    steps_to_converge = np.full(len(starts), -1, dtype=int)
    if len(minima):
        # the nearest minimum of each final point, and whether it is close and flat enough to count
        distance = np.linalg.norm(final[:, None, :] - minima[None, :, :], axis=-1)
        nearest = distance.argmin(axis=1)
        with np.errstate(all="ignore"):
            fx, fy = surface.grad(final[:, 0], final[:, 1])
        flat = np.hypot(fx, fy) <= grad_tol
        done = (distance[np.arange(len(starts)), nearest] <= tol) & flat
        labels[done] = nearest[done]
        # steps to converge: the first step after which every position stays within tol of that minimum
        near = np.linalg.norm(path - minima[nearest][:, None, :], axis=-1) <= tol  # (n², steps + 1)
        stays = np.flip(np.logical_and.accumulate(np.flip(near, axis=1), axis=1), axis=1)
        first = np.where(stays.any(axis=1), stays.argmax(axis=1), -1)
        steps_to_converge[done] = first[done]
    diverged = traj.diverged_at[0] >= 0
    labels[diverged] = DIVERGED
    steps_to_converge[diverged] = -1
    return BasinMap(
        xs=xs,
        ys=ys,
        labels=labels.reshape(n, n),
        final=final.reshape(n, n, 2),
        steps_to_converge=steps_to_converge.reshape(n, n),
        minima=tuple((float(x), float(y)) for x, y in minima),
        optimizer=optimizer,
        hyperparams=hp,
        steps=int(steps),
        tol=float(tol),
        grad_tol=float(grad_tol),
    )


def _default_grad_tol(surface: Surface, minima: np.ndarray, tol: float) -> float:
    if not len(minima):
        return np.inf
    values, _ = hessian_eigen(surface, minima)
    largest = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    return tol * (largest if largest > 0 else 1.0)


def _positive(name: str, value) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


# ---- learning-rate sweeps ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Sweep:
    """Per optimizer i and learning rate lrs[l]: the metric of each run, values[i, l, m] (inf where the
    run diverged or never reached tol), its median and its low/high percentiles (`spread`) over the
    runs. good[i, l]: the LR is in the optimizer's best range (see lr_sweep)."""

    names: tuple[str, ...]
    hyperparams: tuple[dict, ...]
    lrs: np.ndarray
    values: np.ndarray
    median: np.ndarray
    low: np.ndarray
    high: np.ndarray
    diverged: np.ndarray
    good: np.ndarray
    metric: str
    tol: float
    within: float
    spread: tuple[float, float]
    loss_offset: float
    starts: np.ndarray
    steps: int
    grad_noise: float
    seed: int

    def best_lr(self, i: int) -> float | None:
        """The LR with the lowest median (the smallest such LR on a tie), or None if none is finite."""
        if not np.isfinite(self.median[i]).any():
            return None
        return float(self.lrs[int(np.argmin(self.median[i]))])

    def best_range(self, i: int) -> tuple[float, float] | None:
        """(smallest, largest) LR of the best range, or None."""
        chosen = self.lrs[self.good[i]]
        return (float(chosen.min()), float(chosen.max())) if chosen.size else None

    def diverges_from(self, i: int) -> float | None:
        """The smallest LR at which at least one run diverged, or None."""
        bad = self.lrs[self.diverged[i] > 0]
        return float(bad.min()) if bad.size else None


def lr_sweep(
    surface: str | Surface,
    optimizers: Sequence,
    *,
    lrs=None,
    starts=None,
    n_starts: int = 8,
    jitter: float = 0.05,
    seed: int = 0,
    grad_noise: float = 0.0,
    steps: int = 200,
    metric: str = "final_loss",
    tol: float = 1e-4,
    within: float | None = None,
    spread: tuple[float, float] = (10.0, 90.0),
) -> Sweep:
    """How each optimizer's result depends on its learning rate, with the spread over several runs.

    optimizers: names or (name, hyperparams) pairs; the sweep overrides their lr.
    lrs: the learning rates (default 40 log-spaced values from 1e-4 to 1).
    starts: (M, 2) start points; default n_starts points, the surface's start and n_starts − 1 more
        drawn (seeded) around it with σ = jitter × the view's size, kept inside the view. With
        grad_noise > 0 every start also gets its own noise sequence, so jitter=0 sweeps noise seeds.
    metric: "final_loss" — the loss gap f(final) − f* (f* the lowest known minimum, 0 if the surface
        lists none); "steps_to_tol" — the first step at which f − f* ≤ tol (needs known minima).
        Diverged runs count as +inf loss and as never reaching tol.
    Best range: the LRs whose median is at most within × the best median (within defaults to 10 for
    final_loss, 2 for steps_to_tol); for final_loss also every LR whose median is ≤ tol. A surface
    without known minima has no best range (its loss may fall without bound).
    One engine call per optimizer: all LRs × all starts advance together.
    """
    surface = get_surface(surface)
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid choices: {', '.join(METRICS)}")
    tol = _positive("tol", tol)
    within = (10.0 if metric == "final_loss" else 2.0) if within is None else _positive("within", within)
    lrs = _check_lrs(DEFAULT_LRS if lrs is None else lrs)
    starts = _sweep_starts(surface, starts, n_starts, jitter, seed)
    if not (isinstance(optimizers, Sequence) and not isinstance(optimizers, str) and optimizers):
        raise ValueError("optimizers must be a non-empty sequence of names or (name, hyperparameters) pairs")
    if not 0 <= spread[0] <= spread[1] <= 100:
        raise ValueError(f"spread must be two percentiles 0 ≤ low ≤ high ≤ 100, got {spread!r}")
    minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
    if metric == "steps_to_tol" and not len(minima):
        raise ValueError("metric 'steps_to_tol' needs a surface with known minima; use 'final_loss'")
    offset = float(np.min(surface.f(minima[:, 0], minima[:, 1]))) if len(minima) else 0.0

    names, hps, per_optimizer = [], [], []
    for item in optimizers:
        name, hp = (item, None) if isinstance(item, str) else item
        base = {k: v for k, v in resolve_hyperparams(name, hp).items() if k != "lr"}
        runs = [(name, {**base, "lr": float(lr)}) for lr in lrs]
        traj = simulate(surface, runs, starts, steps, grad_noise=grad_noise, seed=seed)
        gap = traj.loss - offset  # (L, M, steps + 1)
        diverged = traj.diverged_at >= 0
        if metric == "final_loss":
            values = np.where(diverged, np.inf, gap[:, :, -1])
        else:
            reached = gap <= tol
            values = np.where(reached.any(axis=-1) & ~diverged, reached.argmax(axis=-1), np.inf).astype(float)
        names.append(name)
        hps.append(base)
        per_optimizer.append((values, diverged.mean(axis=-1)))

    values = np.stack([v for v, _ in per_optimizer])  # (n_opt, L, M)
    median = _quantile(values, 50.0)
    best = np.min(median, axis=1, keepdims=True)
    threshold = within * best
    if metric == "final_loss":
        threshold = np.maximum(threshold, tol)
    # without a known minimum the loss may fall without bound (x² − y²): there is no target to be near
    good = np.isfinite(median) & (median <= threshold) & bool(len(minima))
    return Sweep(
        names=tuple(names),
        hyperparams=tuple(hps),
        lrs=lrs,
        values=values,
        median=median,
        low=_quantile(values, spread[0]),
        high=_quantile(values, spread[1]),
        diverged=np.stack([d for _, d in per_optimizer]),
        good=good,
        metric=metric,
        tol=tol,
        within=within,
        spread=(float(spread[0]), float(spread[1])),
        loss_offset=offset,
        starts=starts,
        steps=int(steps),
        grad_noise=float(grad_noise),
        seed=int(seed),
    )


def _quantile(values: np.ndarray, percent: float) -> np.ndarray:
    """The percentile over the last axis, interpolated linearly between order statistics as NumPy does,
    but exact with +inf: a quantile between a finite value and +inf is +inf, one on a finite value is it.
    (np.percentile computes inf − inf = NaN there.)"""
    ordered = np.sort(values, axis=-1)
    position = percent / 100.0 * (ordered.shape[-1] - 1)
    lo, hi = int(np.floor(position)), int(np.ceil(position))
    frac = position - lo
    below, above = ordered[..., lo], ordered[..., hi]
    if frac == 0:
        return below.copy()
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(above), above, below + frac * (above - below))


def _check_lrs(lrs) -> np.ndarray:
    try:
        lrs = np.asarray(lrs, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError("lrs must be a sequence of numbers") from None
    if not lrs.size or not (np.isfinite(lrs).all() and (lrs > 0).all()):
        raise ValueError("lrs must be a non-empty sequence of finite learning rates > 0")
    return np.sort(lrs)


def _sweep_starts(surface: Surface, starts, n_starts: int, jitter: float, seed: int) -> np.ndarray:
    if starts is not None:
        points = np.asarray(starts, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2 or not len(points):
            raise ValueError(f"starts must have shape (M, 2) with M ≥ 1, got {points.shape}")
        return points
    if isinstance(n_starts, bool) or not isinstance(n_starts, int | np.integer) or n_starts < 1:
        raise ValueError(f"n_starts must be an integer ≥ 1, got {n_starts!r}")
    if not np.isfinite(jitter) or jitter < 0:
        raise ValueError(f"jitter must be a finite number ≥ 0, got {jitter!r}")
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    offsets = rng.standard_normal((n_starts - 1, 2)) * jitter * np.array([x1 - x0, y1 - y0])
    points = np.vstack([surface.start, np.asarray(surface.start) + offsets])
    return np.clip(points, [x0, y0], [x1, y1])
