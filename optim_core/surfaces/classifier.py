"""MSE against cross-entropy: two losses of one neuron σ(w·x + b) on one small fixed dataset.

The course notes' classification-loss argument (Li Hongyi's lecture): trained on class labels, the
squared error is the wrong loss. Its gradient carries the sigmoid's slope σ'(z), so where the neuron is
confidently wrong (σ ≈ 0 for a point of class 1, or the reverse) the loss is high yet its surface is
flat, and gradient descent stalls. Cross-entropy's gradient is (σ − y)·(x, 1), which is largest exactly
there. The two surfaces are drawn over the same (x, y) = (w, b) window, from the same start.

The dataset (`POINTS`) is twelve 1D points of two classes that overlap: -0.3 is of class 1 among
class 0, 0.4 is of class 0 among class 1. So neither class can be told apart perfectly, both losses have
one finite minimum inside the window (a separable set would send cross-entropy's infimum to |w| → ∞,
with no minimum to mark), and the points near x = 0 keep every gradient of the window above ~1e-4
(no false critical points on MSE's plateaus). The wrong-way start w = -5, b = 0 (every point confidently
on the wrong side) shows the stall: there |∇MSE| ≈ 0.01 while |∇CE| ≈ 1.4.

Both surfaces are means over the points; every derivative is exact, and the helpers below compile for
the numba backend (@jitable).
"""

from __future__ import annotations

import numpy as np

from ..jitable import jitable
from .critical_points import by_value, newton_polish
from .surface import Surface, _shaped

# (x_i, label_i): class 0 mostly left of 0, class 1 mostly right, overlapping at -0.3 and 0.4
POINTS: tuple[tuple[float, int], ...] = (
    (-3.0, 0),
    (-2.2, 0),
    (-1.6, 0),
    (-1.0, 0),
    (-0.5, 0),
    (0.4, 0),
    (-0.3, 1),
    (0.6, 1),
    (1.1, 1),
    (1.7, 1),
    (2.3, 1),
    (3.0, 1),
)
_X = np.array([p[0] for p in POINTS])
_LABELS = np.array([float(p[1]) for p in POINTS])
# the two surfaces, each the other's partner in the side-by-side view
MSE, CROSS_ENTROPY = "classifier_mse", "classifier_ce"
_BOUNDS = ((-6.0, 6.0), (-6.0, 6.0))
_START = (-5.0, 0.0)  # confidently wrong for every point: MSE's plateau


def other_loss(name: str) -> str | None:
    """The partner of a classifier surface ('classifier_mse' <-> 'classifier_ce'); None for any other."""
    return {MSE: CROSS_ENTROPY, CROSS_ENTROPY: MSE}.get(name)


@jitable
def _logistic(z):
    """σ(z) and σ'(z) = σ(1 − σ), from e = exp(−|z|), which never overflows and keeps σ precise in both
    tails: σ = 1/(1 + e) for z ≥ 0, e/(1 + e) below; σ' = e/(1 + e)²."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), e / (1.0 + e) ** 2


@jitable
def _mse_grad(w, b):
    """∇ of (1/N) Σ (σ(z_i) − y_i)², z_i = w x_i + b: (2/N) Σ (σ − y) σ' (x_i, 1)."""
    gw = 0.0 * (w + b)
    gb = 0.0 * (w + b)
    for i in range(_X.shape[0]):
        s, ds = _logistic(w * _X[i] + b)
        dz = 2.0 * (s - _LABELS[i]) * ds
        gw = gw + dz * _X[i]
        gb = gb + dz
    return gw / _X.shape[0], gb / _X.shape[0]


@jitable
def _ce_grad(w, b):
    """∇ of (1/N) Σ [softplus(z_i) − y_i z_i]: (1/N) Σ (σ(z_i) − y_i) (x_i, 1)."""
    gw = 0.0 * (w + b)
    gb = 0.0 * (w + b)
    for i in range(_X.shape[0]):
        s, _ = _logistic(w * _X[i] + b)
        gw = gw + (s - _LABELS[i]) * _X[i]
        gb = gb + (s - _LABELS[i])
    return gw / _X.shape[0], gb / _X.shape[0]


