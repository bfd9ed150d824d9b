"""What the Analysis page computes (no widgets drawn here): the cached basin maps and LR sweeps, the
readouts beside them, and the link that opens a swept run on the Playground.

Runs are cached on plain, hashable data (the surface's (name, formula, parameters), the optimizer and
its settings), as the Playground's are, so every session reuses them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from app.shared.controls import gather_hyperparams
from app.shared.optimizer_catalog import LR_RANGE
from app.shared.settings import log_grid
from app.shared.simulation_cache import NOISE_MODES, build_surface, typical_gradient
from optim_core.analysis import (
    BasinMap,
    Sweep,
    basin_map,
    classify_point,
    hessian_eigen,
    lr_sweep,
    stability_bound,
)
from optim_core.optimizers import RULES
from optim_core.surfaces.critical_points import find_critical_points

SWEEP_LRS = 41  # 1e-4 … 10, eight LRs a decade: the Playground's whole LR range
# The engine keeps every step of every run: 40 × 40 starts × 1000 steps peak at about 300 MB. Larger
# requests run with fewer steps, and say so.
BASIN_BUDGET = 1_600_000  # starts × steps
PLAYGROUND_LR_GRID = log_grid(1e-4, 10.0)  # the Playground's LR slider values

SurfaceKey = tuple[str, str | None, tuple[tuple[str, float], ...]]  # what build_surface takes


def with_weight_decay_off(name: str, hp: dict) -> dict:
    """Weight decay 0, as the Playground's default, so a link there reproduces this run."""
    if any(h.name == "weight_decay" for h in RULES[name].hyperparams):
        hp = {**hp, "weight_decay": 0.0}
    return hp


def basin_steps(grid: int, steps: int) -> int:
    """The steps a grid × grid basin map runs: those asked for, or, over BASIN_BUDGET, as many tens of
    steps as the budget allows."""
    if grid * grid * steps > BASIN_BUDGET:
        return BASIN_BUDGET // (grid * grid) // 10 * 10
    return steps


@lru_cache(maxsize=24)
def basins(surface_key: SurfaceKey, optimizer: str, hyperparams: tuple, n: int, steps: int) -> BasinMap:
    """The basin map of one optimizer over an n × n grid of starts (cached; do not change the result)."""
    surface = build_surface(*surface_key)
    hp = with_weight_decay_off(optimizer, gather_hyperparams(optimizer, dict(hyperparams)))
    return basin_map(surface, optimizer, hp, n=n, steps=steps)


@lru_cache(maxsize=24)
def sweep(
    surface_key: SurfaceKey,
    names: tuple[str, ...],
    steps: int,
    n_starts: int,
    noise: str,
    seed: int,
    metric: str,
    tol: float,
) -> Sweep:
    """The optimizers' metric over SWEEP_LRS learning rates and n_starts starts (cached; do not change
    the result)."""
    surface = build_surface(*surface_key)
    sigma = NOISE_MODES[noise] * typical_gradient(surface)
    optimizers = [(name, with_weight_decay_off(name, {})) for name in names]
    return lr_sweep(
        surface,
        optimizers,
        lrs=np.geomspace(*LR_RANGE, SWEEP_LRS),
        n_starts=n_starts,
        seed=seed,
        grad_noise=sigma,
        steps=steps,
        metric=metric,
        tol=tol,
    )


def snap_to_lr_grid(lr: float) -> float:
    """The Playground's LR slider value nearest to lr on a log scale."""
    return min(PLAYGROUND_LR_GRID, key=lambda g: abs(np.log(g) - np.log(lr)))


def sweep_link_query(
    surface_name: str, surface_query: dict[str, str], name: str, lr: float, steps: int, noise: str, seed: int
) -> dict[str, str]:
    """The Playground's URL settings for one optimizer of the sweep at this LR, from the surface's start.

    surface_query: the surface's own URL settings (formula or condition), already encoded.
    """
    query = {
        "surface": surface_name,
        "n_opt": "1",
        "o1": name,
        "o1_lr": f"{snap_to_lr_grid(lr):g}",
        "steps": str(steps),
    }
    query.update(surface_query)
    if noise != "batch":
        query.update(noise=noise, seed=str(seed))
    return query


def stability_band(surface) -> tuple[float, float] | None:
    """Gradient descent's stability limit 2/λ_max at the known minima: (smallest, largest), or None."""
    if not surface.minima:
        return None
    values, _ = hessian_eigen(surface, np.array(surface.minima, dtype=float))
    bounds = stability_bound(values[:, 1])
    bounds = bounds[np.isfinite(bounds)]
    return (float(bounds.min()), float(bounds.max())) if bounds.size else None


def window_text(sweep: Sweep, i: int, label: str, text: dict[str, str]) -> str:
    """One line on the usable LR window of optimizer i: its best LR, its best range, where runs diverge."""
    best, best_range = sweep.best_lr(i), sweep.best_range(i)
    if best is None or best_range is None:
        return text["window_none"].format(name=label)
    low, high = best_range
    line = text["window"].format(
        name=label, best=f"{best:.3g}", low=f"{low:.3g}", high=f"{high:.3g}", within=f"{sweep.within:g}"
    )
    diverges = sweep.diverges_from(i)
    if diverges is not None:
        line += " " + text["window_diverges"].format(lr=f"{diverges:.3g}")
    return line


def surface_maxima(surface) -> tuple[tuple[float, float], ...]:
    """The local maxima of surface inside its window (Himmelblau's one), found by the grid search that
    lists a formula's minima and saddles; a Surface lists only its minima and saddles."""
    (maxima,) = find_critical_points(
        surface.f, surface.grad, surface.hessian, surface.bounds, kinds=("maximum",)
    )
    return maxima


def critical_rows(surface, columns: dict[str, str], kinds: dict[str, str], limit: int = 12) -> list[dict]:
    """Rows of the curvature table: the known minima and saddles and the maxima the search finds (at
    most `limit` of each), their kind as the Hessian tells it, both eigenvalues and GD's stability
    limit 2/λ_max."""
    rows = []
    for point in (*surface.minima[:limit], *surface.saddles[:limit], *surface_maxima(surface)[:limit]):
        (low, high), _ = hessian_eigen(surface, point)
        bound = stability_bound(high)
        rows.append(
            {
                columns["point"]: f"({point[0]:+.3f}, {point[1]:+.3f})",
                columns["kind"]: kinds[classify_point(surface, *point)],
                columns["lambda_min"]: f"{low:.4g}",
                columns["lambda_max"]: f"{high:.4g}",
                columns["bound"]: "∞" if not np.isfinite(bound) else f"{bound:.4g}",
            }
        )
    return rows
