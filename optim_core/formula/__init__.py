"""A user-typed f(x, y) as a Surface, read safely and differentiated exactly.

    vocabulary.py   what a formula may say: x, y, pi, e, + - * / **, FUNCTIONS, and their meaning
    expr.py         the expression tree, its simplifying constructors, and its normalized text
    derivative.py   symbolic derivatives
    evaluate.py     trees compiled into flat NumPy programs, common subexpressions computed once
    parse.py        the whitelist parser over Python's syntax tree and its limits: the security boundary

`parse_formula(text)` puts them together: the Surface named "custom", with exact derivatives and the
critical points that surfaces/critical_points.py finds in its window.
"""

from __future__ import annotations

import math

import numpy as np

from ..surfaces.critical_points import find_critical_points
from ..surfaces.surface import Surface, _shaped
from .derivative import derivative
from .evaluate import Program, evaluate
from .expr import Binary, Call, Const, Expr, Neg, Var, to_text
from .parse import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, MAX_NODES, FormulaError, parse_expression
from .vocabulary import CONSTANTS, FUNCTIONS, MAX_NUMBER, VARIABLES

__all__ = [
    "CONSTANTS",
    "DEFAULT_BOUNDS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_NUMBER",
    "VARIABLES",
    "Binary",
    "Call",
    "Const",
    "Expr",
    "FormulaError",
    "Neg",
    "Var",
    "derivative",
    "evaluate",
    "parse_expression",
    "parse_formula",
    "to_text",
]

DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
WINDOW_GRID = 65  # points a side where f is looked at before it is accepted (odd: the centre is one)


def _check_bounds(bounds) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = bounds
        x0, x1, y0, y1 = (float(v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}") from None
    if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be finite with min < max, got {bounds!r}")
    return (x0, x1), (y0, y1)


def _defined_somewhere(f, bounds) -> bool:
    """Whether f is finite at one point at least of a WINDOW_GRID² grid over `bounds` (edges included)."""
    (x0, x1), (y0, y1) = bounds
    x, y = np.meshgrid(np.linspace(x0, x1, WINDOW_GRID), np.linspace(y0, y1, WINDOW_GRID))
    with np.errstate(all="ignore"):
        return bool(np.isfinite(f(x, y)).any())


def parse_formula(text: str, *, bounds=DEFAULT_BOUNDS, start=None) -> Surface:
    """A Surface named "custom" for the user-typed f(x, y), with exact derivatives.

    bounds: ((x_min, x_max), (y_min, y_max)), default ((-3, 3), (-3, 3)). start: default one sixth in
    from the top-left corner, (-2, 2) for the default bounds. Raises FormulaError (a ValueError) for a
    formula that cannot be used, one undefined (NaN or infinite) everywhere in the bounds included, and
    ValueError for bad bounds or start.

    >>> s = parse_formula("x**2 - y**2 + 0.1*sin(5*x)")
    >>> s.title["en"]
    'f(x, y) = x**2 - y**2 + 0.1*sin(5*x)'
    """
    expr = parse_expression(text)
    (x0, x1), (y0, y1) = _check_bounds(bounds)
    if start is None:
        start = (x0 + (x1 - x0) / 6, y1 - (y1 - y0) / 6)
    try:
        sx, sy = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y), got {start!r}") from None
    if not (x0 <= sx <= x1 and y0 <= sy <= y1):
        raise ValueError(f"start {start!r} lies outside the bounds {bounds!r}")

    fx, fy = derivative(expr, "x"), derivative(expr, "y")
    value, gradient = Program([expr]), Program([fx, fy])
    curvature = Program([derivative(fx, "x"), derivative(fx, "y"), derivative(fy, "y")])

    def run(program, x, y):
        # every output broadcast to the points' shape: f alone, or the 2 or 3 parts of grad and hessian
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return _shaped(x, y, *program(x, y))

    def f(x, y):
        return run(value, x, y)

    def grad(x, y):
        return run(gradient, x, y)

    def hessian(x, y):
        return run(curvature, x, y)

    if not _defined_somewhere(f, ((x0, x1), (y0, y1))):
        raise FormulaError.of(
            "undefined_window", hint_key="hint.undefined_window", x0=x0, x1=x1, y0=y0, y1=y1
        )
    minima, saddles = find_critical_points(f, grad, hessian, ((x0, x1), (y0, y1)))
    formula = to_text(expr)
    return Surface(
        name="custom",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((x0, x1), (y0, y1)),
        start=(sx, sy),
        title={"en": f"f(x, y) = {formula}", "zh": f"f(x, y) = {formula}"},
        description={
            "en": f"Your own surface f(x, y) = {formula}, with exact symbolic derivatives.",
            "zh": f"自定义曲面 f(x, y) = {formula},导数为精确的符号导数。",
        },
        minima=minima,
        saddles=saddles,
    )
