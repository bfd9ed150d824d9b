"""Surfaces built once per process and what every 2D page derives from one (shared by all sessions).

A surface is built from its name and parameters, or parsed from a typed formula, and cached on that
plain data, so each page of each session reuses the same object. The gradient-noise rule the pages use
(NOISE_MODES: noise as a multiple of typical_gradient, the surface's median gradient over the view) is
optim_core.lessons', where a lesson's scene computes the same noise; the pages import it from here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from optim_core.formula import parse_formula
from optim_core.lessons import NOISE_MODES, typical_gradient  # noqa: F401 (the pages' noise rule)
from optim_core.surfaces import Surface, get_surface
from optim_core.surfaces.critical_points import symmetric_eigenvalues


@lru_cache(maxsize=64)
def build_surface(name: str, formula: str | None, params: tuple[tuple[str, float], ...]) -> Surface:
    """A built-in surface or a parsed formula; raises ValueError (FormulaError) on bad input."""
    if formula is not None:
        return parse_formula(formula)
    return get_surface(name, **dict(params))


def finite_at(surface: Surface, point: tuple[float, float]) -> bool:
    """Whether f is defined at `point` (a typed formula like sqrt(x) may not be)."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(surface.f(np.float64(point[0]), np.float64(point[1]))))


def surface_scales(surface: Surface) -> tuple[float, float]:
    """(L, width): the median largest Hessian eigenvalue over the view, and the view's narrower side."""
    (x0, x1), (y0, y1) = surface.bounds
    x, y = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    with np.errstate(all="ignore"):
        _, largest = symmetric_eigenvalues(*(np.broadcast_to(h, x.shape) for h in surface.hessian(x, y)))
        largest = np.abs(largest)
    largest = largest[np.isfinite(largest)]
    curvature = float(np.median(largest)) if largest.size else 1.0
    return max(curvature, 1e-6), min(x1 - x0, y1 - y0)


@lru_cache(maxsize=64)
def cached_scales(
    name: str, formula: str | None, params: tuple[tuple[str, float], ...]
) -> tuple[float, float]:
    return surface_scales(build_surface(name, formula, params))
