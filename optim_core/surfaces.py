"""2D loss surfaces: f, its exact gradient and Hessian, and what a plot needs to know about it.

Every function is vectorized: x and y are NumPy arrays of any (matching or broadcastable) shape.
The registry lists the surfaces in the order a course would teach them: from the round bowl, through
ill-conditioning, saddles and plateaus, to the classic benchmark functions with many minima.

Critical points are exact where a closed form exists. Elsewhere they are polished to machine precision
by Newton's method from published approximate locations (`newton_polish`). `minima` is sorted by f, so
`minima[0]` is a global minimum. The tests search every window independently and check the lists are
complete.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .jitable import jitable

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


# ---------------------------------------------------------------------------------------------------
# helpers


def _shaped(x, y, *values):
    """Each value broadcast to the common shape of x and y, as a new float array (a NumPy scalar when
    x and y are scalars), so a derivative that ignores one variable still has the full grid's shape."""
    zeros = np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)))
    out = tuple((zeros + v)[()] for v in values)
    return out if len(out) > 1 else out[0]


def _check_param(
    name: str, value, *, low: float | None = None, strict: bool = False, allowed: str = ""
) -> float:
    """A surface parameter as float; ValueError naming the valid range when it is out of it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"parameter {name!r} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"parameter {name!r} must be finite, got {value!r}")
    if low is not None and (value < low or (strict and value == low)):
        raise ValueError(f"parameter {name!r} must be {allowed}, got {value!r}")
    return value


def newton_polish(grad, hessian, points, iterations: int = 50) -> tuple[Point, ...]:
    r"""Refine approximate critical points with Newton's method on grad f = 0.

    $p \leftarrow p - H(p)^{-1} \nabla f(p)$, solved in closed form for the 2x2 Hessian. Quadratic
    convergence turns a 4-digit published location into a machine-precision one in a few steps.
    Raises if a point does not converge: a wrong seed is a bug, not something to plot.
    """
    polished = []
    for x, y in points:
        x, y = float(x), float(y)
        for _ in range(iterations):
            gx, gy = (float(v) for v in grad(x, y))
            hxx, hxy, hyy = (float(v) for v in hessian(x, y))
            det = hxx * hyy - hxy * hxy
            if det == 0:
                break
            # [dx, dy] = -H^{-1} g  with  H^{-1} = [[hyy, -hxy], [-hxy, hxx]] / det
            dx = -(hyy * gx - hxy * gy) / det
            dy = -(hxx * gy - hxy * gx) / det
            x, y = x + dx, y + dy
            if abs(dx) + abs(dy) <= 1e-15 * (1 + abs(x) + abs(y)):
                break
        gx, gy = (float(v) for v in grad(x, y))
        converged = (
            math.isfinite(x) and math.isfinite(y) and math.hypot(gx, gy) <= 1e-7 * (1 + abs(x) + abs(y))
        )
        if not converged:
            raise ArithmeticError(f"Newton's method did not converge to a critical point near {(x, y)}")
        polished.append((x, y))
    return tuple(polished)


def _by_value(f, points) -> tuple[Point, ...]:
    """Points sorted by f, lowest first (then by position, so the order is deterministic)."""
    return tuple(sorted(points, key=lambda p: (round(float(f(*p)), 12), p)))


# ---------------------------------------------------------------------------------------------------
# the surfaces, in teaching order


def _bowl(curvature: float = 1.0) -> Surface:
    lam = _check_param("curvature", curvature, low=0.0, strict=True, allowed="> 0")

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


def _ravine(condition: float = 20.0, angle: float = 0.0) -> Surface:
    kappa = _check_param("condition", condition, low=1.0, allowed=">= 1")
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


def _saddle() -> Surface:
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


def _monkey_saddle() -> Surface:
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


def _plateau(height: float = 1.0, steepness: float = 3.0, curvature: float = 0.01) -> Surface:
    h = _check_param("height", height, low=0.0, strict=True, allowed="> 0")
    k = _check_param("steepness", steepness, low=0.0, strict=True, allowed="> 0")
    b = _check_param("curvature", curvature, low=0.0, strict=True, allowed="> 0")
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


def _rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    a = _check_param("a", a)
    b = _check_param("b", b, low=0.0, strict=True, allowed="> 0")

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


def _beale() -> Surface:
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
            "zh": "平坦的原野被狭窄弯曲的沟槽切开,角落处谷壁极陡;最小值 f = 0 在 (3, 0.5),位于一条长谷的尽头。",
        },
        minima=newton_polish(grad, hessian, [(3.0, 0.5)]),
        saddles=saddles,
        log_levels=True,
    )


def _himmelblau() -> Surface:
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
        minima=_by_value(f, minima),
        saddles=saddles,
        log_levels=True,
    )


def _rastrigin(A: float = 10.0) -> Surface:
    A = _check_param("A", A, low=0.0, strict=True, allowed="> 0")
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
        minima=_by_value(f, minima),
        saddles=_by_value(f, saddles),
        params={"A": A},
    )


def _six_hump_camel() -> Surface:
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
        minima=_by_value(f, minima),
        saddles=_by_value(f, saddles),
        log_levels=False,
    )


# name -> factory(**params) -> Surface. The registry is the one list of built-in surfaces, in teaching order.
_FACTORIES: dict[str, Callable[..., Surface]] = {
    "bowl": _bowl,
    "ravine": _ravine,
    "saddle": _saddle,
    "monkey_saddle": _monkey_saddle,
    "plateau": _plateau,
    "rosenbrock": _rosenbrock,
    "beale": _beale,
    "himmelblau": _himmelblau,
    "rastrigin": _rastrigin,
    "six_hump_camel": _six_hump_camel,
}


def surface_names() -> list[str]:
    return list(_FACTORIES)


def get_surface(name: str | Surface, **params) -> Surface:
    """The built-in surface called `name`, built with `params` (for example condition=50 for 'ravine')."""
    if isinstance(name, Surface):
        return name
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown surface {name!r}; valid choices: {', '.join(_FACTORIES)}") from None
    valid = list(inspect.signature(factory).parameters)
    unknown = [key for key in params if key not in valid]
    if unknown:
        choices = ", ".join(valid) if valid else "none"
        raise ValueError(f"surface {name!r} has no parameter {unknown[0]!r}; valid parameters: {choices}")
    return factory(**params)
