"""The classic benchmark surfaces: Rosenbrock, Beale, Himmelblau, Rastrigin and the six-hump camel.

Critical points are exact where a closed form exists. Elsewhere they are polished to machine precision
by Newton's method from published approximate locations (`newton_polish`). `minima` is sorted by f, so
`minima[0]` is a global minimum. tests/core/test_surfaces.py searches every window independently and
checks the lists are complete.
"""

from __future__ import annotations

import math

import numpy as np

from ..jitable import jitable
from .critical_points import by_value, newton_polish
from .surface import Surface, _check_param, _shaped


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    a = _check_param("a", a)
    b = _check_param("b", b, low=0.0, low_open=True)

    # f = (a - x)^2 + b (y - x^2)^2
    def f(x, y):
        return (a - x) ** 2 + b * (y - x**2) ** 2

    def grad(x, y):
        return _shaped(x, y, -2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2))

    def hessian(x, y):
        return _shaped(x, y, 2 - 4 * b * (y - 3 * x**2), -4 * b * x, 2 * b)

    return Surface(
        name="rosenbrock",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.5, 2.0),
        title={"en": "Rosenbrock", "zh": "Rosenbrock 函数"},
        description={
            "en": "A curved, flat-bottomed banana valley: easy to find, slow to follow to (a, a²).",
            "zh": "弯曲而平坦的香蕉形山谷:容易进入,但沿谷底走到 (a, a²) 很慢。",
        },
        minima=((a, a * a),),
        log_levels=True,
        params={"a": a, "b": b},
    )


# Beale's three residuals t_i = c_i − x + x yⁱ, i = 1, 2, 3
_BEALE_C = (1.5, 2.25, 2.625)


@jitable
def _beale_term_grad(i, c, x, y):
    """2 t_i ∇t_i for Beale's residual t_i = c − x + x yⁱ."""
    t = c - x + x * y**i
    return 2 * t * (y**i - 1), 2 * t * i * x * y ** (i - 1)


def beale() -> Surface:
    # f = Σ_i t_i²
    def f(x, y):
        return sum((c - x + x * y**i) ** 2 for i, c in enumerate(_BEALE_C, start=1))

    # ∂t_i/∂x = yⁱ − 1,  ∂t_i/∂y = i x yⁱ⁻¹;  ∇f = Σ 2 t_i ∇t_i
    def grad(x, y):
        gx1, gy1 = _beale_term_grad(1, _BEALE_C[0], x, y)
        gx2, gy2 = _beale_term_grad(2, _BEALE_C[1], x, y)
        gx3, gy3 = _beale_term_grad(3, _BEALE_C[2], x, y)
        return _shaped(x, y, gx1 + gx2 + gx3, gy1 + gy2 + gy3)

    # H = Σ 2 (∇t_i ∇t_iᵀ + t_i ∇²t_i),  ∂²t_i/∂x∂y = i yⁱ⁻¹,  ∂²t_i/∂y² = i (i − 1) x yⁱ⁻²
    def hessian(x, y):
        hxx = hxy = hyy = 0
        for i, c in enumerate(_BEALE_C, start=1):
            t = c - x + x * y**i
            tx, ty = y**i - 1, i * x * y ** (i - 1)
            txy = i * y ** (i - 1)
            tyy = i * (i - 1) * x * y ** (i - 2) if i >= 2 else 0.0
            hxx = hxx + 2 * tx * tx
            hxy = hxy + 2 * (tx * ty + t * txy)
            hyy = hyy + 2 * (ty * ty + t * tyy)
        return _shaped(x, y, hxx, hxy, hyy)

    # (0, 1) is exact: on x = 0, ∂f/∂x = 3(y − 1) + 4.5(y² − 1) + 5.25(y³ − 1) has the one real root y = 1
    saddles = ((0.0, 1.0),) + newton_polish(grad, hessian, [(0.1005, -2.6445)])
    return Surface(
        name="beale",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.5),
        title={"en": "Beale", "zh": "Beale 函数"},
        description={
            "en": "Flat plains cut by narrow curved troughs with very steep walls near the corners; "
            "the minimum f = 0 lies at (3, 0.5), at the end of a long valley.",
            "zh": "平坦的原野被狭窄弯曲的沟槽切开,角落处谷壁极陡;"
            "最小值 f = 0 在 (3, 0.5),位于一条长谷的尽头。",
        },
        minima=newton_polish(grad, hessian, [(3.0, 0.5)]),
        saddles=saddles,
        log_levels=True,
    )


def himmelblau() -> Surface:
    # f = (x² + y − 11)² + (x + y² − 7)²
    def f(x, y):
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(x, y):
        u, v = x * x + y - 11, x + y * y - 7
        return 4 * x * u + 2 * v, 2 * u + 4 * y * v

    def hessian(x, y):
        return 12 * x * x + 4 * y - 42, 4 * x + 4 * y, 4 * x + 12 * y * y - 26

    minima = newton_polish(
        grad, hessian, [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)]
    )
    saddles = newton_polish(
        grad,
        hessian,
        [(0.086677, 2.884255), (3.385154, 0.073852), (-3.073026, -0.081353), (-0.127961, -1.953715)],
    )
    maximum = newton_polish(grad, hessian, [(-0.270845, -0.923039)])[0]
    return Surface(
        name="himmelblau",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, -3.0),
        title={"en": "Himmelblau", "zh": "Himmelblau 函数"},
        description={
            "en": "Four equally good minima (f = 0), four saddles and one local maximum near "
            f"({maximum[0]:.3f}, {maximum[1]:.3f}): which minimum you reach depends on the start "
            "and the optimizer.",
            "zh": f"四个同样好的最小值(f = 0)、四个鞍点,以及位于 ({maximum[0]:.3f}, {maximum[1]:.3f}) "
            "附近的一个局部最大值:最终落入哪个最小值取决于起点和优化器。",
        },
        minima=by_value(f, minima),
        saddles=saddles,
        log_levels=True,
    )


