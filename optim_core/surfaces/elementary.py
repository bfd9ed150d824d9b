"""The elementary surfaces: each shows one thing an optimizer meets, in the order a course teaches them.

A round bowl, an ill-conditioned ravine, a saddle, a monkey saddle (a saddle the Hessian cannot see) and a
plateau ending in a cliff. Every function is vectorized over NumPy arrays of any broadcastable shapes,
and every critical point is exact or found to machine precision.
"""

from __future__ import annotations

import math

import numpy as np

from ..jitable import jitable
from .surface import Surface, _check_param, _shaped


def bowl(curvature: float = 1.0) -> Surface:
    lam = _check_param("curvature", curvature, low=0.0, low_open=True)

    # f = λ/2 (x² + y²)
    def f(x, y):
        return 0.5 * lam * (x * x + y * y)

    def grad(x, y):
        return _shaped(x, y, lam * x, lam * y)

    def hessian(x, y):
        return _shaped(x, y, lam, 0.0, lam)

    return Surface(
        name="bowl",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.5, 1.2),
        title={"en": "Round bowl", "zh": "圆碗"},
        description={
            "en": "The simplest loss, λ/2 (x² + y²): the slope points straight at the minimum, and "
            "gradient descent converges for any step below 2/λ.",
            "zh": "最简单的损失 λ/2 (x² + y²):梯度直指最小值,步长小于 2/λ 时梯度下降必然收敛。",
        },
        minima=((0.0, 0.0),),
        params={"curvature": lam},
    )


@jitable
def _rotate(x, y, c, s):
    """Into the ravine's own axes: u = cos(θ) x + sin(θ) y runs along the floor, v = −sin(θ) x + cos(θ) y
    across it (c = cos θ, s = sin θ)."""
    return c * x + s * y, -s * x + c * y


def ravine(condition: float = 20.0, angle: float = 0.0) -> Surface:
    kappa = _check_param("condition", condition, low=1.0)
    angle = _check_param("angle", angle)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    # f = 1/2 (u² + κ v²): curvature 1 along the floor, κ across it
    def f(x, y):
        u, v = _rotate(x, y, c, s)
        return 0.5 * (u * u + kappa * v * v)

    # ∇f = Rᵀ (u, κ v)
    def grad(x, y):
        u, v = _rotate(x, y, c, s)
        return _shaped(x, y, c * u - s * kappa * v, s * u + c * kappa * v)

    # H = Rᵀ diag(1, κ) R
    def hessian(x, y):
        return _shaped(x, y, c * c + kappa * s * s, c * s * (1 - kappa), s * s + kappa * c * c)

    return Surface(
        name="ravine",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-3.0, 3.0), (-2.0, 2.0)),
        start=(-2.5, 1.0),
        title={"en": "Ravine (ill-conditioned)", "zh": "狭长山谷(病态条件)"},
        description={
            "en": "A long, narrow valley with condition number κ: the steep walls cap the step at 2/κ, "
            "so plain gradient descent zig-zags across and crawls along the floor.",
            "zh": "条件数为 κ 的狭长山谷:陡峭的谷壁把步长限制在 2/κ 以内,"
            "普通梯度下降在谷壁间来回震荡,沿谷底缓慢爬行。",
        },
        minima=((0.0, 0.0),),
        params={"condition": kappa, "angle": angle},
    )


def saddle() -> Surface:
    # f = x² − y²
    def f(x, y):
        return x * x - y * y

    def grad(x, y):
        return _shaped(x, y, 2 * x, -2 * y)

    def hessian(x, y):
        return _shaped(x, y, 2.0, 0.0, -2.0)

    return Surface(
        name="saddle",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 0.01),
        title={"en": "Saddle x² − y²", "zh": "鞍点 x² − y²"},
        description={
            "en": "Uphill along x, downhill along y: the gradient vanishes at the origin, yet it is no "
            "minimum. Starting near y = 0, descent slows down there before it escapes.",
            "zh": "沿 x 上坡、沿 y 下坡:原点处梯度为零,却不是最小值。"
            "从 y ≈ 0 出发,下降会在原点附近减速,然后才逃离。",
        },
        saddles=((0.0, 0.0),),
    )


