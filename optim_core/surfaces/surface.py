"""The Surface type: a 2D loss f(x, y) with its exact gradient and Hessian, and what a plot needs.

Also the two helpers every surface's code uses: `_shaped` (derivatives broadcast to the points' shape)
and `_check_param` (a surface parameter checked against its valid range).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..params import Param

Array = np.ndarray
Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    """A loss surface f(x, y) with its exact derivatives.

    grad(x, y) -> (df/dx, df/dy); hessian(x, y) -> (d2f/dx2, d2f/dxdy, d2f/dy2).
    bounds = ((x_min, x_max), (y_min, y_max)) is the plotting window.
    title / description map a language code ("en", "zh") to text.
    """

    name: str
    f: Callable[[Array, Array], Array]
    grad: Callable[[Array, Array], tuple[Array, Array]]
    hessian: Callable[[Array, Array], tuple[Array, Array, Array]]
    bounds: tuple[Point, Point]
    start: Point
    title: dict[str, str]
    description: dict[str, str]
    minima: tuple[Point, ...] = ()
    saddles: tuple[Point, ...] = ()
    # plot the contour on a log scale (steep walls around a flat valley, e.g. Rosenbrock)
    log_levels: bool = False
    params: dict[str, float] = field(default_factory=dict)


def _shaped(x, y, *values):
    """Each value broadcast to the common shape of x and y, as a new float array (a NumPy scalar when
    x and y are scalars), so a derivative that ignores one variable still has the full grid's shape."""
    zeros = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)))
    out = tuple((zeros + v)[()] for v in values)
    return out if len(out) > 1 else out[0]


def _check_param(name: str, value, *, low: float | None = None, low_open: bool = False) -> float:
    """A surface parameter as float; ValueError naming its valid range (see Param.check)."""
    return Param(name, low=low, low_open=low_open).check(value, where=f"parameter {name!r}")