def rastrigin(A: float = 10.0) -> Surface:
    A = _check_param("A", A, low=0.0, low_open=True)
    two_pi = 2 * math.pi
    half_width = 5.12

    # f = 2A + Σ_{t ∈ {x, y}} (t² − A cos 2πt)
    def f(x, y):
        return 2 * A + x * x - A * np.cos(two_pi * x) + y * y - A * np.cos(two_pi * y)

    def grad(x, y):
        return _shaped(x, y, 2 * x + two_pi * A * np.sin(two_pi * x), 2 * y + two_pi * A * np.sin(two_pi * y))

    def hessian(x, y):
        return _shaped(
            x, y, 2 + two_pi**2 * A * np.cos(two_pi * x), 0.0, 2 + two_pi**2 * A * np.cos(two_pi * y)
        )

    # f separates into g(x) + g(y), so its critical points are pairs of 1D critical points of g:
    # min × min = minimum, min × max = saddle. Find g' = 0 by bisection on a fine sign-change grid.
    def g1(t):
        return 2 * t + two_pi * A * np.sin(two_pi * t)

    # an even sample count keeps t = 0 off the grid, so every root sits strictly inside one bracket
    ts = np.linspace(-half_width, half_width, 20480)
    values = g1(ts)
    change = np.sign(values[:-1]) * np.sign(values[1:]) < 0
    lo, hi = ts[:-1][change], ts[1:][change]
    lo_sign = np.sign(g1(lo))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        left = np.sign(g1(mid)) == lo_sign
        lo, hi = np.where(left, mid, lo), np.where(left, hi, mid)
    roots = 0.5 * (lo + hi)
    roots = np.where(np.abs(roots) < 1e-12, 0.0, roots)  # the origin exactly, not ±1e-17
    curv = 2 + two_pi**2 * A * np.cos(two_pi * roots)
    lows, highs = roots[curv > 0].tolist(), roots[curv < 0].tolist()
    minima = [(a, b) for a in lows for b in lows]
    saddles = [(a, b) for a in lows for b in highs] + [(a, b) for a in highs for b in lows]

    return Surface(
        name="rastrigin",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-half_width, half_width), (-half_width, half_width)),
        start=(-4.2, 3.8),
        title={"en": "Rastrigin", "zh": "Rastrigin 函数"},
        description={
            "en": f"A bowl covered in egg-crate bumps: {len(minima)} local minima in view and one global "
            "minimum at the origin; gradient methods get stuck in the nearest dip.",
            "zh": f"布满蛋托状起伏的碗:视野内有 {len(minima)} 个局部最小值,全局最小值在原点;"
            "梯度方法会困在最近的凹坑里。",
        },
        minima=by_value(f, minima),
        saddles=by_value(f, saddles),
        params={"A": A},
    )


def six_hump_camel() -> Surface:
    # f = (4 − 2.1x² + x⁴/3) x² + x y + (−4 + 4y²) y²
    def f(x, y):
        x2, y2 = x * x, y * y
        return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (-4 + 4 * y2) * y2

    def grad(x, y):
        return _shaped(x, y, 8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3)

    def hessian(x, y):
        return _shaped(x, y, 8 - 25.2 * x * x + 10 * x**4, 1.0, -8 + 48 * y * y)

    minima = newton_polish(
        grad,
        hessian,
        [
            (0.0898, -0.7126),
            (-0.0898, 0.7126),
            (-1.7036, 0.7961),
            (1.7036, -0.7961),
            (1.6071, 0.5687),
            (-1.6071, -0.5687),
        ],
    )
    # the origin is exact: f(−x, −y) = f(x, y), so ∇f is odd and vanishes there
    saddles = ((0.0, 0.0),) + newton_polish(
        grad,
        hessian,
        [
            (1.1092, -0.7683),
            (-1.1092, 0.7683),
            (1.2961, 0.6051),
            (-1.2961, -0.6051),
            (1.6381, 0.2287),
            (-1.6381, -0.2287),
        ],
    )
    return Surface(
        name="six_hump_camel",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-1.0, 1.0)),
        start=(-1.8, -0.9),
        title={"en": "Six-hump camel", "zh": "六峰驼背函数"},
        description={
            "en": "Six minima, two of them global at about (±0.090, ∓0.713): a test of which basin an "
            "optimizer falls into, and whether momentum carries it over a ridge.",
            "zh": "六个最小值,其中两个全局最小值约在 (±0.090, ∓0.713):"
            "检验优化器落入哪个盆地,以及动量能否带它越过山脊。",
        },
        minima=by_value(f, minima),
        saddles=by_value(f, saddles),
        log_levels=False,
    )