def monkey_saddle() -> Surface:
    # f = x³ − 3 x y²  (= r³ cos 3φ: three valleys, three ridges)
    def f(x, y):
        return x**3 - 3 * x * y * y

    def grad(x, y):
        return _shaped(x, y, 3 * x * x - 3 * y * y, -6 * x * y)

    def hessian(x, y):
        return _shaped(x, y, 6 * x, -6 * y, -6 * x)

    return Surface(
        name="monkey_saddle",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-1.5, 1.5), (-1.5, 1.5)),
        start=(1.2, 0.05),
        title={"en": "Monkey saddle x³ − 3xy²", "zh": "猴鞍 x³ − 3xy²"},
        description={
            "en": "A saddle with three downhill valleys (two for the legs, one for the tail). Its Hessian "
            "is zero at the origin, so the second-derivative test cannot classify it.",
            "zh": "有三条下坡山谷的鞍点(两条放腿,一条放尾巴)。原点处 Hessian 为零,二阶导数判别法失效。",
        },
        saddles=((0.0, 0.0),),
    )


# where the cliff of the plateau surface drops, and where its gentle bowl is centred
_CLIFF_X = 0.0
_BASIN_X = 1.5


@jitable
def _sech2(u):
    # sech²(u) = 1 / cosh²(u) = 4 e^{-2|u|} / (1 + e^{-2|u|})², which never overflows
    decay = np.exp(-2.0 * np.abs(u))
    return 4.0 * decay / (1.0 + decay) ** 2


def plateau(height: float = 1.0, steepness: float = 3.0, curvature: float = 0.01) -> Surface:
    h = _check_param("height", height, low=0.0, low_open=True)
    k = _check_param("steepness", steepness, low=0.0, low_open=True)
    b = _check_param("curvature", curvature, low=0.0, low_open=True)
    m = _BASIN_X

    # f = h (1 − tanh(k x)) / 2 + b/2 ((x − m)² + y²): a step of height h plus a gentle bowl
    def f(x, y):
        return 0.5 * h * (1 - np.tanh(k * (x - _CLIFF_X))) + 0.5 * b * ((x - m) ** 2 + y * y)

    # ∂f/∂x = −(h k / 2) sech²(k x) + b (x − m)
    def grad(x, y):
        u = k * (x - _CLIFF_X)
        return _shaped(x, y, -0.5 * h * k * _sech2(u) + b * (x - m), b * y)

    # ∂²f/∂x² = h k² sech²(k x) tanh(k x) + b
    def hessian(x, y):
        u = k * (x - _CLIFF_X)
        return _shaped(x, y, h * k * k * _sech2(u) * np.tanh(u) + b, 0.0, b)

    # On y = 0 both terms of ∂f/∂x are negative for x <= m, and for x > m it increases, so its one root
    # lies in (m, m + h k / (2 b)]: bisection finds it to machine precision.
    lo, hi = m, m + 0.5 * h * k / b
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if grad(mid, 0.0)[0] < 0:
            lo = mid
        else:
            hi = mid
    minimum = (0.5 * (lo + hi), 0.0)

    return Surface(
        name="plateau",
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=((-3.0, 3.0), (-2.0, 2.0)),
        start=(-2.5, 0.5),
        title={"en": "Plateau and cliff", "zh": "高原与悬崖"},
        description={
            "en": "A wide flat plateau, then a cliff down into a basin: up top the gradient almost "
            "vanishes, so SGD stalls while Adam's normalised steps keep walking.",
            "zh": "宽阔平坦的高原,然后是落入盆地的悬崖:高原上梯度几乎为零,"
            "SGD 停滞不前,而 Adam 的归一化步长仍在前进。",
        },
        minima=(minimum,),
        params={"height": h, "steepness": k, "curvature": b},
    )
