"""2D loss surfaces: f, its exact gradient and Hessian, and what a plot needs to know about it.

Every function is vectorized: x and y are NumPy arrays of any (matching or broadcastable) shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

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


def _rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    # f = (a - x)^2 + b (y - x^2)^2
    def f(x, y):
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def grad(x, y):
        return -2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)

    def hessian(x, y):
        return 2 - 4 * b * (y - 3 * x**2), -4 * b * x + 0 * y, 2 * b + 0 * x + 0 * y

    return Surface(
        name="rosenbrock", f=f, grad=grad, hessian=hessian,
        bounds=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.0),
        title={"en": "Rosenbrock", "zh": "Rosenbrock 函数"},
        description={"en": "A curved, flat-bottomed banana valley: easy to find, slow to follow to (a, a²).",
                     "zh": "弯曲而平坦的香蕉形山谷:容易进入,但沿谷底走到 (a, a²) 很慢。"},
        minima=((a, a * a),), log_levels=True, params={"a": a, "b": b},
    )


# name -> factory(**params) -> Surface. The registry is the one list of built-in surfaces.
_FACTORIES: dict[str, Callable[..., Surface]] = {
    "rosenbrock": _rosenbrock,
}


def surface_names() -> list[str]:
    return list(_FACTORIES)


def get_surface(name: str | Surface, **params) -> Surface:
    """The built-in surface called `name`, built with `params` (for example condition=50 for 'ravine')."""
    if isinstance(name, Surface):
        return name
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown surface {name!r}; valid choices: {', '.join(_FACTORIES)}") from None
    return factory(**params)