def _hessian_from(second):
    """The Hessian of (1/N) Σ ℓ_i(w x_i + b), given ℓ''(z, y): (1/N) Σ ℓ'' (x², x, 1)."""

    def hessian(w, b):
        hww = hwb = hbb = 0.0
        for x_i, y_i in zip(_X, _LABELS, strict=True):
            d2 = second(w * x_i + b, y_i)
            hww, hwb, hbb = hww + d2 * x_i * x_i, hwb + d2 * x_i, hbb + d2
        n = len(_X)
        return _shaped(w, b, hww / n, hwb / n, hbb / n)

    return hessian


def _mse_second(z, y):
    # (σ − y)² '' = 2 (σ'² + (σ − y) σ''), σ'' = σ' (1 − 2σ)
    s, ds = _logistic(z)
    return 2.0 * (ds * ds + (s - y) * ds * (1.0 - 2.0 * s))


def _ce_second(z, y):
    # (softplus(z) − y z)'' = σ'(z), whatever the label
    return _logistic(z)[1]


def _mean_over_points(loss):
    def f(w, b):
        total = 0.0
        for x_i, y_i in zip(_X, _LABELS, strict=True):
            total = total + loss(w * x_i + b, y_i)
        return _shaped(w, b, total / len(_X))

    return f


def classifier_mse() -> Surface:
    # f = (1/N) Σ (σ(w x_i + b) − y_i)²
    f = _mean_over_points(lambda z, y: (_logistic(z)[0] - y) ** 2)

    def grad(x, y):
        gw, gb = _mse_grad(x, y)
        return _shaped(x, y, gw, gb)

    hessian = _hessian_from(_mse_second)
    return Surface(
        name=MSE,
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=_BOUNDS,
        start=_START,
        title={"en": "Classifier loss: squared error", "zh": "分类器损失:均方误差"},
        description={
            "en": "One neuron σ(x·w + b) (here x is w, y is b) on 12 labelled points, scored by the squared "
            "error: where it is confidently wrong the loss is high but flat (the sigmoid's slope ≈ 0), "
            "so gradient descent stalls there.",
            "zh": "单个神经元 σ(x·w + b)(此处横轴为 w、纵轴为 b)在 12 个带标签的点上,用均方误差评分:"
            "在它自信地判错的区域,损失很高却很平坦(sigmoid 的斜率 ≈ 0),梯度下降在那里停滞。",
        },
        minima=newton_polish(grad, hessian, [(1.8, -0.1)]),
        # not convex: past the minimum, where the neuron grows sharp, two saddles (found by
        # tests/core/test_surfaces.py's blind search over the window)
        saddles=by_value(f, newton_polish(grad, hessian, [(4.764, -2.210), (4.764, 1.734)])),
    )


def classifier_ce() -> Surface:
    # f = (1/N) Σ [softplus(z_i) − y_i z_i] = −(1/N) Σ [y_i ln σ(z_i) + (1 − y_i) ln(1 − σ(z_i))]
    f = _mean_over_points(lambda z, y: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - y * z)

    def grad(x, y):
        gw, gb = _ce_grad(x, y)
        return _shaped(x, y, gw, gb)

    hessian = _hessian_from(_ce_second)
    return Surface(
        name=CROSS_ENTROPY,
        f=f,
        grad=grad,
        hessian=hessian,
        bounds=_BOUNDS,
        start=_START,
        title={"en": "Classifier loss: cross-entropy", "zh": "分类器损失:交叉熵"},
        description={
            "en": "The same neuron and points scored by cross-entropy: convex, and steepest where the "
            "neuron is confidently wrong, so descent leaves that region fast. The classes overlap, so "
            "the one minimum is finite.",
            "zh": "同一个神经元和同一组点,用交叉熵评分:它是凸的,而且在神经元自信地判错的区域最陡,"
            "下降很快离开那里。两类有重叠,所以唯一的最小值是有限的。",
        },
        minima=newton_polish(grad, hessian, [(2.4, -0.1)]),
    )
